'use client';

import type { Ref } from 'react';
import type { EnrolledNode, TokenSummary } from '@/lib/enroll/kit';
import { formatDateTime } from '@/app/_components/format';
import styles from './enroll.module.css';
import { keyLabel } from './key-choice';

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Step 2 once done: which key was made, and how long it took. */
export function KeyMade({ node }: { node: EnrolledNode }) {
  return (
    <p className={styles.check} data-prepare-ms={node.timings.prepare.toFixed(1)}>
      <span aria-hidden="true">✓ </span>
      {keyLabel(node.keySpec)} key pair and certificate request made in this browser in {seconds(node.timings.prepare)}; the CA answered in{' '}
      {seconds(node.timings.submit)}.
    </p>
  );
}

/** The verified certificate, and the checks it passed before being offered. */
export function Result({ node, summary, headingRef }: { node: EnrolledNode; summary: TokenSummary; headingRef?: Ref<HTMLHeadingElement> }) {
  const v = node.verified;
  return (
    <div className={`${styles.card} ${styles.success}`}>
      <h3 ref={headingRef} tabIndex={-1} className={styles.cardTitle}>
        Your certificate is ready
      </h3>
      <ul className={styles.checks}>
        <li>
          <span aria-hidden="true">✓ </span>It chains to the root whose fingerprint you checked ({summary.fingerprintGroups[0]}:…).
        </li>
        <li>
          <span aria-hidden="true">✓ </span>It certifies the key made in this browser.
        </li>
        <li>
          <span aria-hidden="true">✓ </span>It is issued to <code>{node.token.claims.sub}</code>.
        </li>
      </ul>
      <dl className={styles.facts}>
        <dt>Serial number</dt>
        <dd>
          <code className={styles.wrap}>{v.serialNumber}</code>
        </dd>
        <dt>Valid until</dt>
        <dd>
          <time dateTime={v.notAfter.toISOString()}>{formatDateTime(v.notAfter)}</time>
        </dd>
      </dl>
    </div>
  );
}
