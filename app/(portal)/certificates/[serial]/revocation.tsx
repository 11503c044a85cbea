import { formatDateTime } from '@/app/_components/format';

/** RFC 5280 CRLReason values. */
export const REVOCATION_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'key compromise',
  2: 'CA compromise',
  3: 'affiliation changed',
  4: 'superseded',
  5: 'cessation of operation',
  6: 'certificate hold',
  8: 'remove from CRL',
  9: 'privilege withdrawn',
  10: 'AA compromise',
};

/**
 * The certificate's revocation state. Revoking from the portal comes with the
 * lifecycle work (authority.revoke); its form belongs in this panel.
 */
export function RevocationPanel({ status, revokedAt, reason }: { status: string; revokedAt: Date | null; reason: number | null }) {
  return (
    <section className="panel" aria-labelledby="revocation" id="revocation">
      <h2 id="revocation">Revocation</h2>
      {status === 'revoked' ? (
        <p>
          Revoked {formatDateTime(revokedAt)}
          {reason !== null && <> — reason: {REVOCATION_REASONS[reason] ?? `code ${reason}`}</>}.
        </p>
      ) : (
        <p className="muted">This certificate has not been revoked.</p>
      )}
    </section>
  );
}
