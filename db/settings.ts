/** Key/value settings (the session secret, the expiry webhook, …). */

import { eq } from 'drizzle-orm';
import { ActivityType, auditEntry } from '../lib/ca/audit';
import type { Actor } from '../lib/ca/types';
import { validateWebhookUrl } from '../lib/ca/webhook';
import type { Db } from './client';
import { auditLog, settings } from './schema';

export function getSetting<T>(db: Db, key: string): T | undefined {
  const row = db.select().from(settings).where(eq(settings.key, key)).get();
  return row ? (row.value as T) : undefined;
}

export function setSetting(db: Db, key: string, value: unknown): void {
  db.insert(settings)
    .values({ key, value, updatedAt: new Date() })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } })
    .run();
}

/** The expiry webhook (lib/ca/webhook.ts): one URL for the whole CA, or none. */
export const EXPIRY_WEBHOOK_KEY = 'expiry_webhook_url';

export function getExpiryWebhookUrl(db: Db): string | undefined {
  const value = getSetting<unknown>(db, EXPIRY_WEBHOOK_KEY);
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * Sets (or with null, clears) the expiry webhook URL and audits the change in one
 * transaction. The audit entry names only the host: a URL may carry a secret.
 * @throws CaError validation_failed for anything but an http(s) URL without credentials
 */
export function setExpiryWebhookUrl(db: Db, url: string | null, actor: Actor, now = new Date()): string | null {
  const value = url === null || url.trim() === '' ? null : validateWebhookUrl(url);
  db.transaction(
    (tx) => {
      if (value === null) tx.delete(settings).where(eq(settings.key, EXPIRY_WEBHOOK_KEY)).run();
      else {
        tx.insert(settings)
          .values({ key: EXPIRY_WEBHOOK_KEY, value, updatedAt: now })
          .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } })
          .run();
      }
      tx.insert(auditLog)
        .values(
          auditEntry(ActivityType.SETTINGS_UPDATED, {
            at: now,
            actor: actor.id,
            sourceIp: actor.sourceIp,
            target: EXPIRY_WEBHOOK_KEY,
            details: value === null ? { cleared: true } : { host: new URL(value).host },
          }),
        )
        .run();
    },
    { behavior: 'immediate' },
  );
  return value;
}
