'use client';

import { MAX_CERT_DAYS } from '@/app/_lib/zod-rules';
import { Field, type FieldErrors } from './form';

/** A federation a form can issue in, with the certificate lifetime it defaults to. */
export interface FederationChoice {
  id: string;
  name: string;
  defaultCertDays: number;
}

/** The `federationId` select of an issuing form (minting a token, signing a CSR). */
export function FederationSelectField({ federations, value, onChange, errors }: { federations: FederationChoice[]; value: string; onChange: (id: string) => void; errors: FieldErrors }) {
  return (
    <Field label="Federation" name="federationId" errors={errors}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
          {federations.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * The `certValidityDays` input: starts at the chosen federation's default and starts
 * over when the federation changes; capped at what the CA accepts.
 */
export function CertValidityField({ federation, errors, label, hint, required }: { federation?: FederationChoice; errors: FieldErrors; label: string; hint?: string; required?: boolean }) {
  return (
    <Field label={label} name="certValidityDays" errors={errors} hint={hint}>
      {(p) => <input {...p} key={federation?.id} type="number" inputMode="numeric" min={1} max={MAX_CERT_DAYS} defaultValue={federation?.defaultCertDays ?? 365} required={required} />}
    </Field>
  );
}
