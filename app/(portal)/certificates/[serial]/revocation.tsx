import { CRL_REASONS, crlReasonName, type CrlReasonName } from '@/lib/pki/crl';
import { REVOCATION_REASONS } from '@/lib/ca/revoke';
import { formatDateTime } from '@/app/_components/format';
import { RevokeForm, type ReasonChoice } from './revoke-form';

/** RFC 5280 CRLReason names in words, with what each means for a node. */
const REASON_TEXT: Record<CrlReasonName, { label: string; hint?: string }> = {
  unspecified: { label: 'unspecified' },
  keyCompromise: { label: 'key compromise', hint: 'the private key was lost or exposed: every certificate with this key is revoked, and the key is refused from now on' },
  cACompromise: { label: 'CA compromise', hint: 'the issuing CA’s key was exposed' },
  affiliationChanged: { label: 'affiliation changed', hint: 'the node changed owner or organisation' },
  superseded: { label: 'superseded', hint: 'a new certificate replaces it' },
  cessationOfOperation: { label: 'cessation of operation', hint: 'the node is retired' },
  certificateHold: { label: 'certificate hold', hint: 'FedPKI cannot lift a hold: it is final' },
  removeFromCRL: { label: 'remove from CRL' },
  privilegeWithdrawn: { label: 'privilege withdrawn', hint: 'the node may no longer take part' },
  aACompromise: { label: 'AA compromise' },
};

export function reasonLabel(code: number | null): string {
  if (code === null) return 'unspecified';
  const name = crlReasonName(code);
  return name ? REASON_TEXT[name].label : `code ${code}`;
}

/** The reasons the CA accepts (lib/ca/revoke.ts), as the form offers them. */
export const REASON_CHOICES: ReasonChoice[] = REVOCATION_REASONS.map((name) => ({ code: CRL_REASONS[name], ...REASON_TEXT[name] }));

const CHANNELS: Record<string, string> = {
  portal: 'in the portal',
  cli: 'with the fedpki CLI',
  'api-token': 'with a revoke token (step ca revoke)',
  'api-mtls': 'by the certificate itself (mutual TLS)',
};

export interface RevocationPanelProps {
  serial: string;
  commonName: string;
  status: 'valid' | 'expired' | 'revoked';
  revokedAt: Date | null;
  reasonCode: number | null;
  revocation: { actor: string; via: string; note: string | null } | null;
  /** The federation's current CRL: its number, when it was made, whether it lists this certificate. */
  crl: { number: number; publishedAt: Date; nextUpdate: Date; lists: boolean } | null;
  canRevoke: boolean;
}

/** The certificate's revocation state and, for administrators, the form that revokes it. */
export function RevocationPanel(p: RevocationPanelProps) {
  return (
    <section className="panel" aria-labelledby="revocation">
      <h2 id="revocation">Revocation</h2>
      {p.status === 'revoked' ? (
        <>
          <dl className="fields stacked">
            <dt>Revoked</dt>
            <dd>{formatDateTime(p.revokedAt)}</dd>
            <dt>Reason</dt>
            <dd>{reasonLabel(p.reasonCode)}</dd>
            {p.revocation && (
              <>
                <dt>By</dt>
                <dd className="break">
                  {p.revocation.actor} {CHANNELS[p.revocation.via] ?? `via ${p.revocation.via}`}
                </dd>
                {p.revocation.note && (
                  <>
                    <dt>Note</dt>
                    <dd className="break">{p.revocation.note}</dd>
                  </>
                )}
              </>
            )}
          </dl>
          <p className="small muted">
            OCSP answers “revoked”.{' '}
            {p.crl?.lists
              ? `CRL number ${p.crl.number} lists it (published ${formatDateTime(p.crl.publishedAt)}, valid until ${formatDateTime(p.crl.nextUpdate)}).`
              : 'The next CRL lists it: the server rebuilds the CRL shortly after every revocation.'}
          </p>
        </>
      ) : p.canRevoke ? (
        <>
          <p className="small muted">
            Revoking is final: peers that check the CRL or OCSP refuse this certificate from then on. The node needs a new token to enroll again.
          </p>
          <RevokeForm serial={p.serial} commonName={p.commonName} reasons={REASON_CHOICES} />
        </>
      ) : (
        <p className="muted">This certificate has not been revoked. Administrators can revoke it here.</p>
      )}
    </section>
  );
}
