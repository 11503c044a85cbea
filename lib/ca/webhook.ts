/**
 * Expiry notices: when a webhook URL is set, each certificate is announced once per
 * threshold — 30, 7 and 1 days before it expires — with a JSON POST. A certificate
 * that is already inside a window when it is first seen (a short-lived one, or a
 * webhook set up late) gets only the most urgent notice that applies, never a burst
 * of stale ones. Revoked certificates and certificates a renewal has superseded are
 * not announced.
 *
 * Delivery is at-least-once with back-off (1 min, 5 min, 30 min, 2 h, 6 h, then given
 * up), a 10-second timeout per attempt, and runs on a timer in the server: it never
 * sits on the signing path. Receivers can de-duplicate on `X-FedPKI-Delivery`.
 */

import { ActivityType, auditEntry, type AuditEntry } from './audit';
import { CaError } from './errors';
import type { CaStore } from './store';
import type { Actor, ExpiringCertificate, ExpiryNotice } from './types';

export const EXPIRY_THRESHOLDS_DAYS = [30, 7, 1] as const;
export const RETRY_DELAYS_SECONDS = [60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600] as const;
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long a claimed notice is held before another process may retry it. */
export const WEBHOOK_LEASE_MS = 2 * 60_000;
const DAY_MS = 24 * 3600 * 1000;

/** The (from, until] window of certificates whose current threshold is `threshold`. */
export function thresholdWindow(threshold: number, now: Date): { from: Date; until: Date } {
  const sorted = [...EXPIRY_THRESHOLDS_DAYS].sort((a, b) => a - b);
  const lower = sorted.filter((t) => t < threshold).pop();
  return { from: new Date(now.getTime() + (lower ?? 0) * DAY_MS), until: new Date(now.getTime() + threshold * DAY_MS) };
}

/** When to try again after `attempts` failed attempts; undefined once retries are spent. */
export function retryDelaySeconds(attempts: number): number | undefined {
  return RETRY_DELAYS_SECONDS[attempts - 1];
}

/**
 * An expiry webhook URL: http(s), no credentials in it, at most 2,000 characters.
 * @throws CaError validation_failed
 */
export function validateWebhookUrl(input: string): string {
  const text = input.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CaError('validation_failed', 'The webhook URL is not a URL.', { fieldErrors: { webhookUrl: ['Give an http:// or https:// URL.'] } });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || text.length > 2000) {
    throw new CaError('validation_failed', 'The webhook URL must be http:// or https://.', { fieldErrors: { webhookUrl: ['Give an http:// or https:// URL.'] } });
  }
  if (url.username || url.password) {
    throw new CaError('validation_failed', 'Put no user name or password in the webhook URL; it is shown in the portal.', { fieldErrors: { webhookUrl: ['Remove the credentials.'] } });
  }
  return url.toString();
}

export interface ExpiryPayload {
  event: 'certificate.expiring';
  thresholdDays: number;
  daysLeft: number;
  certificate: { serial: string; federation: string; commonName: string; sans: string[]; role: string; notAfter: string };
  sentAt: string;
}

export function expiryPayload(cert: ExpiringCertificate, threshold: number, now: Date): ExpiryPayload {
  return {
    event: 'certificate.expiring',
    thresholdDays: threshold,
    daysLeft: Math.max(0, Math.round(((cert.notAfter.getTime() - now.getTime()) / DAY_MS) * 10) / 10),
    certificate: {
      serial: cert.serial,
      federation: cert.federationId,
      commonName: cert.commonName,
      sans: cert.sans,
      role: cert.role,
      notAfter: cert.notAfter.toISOString(),
    },
    sentAt: now.toISOString(),
  };
}

export type WebhookSender = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<{ status: number }>;

/** POSTs with fetch; redirects are not followed (a 3xx is a failed attempt). */
export const fetchSender: WebhookSender = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  return { status: res.status };
};

export interface ExpiryNotifierOptions {
  store: CaStore;
  /** The configured URL, read on every run (it is a setting an admin may change). */
  webhookUrl: () => string | undefined | Promise<string | undefined>;
  now?: () => Date;
  send?: WebhookSender;
  userAgent?: string;
  /** Notices queued and sent per run. */
  batch?: number;
  onError?: (message: string, detail: Record<string, unknown>) => void;
}

export interface NotifierRun {
  queued: number;
  delivered: number;
  retrying: number;
  failed: number;
}

export class ExpiryNotifier {
  readonly #o: ExpiryNotifierOptions;
  #running?: Promise<NotifierRun>;

  constructor(o: ExpiryNotifierOptions) {
    this.#o = o;
  }

  /** One pass: queue the notices that became due, then attempt the due deliveries. Runs never overlap. */
  run(): Promise<NotifierRun> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<NotifierRun> {
    const out: NotifierRun = { queued: 0, delivered: 0, retrying: 0, failed: 0 };
    const url = await this.#o.webhookUrl();
    if (!url) return out;
    const { store } = this.#o;
    const now = (this.#o.now ?? (() => new Date()))();
    const batch = this.#o.batch ?? 100;
    for (const threshold of EXPIRY_THRESHOLDS_DAYS) {
      const { from, until } = thresholdWindow(threshold, now);
      for (const cert of await store.findExpiryNoticesDue({ threshold, from, until, limit: batch })) {
        await store.enqueueExpiryNotice(cert.serial, threshold, now);
        out.queued++;
      }
    }
    const claimed = await store.claimExpiryNotices({ now, limit: batch, leaseUntil: new Date(now.getTime() + WEBHOOK_LEASE_MS) });
    for (const notice of claimed) {
      const result = await this.#deliver(url, notice, now);
      out[result]++;
    }
    return out;
  }

  async #deliver(url: string, notice: ExpiryNotice, now: Date): Promise<'delivered' | 'retrying' | 'failed'> {
    const send = this.#o.send ?? fetchSender;
    const body = JSON.stringify(expiryPayload(notice.certificate, notice.threshold, now));
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': this.#o.userAgent ?? 'FedPKI',
      'X-FedPKI-Event': 'certificate.expiring',
      'X-FedPKI-Delivery': `${notice.serial}:${notice.threshold}`,
    };
    let error: string | null = null;
    try {
      const { status } = await send(url, body, headers, WEBHOOK_TIMEOUT_MS);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = (e as Error)?.name === 'TimeoutError' ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : ((e as Error)?.message ?? String(e)).slice(0, 200);
    }
    const attempts = notice.attempts + 1;
    const base = { serial: notice.serial, threshold: notice.threshold, attempts, lastError: error };
    const target = notice.serial;
    const federationId = notice.certificate.federationId;
    if (!error) {
      await this.#o.store.finishExpiryNotice({
        ...base,
        state: 'delivered',
        nextAttemptAt: now,
        audit: auditEntry(ActivityType.WEBHOOK_SENT, { at: now, actor: 'system', federationId, target, details: { thresholdDays: notice.threshold, attempts } }),
      });
      return 'delivered';
    }
    const delay = retryDelaySeconds(attempts);
    if (delay === undefined) {
      await this.#o.store.finishExpiryNotice({
        ...base,
        state: 'failed',
        nextAttemptAt: now,
        audit: auditEntry(ActivityType.WEBHOOK_FAILED, { at: now, actor: 'system', federationId, target, outcome: 'failure', details: { thresholdDays: notice.threshold, attempts, error } }),
      });
      this.#o.onError?.('expiry webhook given up', { serial: notice.serial, threshold: notice.threshold, error });
      return 'failed';
    }
    await this.#o.store.finishExpiryNotice({ ...base, state: 'pending', nextAttemptAt: new Date(now.getTime() + delay * 1000) });
    return 'retrying';
  }
}

/** The settings key of the expiry webhook: one URL for the whole CA, or none. */
export const EXPIRY_WEBHOOK_KEY = 'expiry_webhook_url';

/**
 * A change of the expiry webhook URL (null clears it): the validated value and its
 * audit entry, which names only the host — a URL may carry a secret.
 * @throws CaError validation_failed for anything but an http(s) URL without credentials
 */
export function webhookSettingChange(url: string | null, actor: Actor, now = new Date()): { value: string | null; audit: AuditEntry } {
  const value = url === null || url.trim() === '' ? null : validateWebhookUrl(url);
  return {
    value,
    audit: auditEntry(ActivityType.SETTINGS_UPDATED, {
      at: now,
      actor: actor.id,
      sourceIp: actor.sourceIp,
      target: EXPIRY_WEBHOOK_KEY,
      details: value === null ? { cleared: true } : { host: new URL(value).host },
    }),
  };
}

/** The configured URL as read back from settings (anything but a non-empty string is none). */
export function webhookUrlFrom(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}
