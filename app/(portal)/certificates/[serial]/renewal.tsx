import Link from 'next/link';
import { CopyButton } from '@/app/_components/copy-button';

export interface RenewalPanelProps {
  status: 'valid' | 'expired' | 'revoked';
  commonName: string;
  federationId: string;
  caUrl: string;
  allowRenewAfterExpiry: boolean;
  renewedBy: string | null;
}

/**
 * Where the holder renews: the public page /renew on the federation's CA URL (the
 * certificate and key are read in the browser; only a signed proof is sent), or
 * `fedpki renew` on the node. Says so plainly when renewal is not possible.
 */
export function RenewalPanel(p: RenewalPanelProps) {
  const page = `https://${p.caUrl}/renew`;
  const command = `fedpki renew -c ${p.commonName}.crt -k ${p.commonName}.key --ca-url ${p.caUrl}`;
  // One option a line, so that the narrow column does not break names at their hyphens.
  const shown = `fedpki renew -c ${p.commonName}.crt \\\n  -k ${p.commonName}.key \\\n  --ca-url ${p.caUrl}`;
  let body: React.ReactNode;
  if (p.status === 'revoked') {
    body = <p className="small">A revoked certificate cannot be renewed: the node enrolls again with a new token.</p>;
  } else if (p.status === 'expired' && !p.allowRenewAfterExpiry) {
    body = (
      <p className="small">
        It has expired, and its federation does not renew expired certificates: the node enrolls again with a new token, or an administrator allows renewal after
        expiry on the <Link href={`/federations/${p.federationId}#settings`}>federation&apos;s page</Link>.
      </p>
    );
  } else {
    body = (
      <>
        <p className="small">
          The holder can renew it at{' '}
          <a href={page} className="break">
            {page}
          </a>{' '}
          with the certificate and its key (the key stays in their browser), or on the node. The new certificate keeps the names and lifetime; this one stays
          valid until it expires.
        </p>
        <pre className="command">{shown}</pre>
        <div className="form-actions">
          <CopyButton text={command} label="Copy command" />
        </div>
      </>
    );
  }
  return (
    <section className="panel" aria-labelledby="renewal">
      <h2 id="renewal">Renewal</h2>
      {p.renewedBy && (
        <p className="small">
          Already renewed by{' '}
          <Link className="mono" href={`/certificates/${p.renewedBy}`}>
            {p.renewedBy.slice(0, 16)}…
          </Link>
          .
        </p>
      )}
      {body}
    </section>
  );
}
