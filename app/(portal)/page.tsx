import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/roles';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { AuditTable } from '@/app/_components/audit-table';
import { StatusBadge } from '@/app/_components/badges';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function Dashboard({ searchParams }: { searchParams: SearchParams }) {
  const user = await requireUser();
  const { queries } = runtime();
  const federations = await queries.listFederationSummaries();
  const stats = await queries.federationStats({ expiringWithinDays: 30 });
  const selected = one((await searchParams).federation);
  const activityFederation = federations.some((f) => f.id === selected) ? selected : undefined;
  const activity = await queries.listAudit({ federationId: activityFederation, size: 10 });
  const names = new Map(federations.map((f) => [f.id, f.name]));

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
                  <Link className="stat" href={`/tokens?${q}&state=pending`}>
                    <span className="stat-value">{s.tokensOutstanding.toLocaleString('en-US')}</span>
                    <span className="stat-label">Tokens outstanding</span>
                  </Link>
                </li>
              </ul>
            </article>
          );
        })}
      </section>

      <section className="section panel" aria-labelledby="activity">
        <div className="panel-head">
          <h2 id="activity">Latest activity</h2>
          <nav aria-label="Activity of" className="small inline-nav">
            <Link href="/" aria-current={!activityFederation ? 'true' : undefined}>
              All
            </Link>
            {federations.map((f) => (
              <span key={f.id}>
                {' · '}
                <Link href={`/?federation=${encodeURIComponent(f.id)}`} aria-current={activityFederation === f.id ? 'true' : undefined}>
                  {f.name}
                </Link>
              </span>
            ))}
            {' · '}
            <Link href={activityFederation ? `/audit?federation=${encodeURIComponent(activityFederation)}` : '/audit'}>Full log →</Link>
          </nav>
        </div>
        <AuditTable rows={activity.rows} federationNames={names} compact />
      </section>
    </>
  );
}
