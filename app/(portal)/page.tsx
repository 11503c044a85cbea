import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/roles';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { AuditTable } from '@/app/_components/audit-table';
import { StatusBadge } from '@/app/_components/badges';
import { ExpiringList } from './expiring';

const EXPIRING_SHOWN = 10;

export const metadata: Metadata = { title: 'Dashboard' };

export default async function Dashboard({ searchParams }: { searchParams: SearchParams }) {
  const user = await requireUser();
  const { queries } = runtime();
  const federations = await queries.listFederationSummaries();
  const stats = await queries.federationStats({ expiringWithinDays: 30 });
  const selected = one((await searchParams).federation);
  const selectedFederation = federations.some((f) => f.id === selected) ? selected : undefined;
  const activity = await queries.listAudit({ federationId: selectedFederation, size: 10 });
  const names = new Map(federations.map((f) => [f.id, f.name]));
  const now = new Date();
  const expiring = await queries.listExpiringCertificates({ withinDays: 30, federationId: selectedFederation, now, limit: EXPIRING_SHOWN });
  const expiringTotal = [...stats].filter(([id]) => !selectedFederation || id === selectedFederation).reduce((n, [, s]) => n + s.expiringSoon, 0);
  const scope = selectedFederation ? `federation=${encodeURIComponent(selectedFederation)}&` : '';

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Dashboard</h1>
          <p>
            {federations.length} federation{federations.length === 1 ? '' : 's'} on this certificate authority.
          </p>
        </div>
        <div className="actions">
          {can(user.role, 'token:mint') && (
            <Link className="button" href="/tokens#mint">
              Mint a token
            </Link>
          )}
          {can(user.role, 'csr:sign') && (
            <Link className="button secondary" href="/csr">
              Sign a CSR
            </Link>
          )}
        </div>
      </div>

      <section className="grid" aria-label="Federations">
        {federations.map((f) => {
          const s = stats.get(f.id) ?? { nodesEnrolled: 0, expiringSoon: 0, tokensOutstanding: 0 };
          const q = `federation=${encodeURIComponent(f.id)}`;
          return (
            <article key={f.id} className="panel fed-card">
              <div className="panel-head">
                <div>
                  <h2>
                    <Link href={`/federations/${f.id}`}>{f.name}</Link>
                  </h2>
                  <div className="sub mono">{f.caUrl}</div>
                </div>
                <StatusBadge status={f.status} />
              </div>
              <ul className="stats">
                <li>
                  <Link className="stat" href={`/certificates?${q}&status=valid`}>
                    <span className="stat-value">{s.nodesEnrolled.toLocaleString('en-US')}</span>
                    <span className="stat-label">Nodes enrolled</span>
                  </Link>
                </li>
                <li>
                  <Link className={`stat${s.expiringSoon ? ' attention' : ''}`} href={`/certificates?${q}&expiring=30&sort=expiry`}>
                    <span className="stat-value">{s.expiringSoon.toLocaleString('en-US')}</span>
                    <span className="stat-label">Expiring in 30 days</span>
                  </Link>
                </li>
                <li>
                  <Link className="stat" href={`/tokens?${q}&kind=sign&state=pending`}>
                    <span className="stat-value">{s.tokensOutstanding.toLocaleString('en-US')}</span>
                    <span className="stat-label">Tokens outstanding</span>
                  </Link>
                </li>
              </ul>
            </article>
          );
        })}
      </section>

      {federations.length > 1 && <FederationNav federations={federations} selected={selectedFederation} />}

      <section className="section panel" aria-labelledby="expiring">
        <div className="panel-head">
          <h2 id="expiring">Expiring within 30 days{selectedFederation ? ` in ${names.get(selectedFederation)}` : ''}</h2>
        </div>
        <ExpiringList rows={expiring} total={expiringTotal} federationNames={names} allHref={`/certificates?${scope}expiring=30&sort=expiry`} now={now} />
      </section>

      <section className="section panel" aria-labelledby="activity">
        <div className="panel-head">
          <h2 id="activity">Latest activity</h2>
          <Link className="small" href={selectedFederation ? `/audit?federation=${encodeURIComponent(selectedFederation)}` : '/audit'}>
            Full log →
          </Link>
        </div>
        <AuditTable rows={activity.rows} federationNames={names} compact />
      </section>
    </>
  );
}

/** All · one link per federation: narrows the two lists below it (the cards stay). */
function FederationNav({ federations, selected }: { federations: { id: string; name: string }[]; selected?: string }) {
  return (
    <nav aria-label="Lists of" className="section small inline-nav">
      <span className="muted">Lists below: </span>
      <Link href="/" aria-current={!selected ? 'true' : undefined}>
        All
      </Link>
      {federations.map((f) => (
        <span key={f.id}>
          {' · '}
          <Link href={`/?federation=${encodeURIComponent(f.id)}`} aria-current={selected === f.id ? 'true' : undefined}>
            {f.name}
          </Link>
        </span>
      ))}
    </nav>
  );
}
