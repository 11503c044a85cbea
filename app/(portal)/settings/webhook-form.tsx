'use client';

import { Field, FormAlert, useValidatedForm } from '@/app/_components/form';
import { saveWebhookAction } from './actions';
import { webhookSchema } from './schema';

/** The expiry webhook URL, checked in the browser with the CA's own rule before it is sent. */
export function WebhookForm({ current }: { current?: string }) {
  const { formProps, errors, error, pending, state } = useValidatedForm(webhookSchema, saveWebhookAction);
  const saved = state?.ok ? state.data : undefined;
  return (
    <form className="form form-narrow" {...formProps} aria-label="Expiry webhook">
      <FormAlert error={error} />
      {saved && (
        <div className="callout ok" role="status">
          {!saved.changed ? 'Nothing changed.' : saved.set ? 'Saved: the next pass sends notices to this address.' : 'Removed: no more expiry notices are sent.'}
        </div>
      )}
      <Field label="Webhook URL" name="webhookUrl" errors={errors} hint="http:// or https://, without a user name or password. Empty turns the notices off.">
        {(p) => <input {...p} type="text" inputMode="url" autoCapitalize="none" spellCheck={false} defaultValue={current ?? ''} placeholder="https://alerts.example.org/fedpki" />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending}>
          {pending ? 'Saving…' : 'Save webhook'}
        </button>
      </div>
    </form>
  );
}
