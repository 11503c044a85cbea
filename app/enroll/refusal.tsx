import type { ReactNode } from 'react';
import type { Refusal } from '@/lib/enroll/kit';
import styles from './enroll.module.css';

/** A refusal in plain words: what happened, what to do, and the CA's own words. */
export function RefusalNotice({ refusal, children }: { refusal: Refusal; children?: ReactNode }) {
  return (
    <div role="alert" className={styles.refusal} data-code={refusal.code}>
      <p className={styles.refusalTitle}>{refusal.title}</p>
      <p>{refusal.action}</p>
      {refusal.detail && refusal.detail !== refusal.title && <p className={styles.detail}>Details: {refusal.detail}</p>}
      {children}
    </div>
  );
}
