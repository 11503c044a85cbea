'use client';

import type { Ref } from 'react';
import type { TokenSummary } from '@/lib/enroll/kit';
import { formatDateTime } from '@/app/_components/format';
import styles from './enroll.module.css';

/** "2 h 5 min 30 s", "3 days 4 h", or "expired". */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} day${days > 1 ? 's' : ''} ${h} h`;
  if (h > 0) return `${h} h ${min} min ${s % 60} s`;
  return `${min} min ${s % 60} s`;
}

export interface TokenSummaryProps {
  summary: TokenSummary;
  now: number;
  /** Whether the countdown is running (it stops once the certificate is issued). */
  live: boolean;
  headingRef?: Ref<HTMLHeadingElement>;
  onReplace?: () => void;
}

/** What the token says, for the person to check before a key is made. */
export function TokenSummaryCard({ summary, now, live, headingRef, onReplace }: TokenSummaryProps) {
  const remaining = summary.expiresAt.getTime() - now;
  const sameOrigin = typeof window === 'undefined' || summary.caOrigin === window.location.origin;
  return (
    <div className={styles.card}>
      <h3 ref={headingRef} tabIndex={-1} className={styles.cardTitle}>
        Token for <code>{summary.subject}</code>
      </h3>
      <dl className={styles.facts}>
        <dt>Node name</dt>
        <dd>
          <code>{summary.subject}</code> <span className={styles.muted}>(the certificate’s subject)</span>
        </dd>
        <dt>Alternative names</dt>
        <dd>
          {summary.sans.map((s) => (
            <code key={s} className={styles.chip}>
              {s}
            </code>
          ))}
        </dd>
        <dt>Federation</dt>
        <dd>{summary.federation}</dd>
        <dt>Certificate authority</dt>
        <dd>
          <code>{summary.caOrigin}</code>
        </dd>
        {live && (
          <>
            <dt>Token expires in</dt>
            <dd>
              <span className={remaining <= 0 ? styles.expired : remaining < 15 * 60_000 ? styles.soon : undefined} data-testid="countdown">
                {formatRemaining(remaining)}
              </span>{' '}
              <span className={styles.muted}>
                (<time dateTime={summary.expiresAt.toISOString()}>{formatDateTime(summary.expiresAt)}</time>)
              </span>
            </dd>
          </>
        )}
      </dl>
      {!sameOrigin && (
        <p className={styles.note}>
          This token was made for <code>{summary.caOrigin}</code>. Your request will go to this server instead, which accepts it only if it runs the same
          certificate authority.
        </p>
      )}
      <h4 className={styles.fpTitle} id="fp-title">
        Root certificate fingerprint (SHA-256)
      </h4>
      <p className={styles.fingerprint} aria-labelledby="fp-title" data-testid="fingerprint">
        {summary.fingerprintGroups.map((g, i, all) => (
          <span key={i}>
            {g}
            {i < all.length - 1 && ':'}
          </span>
        ))}
      </p>
      <p className={styles.compare}>
        <strong>Compare this fingerprint with the one your administrator gave you</strong> — reading it aloud together, group by group, is best. The
        portal and <code>openssl x509 -noout -fingerprint -sha256</code> print it the same way (upper or lower case does not matter). If any group
        differs, stop: the token is not from your federation’s certificate authority.
      </p>
      <p className={styles.check}>
        <span aria-hidden="true">✓ </span>The root certificate inside the token is the one the token’s signed claims name.
      </p>
      {onReplace && (
        <button type="button" className={styles.link} onClick={onReplace}>
          Use another token
        </button>
      )}
    </div>
  );
}
