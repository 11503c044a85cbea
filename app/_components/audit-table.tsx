import Link from 'next/link';
import type { AuditRow } from '@/db/schema';
import { StatusBadge } from './badges';
import { formatDateTime } from './format';

const ACRONYMS = new Set(['ca', 'csr', 'crl']);

/** ActivityType values in words: CSR_SIGNED → "CSR signed". */
export function actionLabel(action: string): string {
  const words = action.toLowerCase().split('_').map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function targetLink(row: AuditRow) {
  if (!row.target) return '—';
  if (/^(CERT_|CSR_SIGNED)/.test(row.action) && /^[0-9a-f]+$/.test(row.target)) {
    return (
      <Link href={`/certificates/${row.target}`} className="mono">
        {row.target.slice(0, 16)}…
      </Link>
    );
  }
  return <span className="break">{row.target}</span>;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (v && typeof v === 'object' && 'from' in v && 'to' in v) return `${valueText(v.from)} → ${valueText(v.to)}`;
  return JSON.stringify(v);
}

function detailsText(details: Record<string, unknown> | null): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${valueText(v)}`)
    .join(' · ');
}

export function AuditTable({ rows, federationNames, compact = false }: { rows: AuditRow[]; federationNames: Map<string, string>; compact?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table stack-sm">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            {!compact && <th scope="col">Source</th>}
            <th scope="col">Federation</th>
            <th scope="col">Target</th>
            {!compact && <th scope="col">Details</th>}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={compact ? 5 : 7} className="empty">
                No entries.
              </td>
            </tr>
          )}
          {rows.map((r) => (
            <tr key={r.id}>
              <td className="nowrap small" data-label="Time">{formatDateTime(r.at)}</td>
              <td data-label="Action">
                {actionLabel(r.action)} {r.outcome === 'failure' && !r.action.endsWith('_FAILED') && <StatusBadge status="failure" />}
              </td>
              <td className="nowrap" data-label="Actor">{r.actor}</td>
              {!compact && <td className="mono small" data-label="Source">{r.sourceIp ?? '—'}</td>}
              <td data-label="Federation">{r.federationId ? (federationNames.get(r.federationId) ?? r.federationId) : '—'}</td>
              <td data-label="Target">{targetLink(r)}</td>
              {!compact && <td className="small muted break" data-label="Details">{detailsText(r.details)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
