import type { Metadata } from 'next';
import Link from 'next/link';
import { CERTIFICATE_SORTS, CERTIFICATE_STATUSES, type CertificateListStatus, type CertificateSort } from '@/db/queries/vocabulary';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { FederationFilter, FilterActions } from '@/app/_components/filter-bar';
import { StatusBadge } from '@/app/_components/badges';
import { formatDate, relative } from '@/app/_components/format';

export const metadata: Metadata = { title: 'Certificates' };

const SORT_LABELS: Record<CertificateSort, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  expiry: 'Expiring soonest',
  expiry_desc: 'Expiring latest',
  name: 'Name (A–Z)',
};
const EXPIRING = [7, 30, 90];

export default async function CertificatesPage({ searchParams }: { searchParams: SearchParams }) {
  await requireUser();
  const params = await searchParams;
  const rt = runtime();
  const federations = await rt.queries.listFederationSummaries();
  const names = new Map(federations.map((f) => [f.id, f.name]));
  const federationId = names.has(one(params.federation) ?? '') ? one(params.federation) : undefined;
  const statusParam = one(params.status);
  const status = (CERTIFICATE_STATUSES as readonly string[]).includes(statusParam ?? '') ? (statusParam as CertificateListStatus) : undefined;
  const sortParam = one(params.sort);
  // Expired certificates read best most recently expired first (and that order has an index).
  const defaultSort: CertificateSort = status === 'expired' ? 'expiry_desc' : 'newest';
  const sort = (CERTIFICATE_SORTS as readonly string[]).includes(sortParam ?? '') ? (sortParam as CertificateSort) : defaultSort;
  const expiringDays = Number(one(params.expiring));
  const expiring = EXPIRING.includes(expiringDays) ? expiringDays : undefined;
  const search = (one(params.q) ?? '').trim().slice(0, 128);
  const now = new Date();
  const page = await rt.queries.listCertificates({
    federationId,
    status,
    expiringWithinDays: expiring,
    search: search || undefined,
    sort,
    page: { size: 50, cursor: one(params.cursor) },
    now,
  });

  const filters: Record<string, string> = {};
  if (search) filters.q = search;
  if (federationId) filters.federation = federationId;
  if (status) filters.status = status;
  if (expiring) filters.expiring = String(expiring);
  if (sort !== defaultSort) filters.sort = sort;
  const link = (cursor?: string) => `/certificates?${new URLSearchParams({ ...filters, ...(cursor ? { cursor } : {}) })}`;
  const filtered = Object.keys(filters).some((k) => k !== 'sort');

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Certificates</h1>
          <p>Every certificate the federations have issued, with its status.</p>
        </div>
      </div>
      <form className="toolbar" method="get" role="search" aria-label="Find certificates">
        <div className="field grow">
          <label htmlFor="q">Name or serial</label>
          <input id="q" name="q" type="search" defaultValue={search} placeholder="collaborator1, or the start of a serial" autoCapitalize="none" spellCheck={false} />
        </div>
        <FederationFilter federations={federations} value={federationId} />
        <div className="field">
          <label htmlFor="status">Status</label>
          <select id="status" name="status" defaultValue={status ?? ''}>
            <option value="">Any</option>
            {CERTIFICATE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="expiring">Expiring</label>
          <select id="expiring" name="expiring" defaultValue={expiring ?? ''}>
            <option value="">Any time</option>
            {EXPIRING.map((d) => (
              <option key={d} value={d}>
                within {d} days
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="sort">Sort</label>
          <select id="sort" name="sort" defaultValue={sort}>
            {CERTIFICATE_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <FilterActions filtered={filtered} clearHref="/certificates" />
      </form>

      <div className="table-wrap">
        <table className="table stack-sm">
          <caption className="visually-hidden">Certificates, {SORT_LABELS[sort].toLowerCase()}</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Federation</th>
              <th scope="col">Role</th>
              <th scope="col">Serial</th>
              <th scope="col">Expires</th>
              <th scope="col">Issued</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  {filtered ? 'No certificate matches these filters.' : 'No certificates yet: mint a token and enroll a node.'}
                </td>
              </tr>
            )}
            {page.rows.map((c) => {
              const soon = c.status === 'valid' && c.notAfter.getTime() - now.getTime() < 30 * 86_400_000;
              return (
                <tr key={c.serial}>
                  <td className="primary">
                    <Link className="row-link break" href={`/certificates/${c.serial}`}>
                      {c.commonName}
                    </Link>
                    {c.sans.length > 1 && <div className="small muted break">{c.sans.filter((s) => s !== c.commonName).join(', ')}</div>}
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={soon ? 'expiring' : c.status} />
                  </td>
                  <td data-label="Federation">{names.get(c.federationId) ?? c.federationId}</td>
                  <td data-label="Role">{c.role}</td>
                  <td className="mono small" data-label="Serial">{c.serial.slice(0, 16)}…</td>
                  <td className="small nowrap" data-label="Expires">
                    {formatDate(c.notAfter)}
                    <div className="muted">{relative(c.notAfter, now)}</div>
                  </td>
                  <td className="small nowrap" data-label="Issued">{formatDate(c.createdAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="table-foot">
        <span role="status">
          {page.totalCapped ? `More than ${page.total.toLocaleString('en-US')}` : page.total.toLocaleString('en-US')} certificate{page.total === 1 ? '' : 's'}
          {filtered ? (page.total === 1 && !page.totalCapped ? ' matches' : ' match') : ''}.
        </span>
        <nav className="pager" aria-label="Pages">
          {page.prev && (
            <Link className="button secondary small" href={link(page.prev)} rel="prev">
              ← Previous
            </Link>
          )}
          {page.next && (
            <Link className="button secondary small" href={link(page.next)} rel="next">
              Next →
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
