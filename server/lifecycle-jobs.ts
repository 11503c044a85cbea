/**
 * The lifecycle's background work, on timers and never on a request's path:
 *
 * - CRLs: each federation's list is rebuilt when it is missing, two thirds through its
 *   24-hour life, or older than a revocation (one made by a process that could not
 *   publish, e.g. killed in between). The first pass runs right after start.
 * - Expiry webhook: queue and deliver the 30/7/1-day notices (lib/ca/webhook.ts).
 * - Forget used renewal-token ids once they have expired.
 *
 * Each job skips a beat rather than overlapping itself, and logs failures.
 */

import type { CertificateAuthority } from '../lib/ca/authority';
import type { CaStore } from '../lib/ca/store';
import { ExpiryNotifier } from '../lib/ca/webhook';
import type { Logger } from './log';

export interface LifecycleJobsOptions {
  authority: CertificateAuthority;
  store: CaStore;
  log: Logger;
  webhookUrl: () => string | undefined | Promise<string | undefined>;
  version: string;
  /** Seconds between passes. Default 30. */
  intervalSeconds?: number;
}

export interface LifecycleJobs {
  /** One pass of every job (tests, and the first pass after start). */
  runOnce(): Promise<void>;
  stop(): void;
  readonly notifier: ExpiryNotifier;
}

const PURGE_EVERY_MS = 3600_000;

export function startLifecycleJobs(o: LifecycleJobsOptions): LifecycleJobs {
  const notifier = new ExpiryNotifier({
    store: o.store,
    webhookUrl: o.webhookUrl,
    userAgent: `FedPKI/${o.version}`,
    onError: (message, detail) => o.log.warn(message, detail),
  });
  let lastPurge = 0;
  let running: Promise<void> | undefined;

  const crlPass = async () => {
    await o.authority.crls.refreshDue(
      o.authority.keyring.list().map((c) => c.federation.id),
      {
        published: (id, crl) => o.log.info('CRL published', { federation: id, number: crl.number, bytes: crl.der.length }),
        failed: (id, e) => o.log.error('CRL publication failed', { federation: id, error: e as Error }),
      },
    );
  };

  const webhookPass = async () => {
    try {
      const r = await notifier.run();
      if (r.queued || r.delivered || r.retrying || r.failed) o.log.info('expiry notices', { ...r });
    } catch (e) {
      o.log.error('expiry notices failed', { error: e as Error });
    }
  };

  const purgePass = async () => {
    if (Date.now() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = Date.now();
    try {
      await o.store.purgeUsedOnce(new Date());
    } catch (e) {
      o.log.error('purging used token ids failed', { error: e as Error });
    }
  };

  const runOnce = () => {
    running ??= (async () => {
      await crlPass();
      await webhookPass();
      await purgePass();
    })().finally(() => (running = undefined));
    return running;
  };

  const first = setTimeout(() => void runOnce(), 0);
  const timer = setInterval(() => void runOnce(), (o.intervalSeconds ?? 30) * 1000);
  first.unref();
  timer.unref();
  return {
    runOnce,
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
    notifier,
  };
}
