'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { MAX_CERT_DAYS } from '@/app/_lib/zod-rules';
import { Field, FormAlert, useValidatedForm } from '@/app/_components/form';
import { createFederationAction } from './actions';
import { KEY_SPECS, createFederationSchema, federationIdFor } from './schema';

export function CreateFederationForm({ suggestedCaUrl }: { suggestedCaUrl: string }) {
  const { formProps, errors, error, pending, state } = useValidatedForm(createFederationSchema, createFederationAction);
  const router = useRouter();
  const href = state?.ok ? state.data?.href : undefined;
  useEffect(() => {
    if (href) router.push(href);
  }, [href, router]);
  const [name, setName] = useState('');
  const id = federationIdFor(name);
  return (
    <form className="form" {...formProps} aria-label="Create a federation">
      <FormAlert error={error} />
      <Field label="Name" name="name" errors={errors} hint={id ? <>Certificates will say “O={name}”. Its id: <code>{id}</code></> : 'Shown in its certificates, e.g. “Brain tumour study”.'}>
        {(p) => <input {...p} type="text" maxLength={48} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="CA URL (host:port)"
        name="caUrl"
        errors={errors}
        hint="Where its nodes reach the CA; tokens point here. Give each federation its own port, or its own host name on a shared port."
      >
        {(p) => <input {...p} type="text" required placeholder={suggestedCaUrl} autoCapitalize="none" spellCheck={false} />}
      </Field>
      <div className="form-row">
        <Field label="Key algorithm" name="keySpec" errors={errors}>
          {(p) => (
            <select {...p} defaultValue="EC-P256">
              {KEY_SPECS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Certificate validity (days)" name="certValidityDays" errors={errors} hint="Default for its nodes; OpenFL uses 365.">
          {(p) => <input {...p} type="number" inputMode="numeric" min={1} max={MAX_CERT_DAYS} defaultValue={365} required />}
        </Field>
      </div>
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending}>
          {pending ? 'Creating keys…' : 'Create federation'}
        </button>
      </div>
    </form>
  );
}
