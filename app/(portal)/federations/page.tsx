import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/roles';
import { splitCaUrl } from '@/lib/ca/names';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { StatusBadge } from '@/app/_components/badges';
import { Hex } from '@/app/_components/hex';
import { CreateFederationForm } from './create-form';

export const metadata: Metadata = { title: 'Federations' };

export default async function FederationsPage() {
  const user = await requireUser();
  const rt = runtime();
  const federations = await rt.queries.listFederationSummaries({ certificateCounts: true });
  const ports = federations.map((f) => splitCaUrl(f.caUrl).port);
  const host = splitCaUrl(federations[0]?.caUrl ?? 'localhost:9123').host;
  const suggested = `${host}:${Math.max(9123, ...ports) + 1}`;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Federations</h1>
          <p>Each federation has its own certificate authority: a root, an intermediate that signs its nodes, and a token key.</p>
        </div>
      </div>
      <div className={can(user.role, 'federation:manage') ? 'columns-wide' : undefined}>
        <div className="table-wrap">
          <table className="table stack-sm">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">CA URL</th>
                <th scope="col">Root fingerprint (SHA-256)</th>
                <th scope="col" className="num">Certificates</th>
                <th scope="col">Download</th>
              </tr>
            </thead>
            <tbody>
              {federations.map((f) => (
                <tr key={f.id}>
                  <td className="nowrap primary">
                    <Link className="row-link" href={`/federations/${f.id}`}>
                      {f.name}
                    </Link>{' '}
                    {f.status !== 'active' && <StatusBadge status={f.status} />}
                    <div className="small muted nowrap">{f.keySpec}</div>
                  </td>
                  <td className="mono small nowrap" data-label="CA URL">{f.caUrl}</td>
                  <td className="fp" data-label="Root SHA-256">
                    <Hex value={f.rootFingerprint} />
                  </td>
                  <td className="num" data-label="Certificates">{(f.certificates ?? 0).toLocaleString('en-US')}</td>
                  <td className="nowrap small" data-label="Download">
                    <a href={`/api/federations/${f.id}/root_ca.crt`} download>
                      root
                    </a>
                    {' · '}
                    <a href={`/api/federations/${f.id}/cert_chain.crt`} download>
                      chain
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {can(user.role, 'federation:manage') && (
          <section className="panel" aria-labelledby="create">
            <h2 id="create">Create a federation</h2>
            <CreateFederationForm suggestedCaUrl={suggested} />
          </section>
        )}
      </div>
    </>
  );
}
