'use client';

import { useState } from 'react';
import type { KeySpec } from '@/lib/pki/keys';
import styles from './enroll.module.css';

export const KEY_OPTIONS: readonly { spec: KeySpec; label: string; note: string }[] = [
  { spec: 'EC-P384', label: 'ECDSA P-384', note: 'the default; what fx pki certify makes' },
  { spec: 'EC-P256', label: 'ECDSA P-256', note: 'smaller and faster; accepted everywhere OpenFL runs' },
  { spec: 'RSA-2048', label: 'RSA 2048', note: 'for software that needs RSA' },
  { spec: 'RSA-3072', label: 'RSA 3072', note: 'what OpenFL’s own aggregator-workflow certificates use' },
  { spec: 'RSA-4096', label: 'RSA 4096', note: 'slowest: can take several seconds to make' },
];

export function keyLabel(spec: KeySpec): string {
  return KEY_OPTIONS.find((o) => o.spec === spec)?.label ?? spec;
}

export interface KeyChoiceProps {
  onGenerate: (spec: KeySpec) => void;
  /** A key is being made or the certificate requested. */
  busy: boolean;
  disabled?: boolean;
  /** Shown under the button (the progress of a running enrollment). */
  children?: React.ReactNode;
}

/** Step 2: pick the key type and start. */
export function KeyChoice({ onGenerate, busy, disabled, children }: KeyChoiceProps) {
  const [spec, setSpec] = useState<KeySpec>('EC-P384');
  return (
    <form
      className={`${styles.form} ${styles.card}`}
      onSubmit={(e) => {
        e.preventDefault();
        onGenerate(spec);
      }}
    >
      <fieldset className={styles.choices} disabled={busy || disabled}>
        <legend className={styles.label}>Key type</legend>
        {KEY_OPTIONS.map((o) => (
          <label key={o.spec} className={styles.choice}>
            <input type="radio" name="key" value={o.spec} checked={spec === o.spec} onChange={() => setSpec(o.spec)} />
            <span>
              <strong>{o.label}</strong> <span className={styles.muted}>— {o.note}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <p className={styles.help}>
        The key pair is made by this browser’s WebCrypto. Only the certificate request (which holds the public key) and the token are sent.
      </p>
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={busy || disabled}>
          {busy ? 'Working…' : 'Make my key and get the certificate'}
        </button>
      </div>
      {children}
    </form>
  );
}
