'use client';

import { useActionState, useState } from 'react';
import { Field, FormAlert, SubmitButton } from '@/app/_components/form';
import { updateFederationSettingsAction } from '../actions';

/** Public URL and renewal after expiry; the server checks the URL with the CA's rule and answers next to the field. */
export function FederationSettingsForm({ id, publicUrl, allowRenewAfterExpiry, envNote }: { id: string; publicUrl: string | null; allowRenewAfterExpiry: boolean; envNote?: string }) {
  const [state, action] = useActionState(updateFederationSettingsAction, null);
  // Controlled, so what was typed survives the form reset React does after an action:
  // a refused URL stays in the field to be corrected.
  const [url, setUrl] = useState(publicUrl ?? '');
  const [renewAfterExpiry, setRenewAfterExpiry] = useState(allowRenewAfterExpiry);
  const saved = state?.ok ? state.data : undefined;
  return (
    <form action={action} className="form" aria-label="Federation settings">
      <FormAlert error={state?.error} />
      {saved && (
        <div className="callout ok" role="status">
          {saved.changed ? 'Saved. Certificates issued from now on follow it.' : 'Nothing changed.'}
        </div>
      )}
      <input type="hidden" name="id" value={id} />
      <Field
        label="Public URL"
        name="publicUrl"
        errors={state?.fieldErrors}
        hint={
          <>
            The base address where peers fetch the CRL and ask OCSP, e.g. <code>http://pki.example.org</code>; put in new certificates. Empty: none.
            {envNote && <> {envNote}</>}
          </>
        }
      >
        {(p) => <input {...p} type="text" inputMode="url" autoCapitalize="none" spellCheck={false} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://pki.example.org" />}
      </Field>
      <label className="checkbox">
        <input type="checkbox" name="allowRenewAfterExpiry" checked={renewAfterExpiry} onChange={(e) => setRenewAfterExpiry(e.target.checked)} />
        Allow renewal after expiry
      </label>
      <p className="small muted">
        When off, a certificate that has run out cannot renew: its node enrolls again with a new token. Revoked certificates never renew.
      </p>
      <div className="form-actions">
        <SubmitButton pendingText="Saving…">Save settings</SubmitButton>
      </div>
    </form>
  );
}
