import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/roles';
import { ActivityType } from '@/lib/ca/audit';
import { EXPIRY_THRESHOLDS_DAYS, EXPIRY_WEBHOOK_KEY, webhookUrlFrom } from '@/lib/ca/webhook';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { formatDateTime } from '@/app/_components/format';
import { WebhookForm } from './webhook-form';

export const metadata: Metadata = { title: 'Settings' };

/** Where a webhook goes, without path or query: those may carry the receiver's secret. */
function receiverOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/**
 * The CA's settings. Everyone sees them; administrators change them. The webhook's
 * full URL is shown only to administrators (who set it and need to check it): many
 * receivers (Slack, Teams, ntfy…) take their secret in the path or query.
 */
export default async function SettingsPage() {
  const user = await requireUser();
  const rt = runtime();
  const admin = can(user.role, 'settings:manage');
  const webhook = webhookUrlFrom(await rt.database.settings.get(EXPIRY_WEBHOOK_KEY));
  const [changes, sent, failed] = await Promise.all([
    rt.queries.listAudit({ action: ActivityType.SETTINGS_UPDATED, size: 20 }),
    rt.queries.listAudit({ action: ActivityType.WEBHOOK_SENT, size: 1 }),
    rt.queries.listAudit({ action: ActivityType.WEBHOOK_FAILED, size: 1 }),
  ]);
  const lastChange = changes.rows.find((r) => r.target === EXPIRY_WEBHOOK_KEY);
  const lastSent = sent.rows[0];
  const lastFailed = failed.rows[0];
  const summaries = await rt.queries.listFederationSummaries();
  const federations = (await Promise.all(summaries.map((f) => rt.queries.getFederation({ id: f.id })))).filter((f) => f !== undefined);
  const thresholds = `${EXPIRY_THRESHOLDS_DAYS.slice(0, -1).join(', ')} and ${EXPIRY_THRESHOLDS_DAYS.at(-1)}`;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Settings</h1>
          <p>{admin ? 'Settings of this certificate authority.' : `Settings of this certificate authority. Your role (${user.role}) can see them; administrators change them.`}</p>
        </div>
      </div>

      <section className="panel" aria-labelledby="webhook">
        <h2 id="webhook">Expiry webhook</h2>
        <p className="small">
          FedPKI sends one JSON <code>POST</code> per certificate {thresholds} days before it expires (certificates already renewed or revoked are left out) and
          retries failed deliveries for about nine hours. Receivers can drop repeats by the <code>X-FedPKI-Delivery</code> header.
        </p>
        <dl className="fields">
          <dt>Sends to</dt>
          <dd>
            {webhook ? (
              admin ? (
                <span className="mono break">{webhook}</span>
              ) : (
                <>
                  Set, to a receiver at <span className="mono break">{receiverOf(webhook)}</span>
                  <div className="small muted">Only administrators see the full address: it may carry a secret.</div>
                </>
              )
            ) : (
              'Not set: no expiry notices are sent.'
            )}
          </dd>
          {lastChange && (
            <>
              <dt>Last changed</dt>
              <dd>
                {formatDateTime(lastChange.at)} by {lastChange.actor}
              </dd>
            </>
          )}
          <dt>Last delivery</dt>
          <dd>
            {lastSent ? formatDateTime(lastSent.at) : '—'}
            {lastFailed && (
              <div className="small">
                Last given up: {formatDateTime(lastFailed.at)} — <Link href="/audit?action=WEBHOOK_FAILED">see the audit log</Link>
              </div>
            )}
          </dd>
        </dl>
        {admin && (
          <>
            <h3>Change it</h3>
            <WebhookForm current={webhook} />
          </>
        )}
      </section>

      <section className="section" aria-labelledby="federation-settings">
        <h2 id="federation-settings">Per federation</h2>
        <p className="small muted">
          Each federation’s public URL goes into the certificates it issues from then on, as the CRL distribution point and OCSP address; renewal after
          expiry lets a holder renew a certificate that has already run out. {admin ? 'Change them on the federation’s page.' : ''}
        </p>
        <div className="table-wrap">
          <table className="table stack-sm">
            <thead>
              <tr>
                <th scope="col">Federation</th>
                <th scope="col">Public URL</th>
                <th scope="col">Renewal after expiry</th>
                {admin && (
                  <th scope="col" className="actions-cell">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {federations.map((f) => (
                <tr key={f.id}>
                  <td className="primary">
                    <Link className="row-link" href={`/federations/${f.id}`}>
                      {f.name}
                    </Link>
                  </td>
                  <td data-label="Public URL" className="small break">
                    {f.publicUrl ? <span className="mono">{f.publicUrl}</span> : <span className="muted">none: its certificates name no CRL or OCSP address</span>}
                  </td>
                  <td data-label="Renew expired">{f.allowRenewAfterExpiry ? 'allowed' : 'refused'}</td>
                  {admin && (
                    <td className="actions-cell">
                      <Link className="button secondary small" href={`/federations/${f.id}#settings`}>
                        Change<span className="visually-hidden"> {f.name}</span>
                      </Link>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
