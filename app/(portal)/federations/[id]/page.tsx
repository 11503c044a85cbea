import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { can } from '@/lib/auth/roles';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { StatusBadge } from '@/app/_components/badges';
import { formatDate, formatDateTime, formatDuration } from '@/app/_components/format';
import { Hex } from '@/app/_components/hex';
import { CopyButton } from '@/app/_components/copy-button';
import { crlBuiltAt } from '@/lib/ca/crl';
import { splitCaUrl } from '@/lib/ca/names';
import { FederationSettingsForm } from './settings-form';
import { FederationStatusToggle } from './status-toggle';

export const metadata: Metadata = { title: 'Federation' };

export default async function FederationPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser();
  const { id } = await params;
  const query = await searchParams;
  const rt = runtime();
  const record = await rt.queries.getFederation({ id });
  const ctx = record ? rt.authority.keyring.get(id) : undefined;
  if (!record || !ctx) notFound();
  const stats = (await rt.queries.federationStats()).get(id) ?? { nodesEnrolled: 0, expiringSoon: 0, tokensOutstanding: 0 };
  const crl = await rt.store.getCrl(id);
  // FEDPKI_PUBLIC_URL is applied to the first federation at every start (server/run.ts).
  const envFederation = rt.authority.keyring.first();
  const envNote = rt.config.publicUrl && envFederation?.federation.id === id ? 'FEDPKI_PUBLIC_URL is set: it replaces this value at every start.' : undefined;
  const ocspUrl = `${record.publicUrl ?? `https://${record.caUrl}`}/ocsp/${id}`;
  const q = `federation=${encodeURIComponent(id)}`;
  // Its port, as this server has it: one another program holds is tried again every 5 s.
  const portClosed = !rt.listeners.listensOn(record.caUrl);
  const cas = [
    { label: 'Root CA', cert: ctx.root, file: 'root_ca.crt' },
    { label: 'Intermediate CA (signs the nodes)', cert: ctx.intermediate, file: 'intermediate_ca.crt' },
  ];
  return (
    <>
      <div className="breadcrumbs">
        <Link href="/federations">Federations</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1>
            {record.name} <StatusBadge status={record.status} />
          </h1>
          <p className="mono">{record.caUrl}</p>
        </div>
        <div className="actions">
          <a className="button secondary" href={`/api/federations/${id}/root_ca.crt`} download>
            Download root
          </a>
          <a className="button secondary" href={`/api/federations/${id}/cert_chain.crt`} download>
            Download chain
          </a>
          <a className="button secondary" href={`/api/federations/${id}/cols.yaml`} download>
            Export cols.yaml
          </a>
        </div>
      </div>
      {query.created && (
        <div className="callout ok" role="status">
          The federation is ready: its root, intermediate and token key are made. {can(user.role, 'token:mint') && <Link href={`/tokens?${q}#mint`}>Mint its first token →</Link>}
        </div>
      )}
      {portClosed && (
        <div className="callout warn" role="alert">
          Port {splitCaUrl(record.caUrl).port} could not be opened (another program may hold it), so this federation&rsquo;s nodes cannot reach it. Its tokens point there: free the port, and FedPKI opens it within 5 seconds.
        </div>
      )}
      <div className="columns-wide">
        <div className="stack">
          <section className="panel" aria-labelledby="ca">
            <h2 id="ca">Certificate authority</h2>
            <dl className="fields">
              <dt>Id</dt>
              <dd className="mono">{record.id}</dd>
              <dt>Key algorithm</dt>
              <dd>{record.keySpec}</dd>
              <dt>Node certificates last</dt>
              <dd>{formatDuration(record.defaultCertSeconds)} by default</dd>
              <dt>Token issuer</dt>
              <dd className="mono small break">
                {record.provisionerName} · kid {record.provisionerKid}
              </dd>
              <dt>Created</dt>
              <dd>
                {formatDateTime(record.createdAt)} by {record.createdBy}
              </dd>
            </dl>
            {cas.map(({ label, cert, file }) => (
              <div key={file}>
                <h3>{label}</h3>
                <dl className="fields">
                  <dt>Subject</dt>
                  <dd>{cert.fields.subject.text}</dd>
                  <dt>SHA-256 fingerprint</dt>
                  <dd>
                    <Hex value={cert.fingerprint} />
                  </dd>
                  <dt>Valid</dt>
                  <dd>
                    {formatDate(cert.fields.notBefore)} to {formatDate(cert.fields.notAfter)}
                  </dd>
                  <dt>File</dt>
                  <dd>
                    <a href={`/api/federations/${id}/${file}`} download>
                      {file}
                    </a>
                  </dd>
                </dl>
              </div>
            ))}
          </section>
          <section className="panel" aria-labelledby="revocation">
            <h2 id="revocation">Revocation lists</h2>
            <dl className="fields">
              <dt>CRL</dt>
              <dd>
                <a href={`/crl/${id}?pem`} download={`${id}.crl.pem`}>
                  Download (PEM)
                </a>{' '}
                ·{' '}
                <a href={`/crl/${id}`} download={`${id}.crl`}>
                  DER
                </a>
                <div className="small muted">
                  {crl
                    ? `Number ${crl.number}, published ${formatDateTime(crlBuiltAt(crl))}, valid until ${formatDateTime(crl.nextUpdate)}.`
                    : 'Not published yet: the server publishes the first one within a minute (the download builds it now if asked before).'}
                </div>
              </dd>
              <dt>OCSP responder</dt>
              <dd>
                <div className="command-row">
                  <pre className="command">{ocspUrl}</pre>
                  <CopyButton text={ocspUrl} label="Copy OCSP URL" />
                </div>
              </dd>
              <dt>In certificates</dt>
              <dd className="small">
                {record.publicUrl ? (
                  <>
                    <div className="mono break">CRL {record.publicUrl}/crl/{id}</div>
                    <div className="mono break">OCSP {record.publicUrl}/ocsp/{id}</div>
                  </>
                ) : (
                  <>
                    New certificates carry no CRL or OCSP address: set a <a href="#settings">public URL</a> so that peers can find them.
                  </>
                )}
              </dd>
            </dl>
          </section>
        </div>
        <div className="stack">
          <section className="panel" aria-labelledby="nodes">
            <h2 id="nodes">Nodes</h2>
            <ul className="stats">
              <li>
                <Link className="stat" href={`/certificates?${q}&status=valid`}>
                  <span className="stat-value">{stats.nodesEnrolled.toLocaleString('en-US')}</span>
                  <span className="stat-label">Nodes enrolled</span>
                </Link>
              </li>
              <li>
                <Link className={`stat${stats.expiringSoon ? ' attention' : ''}`} href={`/certificates?${q}&expiring=30&sort=expiry`}>
                  <span className="stat-value">{stats.expiringSoon.toLocaleString('en-US')}</span>
                  <span className="stat-label">Expiring in 30 days</span>
                </Link>
              </li>
              <li>
                <Link className="stat" href={`/tokens?${q}&kind=sign&state=pending`}>
                  <span className="stat-value">{stats.tokensOutstanding.toLocaleString('en-US')}</span>
                  <span className="stat-label">Tokens outstanding</span>
                </Link>
              </li>
            </ul>
            <p className="small muted">
              <a href={`/api/federations/${id}/cols.yaml`} download>
                plan/cols.yaml
              </a>{' '}
              lists the collaborators and envoys holding a valid certificate, for OpenFL&apos;s aggregator.
            </p>
          </section>
          <section className="panel" aria-labelledby="settings-title" id="settings">
            <h2 id="settings-title">Settings</h2>
            {can(user.role, 'federation:manage') ? (
              <FederationSettingsForm id={id} publicUrl={record.publicUrl} allowRenewAfterExpiry={record.allowRenewAfterExpiry} envNote={envNote} />
            ) : (
              <dl className="fields stacked">
                <dt>Public URL</dt>
                <dd className="mono break">{record.publicUrl ?? '—'}</dd>
                <dt>Renewal after expiry</dt>
                <dd>{record.allowRenewAfterExpiry ? 'allowed' : 'refused: expired certificates enroll again'}</dd>
              </dl>
            )}
          </section>
          {can(user.role, 'federation:manage') && (
            <section className="panel" aria-labelledby="status">
              <h2 id="status">Status</h2>
              <FederationStatusToggle id={id} name={record.name} status={record.status} />
            </section>
          )}
        </div>
      </div>
    </>
  );
}
