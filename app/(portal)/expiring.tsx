import Link from 'next/link';
import type { CertificateListItem } from '@/db/queries/certificates-expiry';
import { StatusBadge } from '@/app/_components/badges';
import { formatDateTime, timeLeft } from '@/app/_components/format';

/**
 * The dashboard's certificates expiring soon, soonest first. One that a renewal has
 * superseded is expected to run out and says "renewed"; the rest need a renewal.
 */
export function ExpiringList({ rows, total, federationNames, allHref, now }: { rows: CertificateListItem[]; total: number; federationNames: Map<string, string>; allHref: string; now: Date }) {
  if (rows.length === 0) return <p className="muted">No certificate expires in the next 30 days.</p>;
  return (
    <>
      <div className="table-wrap">
        <table className="table stack-sm">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Left</th>
              <th scope="col">Expires</th>
              <th scope="col">Federation</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.serial}>
                <td className="primary">
                  <Link className="row-link break" href={`/certificates/${c.serial}`}>
                    {c.commonName}
                  </Link>
                  <div className="small muted mono">{c.serial.slice(0, 12)}…</div>
                </td>
                <td data-label="Left" className="nowrap">
                  {c.superseded ? (
                    <>
                      <StatusBadge status="renewed" /> <span className="small muted">{timeLeft(c.notAfter, now)}</span>
                    </>
                  ) : (
                    <StatusBadge status="expiring" label={timeLeft(c.notAfter, now)} />
                  )}
                </td>
                <td data-label="Expires" className="small nowrap">
                  {formatDateTime(c.notAfter)}
                </td>
                <td data-label="Federation">{federationNames.get(c.federationId) ?? c.federationId}</td>
                <td data-label="Role">{c.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-foot">
        <span>Soonest first.{rows.some((c) => c.superseded) && ' A renewed certificate stays valid until it expires; its successor carries on.'}</span>
        {total > rows.length && (
          <Link className="button secondary small" href={allHref}>
            All {total.toLocaleString('en-US')} →
          </Link>
        )}
      </div>
    </>
  );
}
