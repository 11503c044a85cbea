import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { describeCertificate, serialToDecimal } from '@/lib/pki/certificate';
import { parseCrl } from '@/lib/pki/crl';
import { toPem } from '@/lib/pki/pem';
import { can } from '@/lib/auth/roles';
import { crlBuiltAt } from '@/lib/ca/crl';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { StatusBadge } from '@/app/_components/badges';
import { formatDateTime, relative } from '@/app/_components/format';
import { Hex } from '@/app/_components/hex';
import { RenewalPanel } from './renewal';
import { RevocationPanel, reasonLabel } from './revocation';

export const metadata: Metadata = { title: 'Certificate' };

const SOURCES: Record<string, string> = {
  token: 'enrollment token',
  csr: 'uploaded CSR (signed in the portal)',
  renew: 'renewal',
  rekey: 'renewal with a new key',
};

/** The federation's current CRL, and whether it lists `serial` (it is rebuilt after every revocation). */
async function crlStatus(federationId: string, serial: string) {
  const crl = await runtime().store.getCrl(federationId);
  if (!crl) return null;
  return {
    number: crl.number,
    publishedAt: crlBuiltAt(crl),
    nextUpdate: crl.nextUpdate,
    lists: parseCrl(crl.der).entries.some((e) => e.serialNumber === serial),
  };
}

export default async function CertificatePage({ params }: { params: Promise<{ serial: string }> }) {
  const user = await requireUser();
  const { serial } = await params;
  if (!/^[0-9a-f]{1,64}$/.test(serial)) notFound();
  const rt = runtime();
  const now = new Date();
  const cert = await rt.queries.getCertificateDetail({ serial, now });
  if (!cert) notFound();
  const info = await describeCertificate(cert.der);
  const ctx = rt.authority.keyring.get(cert.federationId);
  const federation = await rt.queries.getFederation({ id: cert.federationId });
  const base = `/api/certificates/${serial}`;
  const list = (items: string[]) => (items.length ? items.join(', ') : '—');

  return (
    <>
      <div className="breadcrumbs">
        <Link href="/certificates">Certificates</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1 className="break">
            {cert.commonName} <StatusBadge status={cert.status} />
          </h1>
          <p>
            {cert.role} in <Link href={`/federations/${cert.federationId}`}>{federation?.name ?? cert.federationId}</Link>
            {cert.status === 'valid' && <> · expires {relative(cert.notAfter, now)}</>}
            {cert.renewedBy && <> · renewed</>}
          </p>
        </div>
        <div className="actions">
          <a className="button secondary" href={`${base}/certificate.crt`} download>
            Certificate
          </a>
          <a className="button secondary" href={`${base}/fullchain.crt`} download>
            With chain
          </a>
          {cert.status !== 'revoked' && (
            <a className="button secondary" href={`${base}/openfl.zip`} download>
              OpenFL zip
            </a>
          )}
        </div>
      </div>
      {cert.status === 'revoked' && (
        <div className="callout error" role="status">
          <strong>
            Revoked {formatDateTime(cert.revokedAt)} ({reasonLabel(cert.revocationReason)})
          </strong>
          : peers that check revocation refuse it, whatever its validity dates say. Its files stay here for your records; the node enrolls again with a new token.
        </div>
      )}
      <div className="columns-wide">
        <div className="stack">
          <section className="panel" aria-labelledby="fields">
            <h2 id="fields">Fields</h2>
            <dl className="fields">
              <dt>Subject</dt>
              <dd>{info.subject}</dd>
              <dt>Alternative names</dt>
              <dd>{list(info.sans)}</dd>
              <dt>Issuer</dt>
              <dd>{info.issuer}</dd>
              <dt>Serial</dt>
              <dd>
                <Hex value={info.serialNumber} />
                <div className="mono small muted break">decimal {serialToDecimal(info.serialNumber)}</div>
              </dd>
              <dt>Valid from</dt>
              <dd>{formatDateTime(info.notBefore)}</dd>
              <dt>Valid until</dt>
              <dd>
                {formatDateTime(info.notAfter)}{' '}
                {cert.status === 'revoked' ? (
                  <strong>
                    — revoked {formatDateTime(cert.revokedAt)} ({reasonLabel(cert.revocationReason)})
                  </strong>
                ) : (
                  <span className="muted">({relative(info.notAfter, now)})</span>
                )}
              </dd>
              <dt>Public key</dt>
              <dd>{info.publicKey}</dd>
              <dt>Signature</dt>
              <dd>{info.signatureAlgorithm}</dd>
              <dt>Key usage</dt>
              <dd>{list(info.keyUsage)}</dd>
              <dt>Extended key usage</dt>
              <dd>{list(info.extendedKeyUsage)}</dd>
              <dt>Basic constraints</dt>
              <dd>{info.basicConstraints ? (info.basicConstraints.ca ? 'CA' : 'not a CA') : '—'}</dd>
              <dt>Subject key id</dt>
              <dd>{info.subjectKeyId ? <Hex value={info.subjectKeyId} /> : '—'}</dd>
              <dt>Authority key id</dt>
              <dd>{info.authorityKeyId ? <Hex value={info.authorityKeyId} /> : '—'}</dd>
              {info.crlDistributionPoints.length > 0 && (
                <>
                  <dt>CRL</dt>
                  <dd className="break">{list(info.crlDistributionPoints)}</dd>
                </>
              )}
              {info.ocsp.length + info.caIssuers.length > 0 && (
                <>
                  <dt>Authority information</dt>
                  <dd className="break">{list([...info.ocsp.map((u) => `OCSP ${u}`), ...info.caIssuers.map((u) => `CA ${u}`)])}</dd>
                </>
              )}
              <dt>SHA-256 fingerprint</dt>
              <dd>
                <Hex value={info.fingerprintSha256} />
              </dd>
              <dt>SHA-1 fingerprint</dt>
              <dd>
                <Hex value={info.fingerprintSha1} />
              </dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="pem">
            <div className="panel-head">
              <h2 id="pem">PEM</h2>
              <a href={`${base}/certificate.crt`} download className="small">
                Download
              </a>
            </div>
            <pre className="pem">{toPem(cert.der, 'CERTIFICATE')}</pre>
          </section>
        </div>
        <div className="stack">
          <section className="panel" aria-labelledby="issuance">
            <h2 id="issuance">Issuance</h2>
            <dl className="fields stacked">
              <dt>Issued</dt>
              <dd>{formatDateTime(cert.createdAt)}</dd>
              <dt>Through</dt>
              <dd>{SOURCES[cert.source] ?? cert.source}</dd>
              <dt>By</dt>
              <dd className="break">{cert.issuedBy}</dd>
              {cert.token && (
                <>
                  <dt>Token</dt>
                  <dd className="small">
                    <span className="mono">{cert.tokenJti?.slice(0, 12)}</span> minted by {cert.token.createdBy}, {formatDateTime(cert.token.createdAt)}
                  </dd>
                </>
              )}
              {cert.renewedFrom && (
                <>
                  <dt>Renews</dt>
                  <dd>
                    <Link className="mono small" href={`/certificates/${cert.renewedFrom}`}>
                      {cert.renewedFrom.slice(0, 16)}…
                    </Link>
                  </dd>
                </>
              )}
              {cert.renewedBy && (
                <>
                  <dt>Renewed by</dt>
                  <dd>
                    <Link className="mono small" href={`/certificates/${cert.renewedBy}`}>
                      {cert.renewedBy.slice(0, 16)}…
                    </Link>
                  </dd>
                </>
              )}
            </dl>
          </section>
          <section className="panel" aria-labelledby="chain">
            <h2 id="chain">Chain</h2>
            <ol className="chain">
              <li className="leaf">
                <strong className="break">{info.subject}</strong>
                <div className="small muted">this certificate</div>
              </li>
              {ctx && (
                <>
                  <li>
                    <strong>{ctx.intermediate.fields.subject.text}</strong>
                    <div className="small muted">
                      SHA-256 <Hex value={ctx.intermediate.fingerprint} />
                    </div>
                  </li>
                  <li>
                    <strong>{ctx.root.fields.subject.text}</strong>
                    <div className="small muted">
                      SHA-256 <Hex value={ctx.root.fingerprint} />
                    </div>
                  </li>
                </>
              )}
            </ol>
          </section>
          <RevocationPanel
            serial={cert.serial}
            commonName={cert.commonName}
            status={cert.status}
            revokedAt={cert.revokedAt}
            reasonCode={cert.revocationReason}
            revocation={cert.revocation}
            crl={cert.status === 'revoked' ? await crlStatus(cert.federationId, cert.serial) : null}
            canRevoke={can(user.role, 'cert:revoke')}
          />
          {federation && (
            <RenewalPanel
              status={cert.status}
              commonName={cert.commonName}
              caUrl={federation.caUrl}
              allowRenewAfterExpiry={federation.allowRenewAfterExpiry}
              federationId={federation.id}
              renewedBy={cert.renewedBy}
            />
          )}
        </div>
      </div>
    </>
  );
}
