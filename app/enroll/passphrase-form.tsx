'use client';

import { useId, useState } from 'react';
import { MIN_PASSPHRASE_LENGTH, passphraseProblem } from '@/lib/enroll/passphrase';
import styles from './enroll.module.css';

export interface PassphraseFormProps {
  /** The button's text. */
  action: string;
  busy: boolean;
  onSubmit: (passphrase: string) => Promise<void>;
  /** The node name, offered to password managers as the account the passphrase belongs to. */
  username: string;
  /** Shown above the fields. */
  children?: React.ReactNode;
}

/**
 * A passphrase typed twice, then a download. The fields are cleared once the file
 * is made, so the passphrase does not linger in the page.
 */
export function PassphraseForm({ action, busy, onSubmit, username, children }: PassphraseFormProps) {
  const id = useId();
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const problem = passphraseProblem(pass, again);
  return (
    <form
      className={styles.form}
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (problem) return;
        await onSubmit(pass);
        setPass('');
        setAgain('');
        setTried(false);
      }}
    >
      {children}
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <div className={styles.fields}>
        <div>
          <label htmlFor={`${id}-p`} className={styles.label}>
            Passphrase
          </label>
          <input
            id={`${id}-p`}
            type="password"
            autoComplete="new-password"
            className={styles.input}
            value={pass}
            aria-invalid={tried && problem?.field === 'passphrase' ? true : undefined}
            aria-describedby={`${id}-h`}
            onChange={(e) => setPass(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor={`${id}-a`} className={styles.label}>
            The same passphrase again
          </label>
          <input
            id={`${id}-a`}
            type="password"
            autoComplete="new-password"
            className={styles.input}
            value={again}
            aria-invalid={tried && problem?.field === 'confirmation' ? true : undefined}
            aria-describedby={`${id}-h`}
            onChange={(e) => setAgain(e.target.value)}
          />
        </div>
      </div>
      <p id={`${id}-h`} className={tried && problem ? styles.fieldError : styles.help} aria-live="polite">
        {tried && problem ? problem.message : `At least ${MIN_PASSPHRASE_LENGTH} characters. You will need it to open the file; it cannot be recovered.`}
      </p>
      <div className={styles.actions}>
        <button type="submit" className={styles.secondary} disabled={busy}>
          {busy ? 'Encrypting…' : action}
        </button>
      </div>
    </form>
  );
}
