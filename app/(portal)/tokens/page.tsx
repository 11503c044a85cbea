import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/roles';
import { normalizeSerial } from '@/lib/pki/certificate';
import type { TokenListRow } from '@/db/queries/tokens';
import { TOKEN_KINDS, TOKEN_LIST_STATES, type TokenKind, type TokenListState } from '@/db/queries/vocabulary';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { FederationFilter } from '@/app/_components/filter-bar';
import { StatusBadge } from '@/app/_components/badges';
import { formatDateTime, relative } from '@/app/_components/format';
import { CancelTokenButton } from './cancel-button';
import { MintTokenForm } from './mint-form';
import { tokenLabel } from './schema';
import { TokenListNotices } from './notices';

export const metadata: Metadata = { title: 'Tokens' };

const KIND_LABELS: Record<TokenKind, string> = { sign: 'enrollment', revoke: 'revocation' };

export default async function TokensPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requireUser();
  const params = await searchParams;
  const rt = runtime();
  const federations = await rt.queries.listFederationSummaries();
  const names = new Map(federations.map((f) => [f.id, f.name]));
  const federationId = names.has(one(params.federation) ?? '') ? one(params.federation) : undefined;
  const stateParam = one(params.state);
  const state = (TOKEN_LIST_STATES as readonly string[]).includes(stateParam ?? '') ? (stateParam as TokenListState) : undefined;
  const kindParam = one(params.kind);
  const kind = (TOKEN_KINDS as readonly string[]).includes(kindParam ?? '') ? (kindParam as TokenKind) : undefined;
  const now = new Date();
  const page = await rt.queries.listTokens({ federationId, kind, state, cursor: one(params.after), now });
  const mintable = federations.filter((f) => f.status === 'active');
  const defaults = new Map(federations.map((f) => [f.id, f.defaultCertSeconds]));
  const filterQuery = new URLSearchParams({ ...(federationId ? { federation: federationId } : {}), ...(kind ? { kind } : {}), ...(state ? { state } : {}) });

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Tokens</h1>
          <p>
            An enrollment token lets one node get one certificate, once, before it expires — with OpenFL&apos;s fx, the fedpki CLI or a browser. A revocation token
            (<code className="nowrap">fedpki get-token --revoke SERIAL</code>) lets its holder revoke one certificate with <code>step ca revoke</code>.
          </p>
        </div>
      </div>

      {!can(user.role, 'token:mint') && (
        <p className="callout info">Your role ({user.role}) can see tokens; operators and administrators mint and cancel them.</p>
      )}
      {can(user.role, 'token:mint') && (
        <section className="panel" id="mint" aria-labelledby="mint-title">
          <h2 id="mint-title">Mint a token</h2>
          {mintable.length ? (
            <MintTokenForm
              federations={mintable.map((f) => ({ id: f.id, name: f.name, defaultCertDays: Math.round((defaults.get(f.id) ?? 0) / 86_400) }))}
              defaultFederation={federationId}
            />
          ) : (
            <p className="muted">Every federation is disabled: enable one to mint tokens.</p>
          )}
        </section>
      )}

      <section className="section" aria-labelledby="list-title">
        <h2 id="list-title" className="visually-hidden">
          Tokens
        </h2>
        <form className="toolbar" method="get" aria-label="Filter tokens">
          <FederationFilter federations={federations} value={federationId} allLabel="All federations" />
          <div className="field">
            <label htmlFor="f-kind">Kind</label>
            <select id="f-kind" name="kind" defaultValue={kind ?? ''}>
              <option value="">Any kind</option>
              {TOKEN_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-state">State</label>
            <select id="f-state" name="state" defaultValue={state ?? ''}>
              <option value="">Any state</option>
              {TOKEN_LIST_STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="form-actions">
            <button type="submit" className="button secondary">
              Filter
            </button>
          </div>
        </form>
        <TokenListNotices>
          <div className="table-wrap">
            <table className="table stack-sm">
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">Kind</th>
                  <th scope="col">State</th>
                  <th scope="col">Federation</th>
                  <th scope="col">Role</th>
                  <th scope="col">Minted</th>
                  <th scope="col">Expires</th>
                  <th scope="col" className="actions-cell">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.rows.length === 0 && (
                  <tr>
                    <td colSpan={8} className="empty">
                      No {kind ? `${KIND_LABELS[kind]} ` : ''}tokens{state ? ` in state “${state}”` : ''} yet.
                    </td>
                  </tr>
                )}
                {page.rows.map((t) => (
                  <tr key={t.jti}>
                    <td className="primary">
                      <TokenSubject kind={t.kind} subject={t.subject} sans={t.sans} />
                      <div className="small muted mono" title="Token id">
                        {t.jti.slice(0, 12)}
                      </div>
                    </td>
                    <td data-label="Kind">{KIND_LABELS[t.kind]}</td>
                    <td data-label="State">
                      <StatusBadge status={t.state} />
                      {t.state === 'used' && t.certSerial && (
                        <div className="small">
                          <Link className="mono" href={`/certificates/${t.certSerial}`}>
                            {t.certSerial.slice(0, 12)}…
                          </Link>
                        </div>
                      )}
                      {t.state === 'cancelled' && t.cancelledBy && <div className="small muted">by {t.cancelledBy}</div>}
                    </td>
                    <td data-label="Federation">{names.get(t.federationId) ?? t.federationId}</td>
                    <td data-label="Role">{t.kind === 'sign' ? t.role : <span className="muted">—</span>}</td>
                    <td className="small" data-label="Minted">
                      {formatDateTime(t.createdAt)}
                      <div className="muted">{t.createdBy}</div>
                    </td>
                    <td className="small" data-label="Expires">
                      <TokenExpiry token={t} now={now} />
                    </td>
                    <td className="actions-cell">
                      {can(user.role, 'token:cancel') && (
                        <CancelTokenButton jti={t.jti} pending={t.state === 'pending'} subject={tokenLabel(t)} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </TokenListNotices>
        <div className="table-foot">
          <span>Newest first.</span>
          <div className="pager">
            {params.after && (
              <Link className="button secondary small" href={`/tokens?${filterQuery}`}>
                ← Newest
              </Link>
            )}
            {page.next && (
              <Link className="button secondary small" href={`/tokens?${new URLSearchParams({ ...Object.fromEntries(filterQuery), after: page.next })}`}>
                Older →
              </Link>
            )}
          </div>
        </div>
      </section>
    </>
  );
}

/** When a pending token expires; a used or cancelled one no longer does, so it says when that happened instead. */
function TokenExpiry({ token: t, now }: { token: TokenListRow; now: Date }) {
  if (t.state === 'used') return <span className="muted">used {formatDateTime(t.usedAt)}</span>;
  if (t.state === 'cancelled') return <span className="muted">cancelled {formatDateTime(t.cancelledAt)}</span>;
  return (
    <span className={t.state === 'expired' ? 'muted' : undefined} title={formatDateTime(t.expiresAt)}>
      {t.state === 'expired' ? `expired ${relative(t.expiresAt, now)}` : relative(t.expiresAt, now)}
    </span>
  );
}

/** An enrollment token names its node; a revoke token, the certificate it may revoke (its subject is the serial in decimal). */
function TokenSubject({ kind, subject, sans }: { kind: TokenKind; subject: string; sans: string[] }) {
  if (kind === 'revoke') {
    const hex = normalizeSerial(subject, 10);
    return (
      <>
        <strong>Revokes a certificate</strong>
        <div className="small mono break">
          {hex ? <Link href={`/certificates/${hex}`}>{hex.slice(0, 16)}…</Link> : subject}
        </div>
      </>
    );
  }
  const extra = sans.filter((s) => s !== subject);
  return (
    <>
      <strong className="break">{subject}</strong>
      {extra.length > 0 && <div className="small muted break">{extra.join(', ')}</div>}
    </>
  );
}
