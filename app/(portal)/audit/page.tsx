import type { Metadata } from 'next';
import Link from 'next/link';
import { requireUser } from '@/app/_lib/auth';
import { AUDIT_ACTIONS, auditFilterInput, auditFilters } from '@/app/_lib/audit-filters';
import { runtime } from '@/app/_lib/runtime';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { FederationFilter, FilterActions } from '@/app/_components/filter-bar';
import { AuditTable, actionLabel } from '@/app/_components/audit-table';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: SearchParams }) {
  await requireUser();
  const params = await searchParams;
  const input = auditFilterInput((k) => one(params[k]));
  const filters = auditFilters(input);
  const rt = runtime();
  const federations = await rt.queries.listFederationSummaries();
  const names = new Map(federations.map((f) => [f.id, f.name]));
  const page = await rt.queries.listAudit({ ...filters, size: 50, cursor: one(params.after) });
  const query = new URLSearchParams(Object.entries(input).filter((e): e is [string, string] => Boolean(e[1])));
  const filtered = [...query.keys()].length > 0;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p>Every sign-in, token, certificate, signed request and account change, with who, when and from where. Entries can be added, never changed or removed.</p>
        </div>
        <div className="actions">
          <a className="button secondary" href={`/api/audit/export${filtered ? `?${query}` : ''}`} download>
            Export CSV{filtered ? ' (filtered)' : ''}
          </a>
        </div>
      </div>
      <form className="toolbar" method="get" aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="action">Action</label>
          <select id="action" name="action" defaultValue={filters.action ?? ''}>
            <option value="">Any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="actor">Actor</label>
          <input id="actor" name="actor" type="text" defaultValue={input.actor ?? ''} placeholder="user:alice or token:*" autoCapitalize="none" spellCheck={false} />
        </div>
        <FederationFilter federations={federations} value={filters.federationId} allLabel="Any" />
        <div className="field">
          <label htmlFor="outcome">Outcome</label>
          <select id="outcome" name="outcome" defaultValue={filters.outcome ?? ''}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">From</label>
          <input id="from" name="from" type="date" defaultValue={input.from ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="to">To</label>
          <input id="to" name="to" type="date" defaultValue={input.to ?? ''} />
        </div>
        <FilterActions filtered={filtered} clearHref="/audit" />
      </form>
      <AuditTable rows={page.rows} federationNames={names} />
      <div className="table-foot">
        <span>Newest first, times in UTC.</span>
        <nav className="pager" aria-label="Pages">
          {params.after && (
            <Link className="button secondary small" href={`/audit${filtered ? `?${query}` : ''}`}>
              ← Newest
            </Link>
          )}
          {page.next && (
            <Link className="button secondary small" href={`/audit?${new URLSearchParams({ ...Object.fromEntries(query), after: page.next })}`}>
              Older →
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
