'use client';

import { useState } from 'react';
import type { Refusal } from '@/lib/enroll/kit';
import styles from './enroll.module.css';
import { RefusalNotice } from './refusal';

export interface TokenFormProps {
  onSubmit: (token: string) => void;
  /** Called when the person starts using the form: time to fetch the crypto code. */
  onFirstUse: () => void;
  checking?: boolean;
  refusal?: Refusal;
}

/**
 * Step 1 before a token is accepted: paste it; it is checked in the browser. The field
 * has no name, so even a native submission before hydration could not put the token
 * in a URL.
 */
export function TokenForm({ onSubmit, onFirstUse, checking, refusal }: TokenFormProps) {
  const [text, setText] = useState('');
  // A refusal is about the text that was checked: editing it clears the refusal.
  const [edited, setEdited] = useState(false);
  const shown = edited ? undefined : refusal;
  const submit = (value: string) => {
    if (!value.trim()) return;
    setEdited(false);
    onSubmit(value.trim());
  };
  return (
    <form
      className={styles.form}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit(text);
      }}
    >
      <label htmlFor="token" className={styles.label}>
        Enrollment token
      </label>
      <p id="token-help" className={styles.help}>
        Paste the token your administrator sent you. It is read and checked here, in this browser: nothing is sent yet.
      </p>
      <textarea
        id="token"
        className={styles.token}
        rows={5}
        spellCheck={false}
        autoComplete="off"
        autoCapitalize="off"
        autoCorrect="off"
        aria-describedby={shown ? 'token-help token-refusal' : 'token-help'}
        aria-invalid={shown ? true : undefined}
        value={text}
        onFocus={onFirstUse}
        onChange={(e) => {
          setText(e.target.value);
          setEdited(true);
        }}
        onPaste={(e) => {
          const pasted = e.clipboardData.getData('text').trim();
          if (!pasted) return;
          e.preventDefault();
          setText(pasted);
          submit(pasted);
        }}
      />
      {shown && <RefusalNotice refusal={shown} id="token-refusal" />}
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={checking || !text.trim()}>
          {checking ? 'Checking…' : 'Check the token'}
        </button>
      </div>
    </form>
  );
}
