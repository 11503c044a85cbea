'use client';

import { useState } from 'react';
import { focusOnMount } from '@/app/_components/focus';
import { CopyButton } from '@/app/_components/copy-button';
import { CertValidityField, FederationSelectField, type FederationChoice } from '@/app/_components/federation-fields';
import { Field, FieldMessage, FormAlert, useValidatedForm } from '@/app/_components/form';
import { mintTokenAction, type MintedTokenView } from './actions';
import { ROLE_PRESETS, ROLE_PRESET_KEYS, TOKEN_LIFETIMES, mintTokenSchema, type RolePreset } from './schema';

const MINT_FORM = 'Mint an enrollment token';

export function MintTokenForm({ federations, defaultFederation }: { federations: FederationChoice[]; defaultFederation?: string }) {
  const { formProps, errors, error, pending, state } = useValidatedForm(mintTokenSchema, mintTokenAction);
  const [role, setRole] = useState<RolePreset>('collaborator');
  const [federationId, setFederationId] = useState(defaultFederation ?? federations[0]?.id ?? '');
  const [dismissed, setDismissed] = useState<MintedTokenView | undefined>();
  const minted = state?.data && state.data !== dismissed ? state.data : undefined;
  const fed = federations.find((f) => f.id === federationId);
  const preset = ROLE_PRESETS[role];

  if (minted)
    return (
      <MintedToken
        minted={minted}
        onDone={() => {
          setDismissed(minted);
          // The form comes back with the focus on its first field.
          requestAnimationFrame(() => document.querySelector<HTMLElement>(`form[aria-label="${MINT_FORM}"] :is(select, input:not([type=hidden]), textarea)`)?.focus());
        }}
      />
    );

  return (
    <form className="form form-narrow" {...formProps} aria-label={MINT_FORM}>
      <FormAlert error={error} />
      <FederationSelectField federations={federations} value={federationId} onChange={setFederationId} errors={errors} />
      <fieldset>
        <legend>Node role</legend>
        <div className="choices">
          {ROLE_PRESET_KEYS.map((key) => (
            <label key={key} className="choice">
              <input type="radio" name="role" value={key} checked={role === key} onChange={() => setRole(key)} />
              {ROLE_PRESETS[key].label}
            </label>
          ))}
        </div>
        <FieldMessage name="role" errors={errors} />
      </fieldset>
      <Field label={preset.subject === 'fqdn' ? 'Host name (FQDN)' : 'Node name'} name="subject" errors={errors} hint={preset.help}>
        {(p) => <input {...p} type="text" required autoCapitalize="none" spellCheck={false} placeholder={preset.subject === 'fqdn' ? 'agg.example.org' : 'collaborator1'} />}
      </Field>
      {preset.subject === 'fqdn' && (
        <Field label="IP addresses (optional)" name="ipSans" errors={errors} hint="If nodes dial an IP address, list it here; separate several with commas.">
          {(p) => <input {...p} type="text" autoCapitalize="none" spellCheck={false} placeholder="10.0.0.5" />}
        </Field>
      )}
      <Field label="Extra names (optional)" name="extraSans" errors={errors} hint="More DNS names, IPs, e-mail addresses or URIs for the certificate, comma-separated.">
        {(p) => <input {...p} type="text" autoCapitalize="none" spellCheck={false} />}
      </Field>
      <div className="form-row">
        <Field label="Token lifetime" name="ttlSeconds" errors={errors} hint="It works once, within this time.">
          {(p) => (
            <select {...p} defaultValue={86_400}>
              {TOKEN_LIFETIMES.map((t) => (
                <option key={t.seconds} value={t.seconds}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <CertValidityField label="Certificate validity (days)" federation={fed} errors={errors} hint={fed ? `Federation default: ${fed.defaultCertDays} days.` : undefined} required />
      </div>
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending || !federations.length}>
          {pending ? 'Minting…' : 'Mint token'}
        </button>
      </div>
    </form>
  );
}

function MintedToken({ minted, onDone }: { minted: MintedTokenView; onDone: () => void }) {
  const fx = `fx pki certify -n ${minted.subject} -t ${minted.token}`;
  const fedpki = `fedpki certify -n ${minted.subject} -t ${minted.token}`;
  // The focus goes to the warning, which is read first: a live region mounted with its
  // content is not reliably announced, and the button that was pressed is gone.
  return (
    <div className="stack">
      <div className="callout warn" ref={focusOnMount} tabIndex={-1}>
        <strong>Copy the token now: it is shown only this once.</strong> It enrolls <strong>{minted.subject}</strong> in {minted.federationName} one time, until{' '}
        {minted.expiresAt.slice(0, 16).replace('T', ' ')} UTC. Send it to the node&apos;s operator over a channel you trust.
      </div>
      <div className="field">
        <label htmlFor="minted-token">Token</label>
        <div className="secret-box">
          <textarea id="minted-token" readOnly value={minted.token} rows={5} className="mono" onFocus={(e) => e.currentTarget.select()} />
          <div>
            <CopyButton text={minted.token} label="Copy token" className="button small" />
          </div>
        </div>
      </div>
      <div className="field">
        <span className="label">With OpenFL</span>
        <div className="command-row">
          <pre className="command">{fx}</pre>
          <CopyButton text={fx} label="Copy fx command" />
        </div>
      </div>
      <div className="field">
        <span className="label">With the fedpki CLI</span>
        <div className="command-row">
          <pre className="command">{fedpki}</pre>
          <CopyButton text={fedpki} label="Copy fedpki command" />
        </div>
      </div>
      <div className="field">
        <span className="label">In a browser</span>
        <div className="command-row">
          <pre className="command">{minted.enrollUrl}</pre>
          <CopyButton text={minted.enrollUrl} label="Copy link" />
        </div>
        <span className="hint">The token travels after the #, which browsers never send to a server: the node&apos;s key is made in its browser.</span>
      </div>
      <div className="form-actions">
        <button type="button" className="button secondary" onClick={onDone}>
          Done — mint another
        </button>
      </div>
    </div>
  );
}
