'use client';

import { useState } from 'react';
import type { EnrollStep } from '@/lib/enroll/kit';
import type { KeySpec } from '@/lib/pki/keys';
import styles from './enroll.module.css';
import { useNow } from './hooks';

const STEPS: readonly [EnrollStep, string][] = [
  ['prepare', 'Make the key pair and the certificate request, in this browser'],
  ['submit', 'Send the request and the token to the certificate authority'],
  ['verify', 'Check the certificate that comes back'],
];

/** The steps of an enrollment in progress, with the time spent so far. */
export function Progress({ step, spec }: { step: EnrollStep; spec: KeySpec }) {
  const [startedAt] = useState(() => Date.now());
  const now = useNow(true, 200);
  const current = STEPS.findIndex(([s]) => s === step);
  const seconds = Math.max(0, (now - startedAt) / 1000);
  return (
    <div className={styles.progress}>
      <ol className={styles.steps} aria-live="polite">
        {STEPS.map(([s, text], i) => {
          const state = i < current ? 'done' : i === current ? 'active' : 'todo';
          return (
            <li key={s} data-state={state} aria-current={state === 'active' ? 'step' : undefined}>
              <span className={styles.stepIcon} aria-hidden="true">
                {state === 'done' ? '✓' : i + 1}
              </span>
              <span>
                {text}
                {state === 'done' && <span className={styles.srOnly}> (done)</span>}
              </span>
            </li>
          );
        })}
      </ol>
      <progress className={styles.bar} aria-label="Enrollment in progress" />
      <p className={styles.muted} aria-hidden="true">
        {seconds.toFixed(1)} s
        {step === 'prepare' && spec.startsWith('RSA') && ' — RSA keys take a moment to make; RSA 4096 can take several seconds.'}
      </p>
    </div>
  );
}
