/** Key/value settings (the session secret, the expiry webhook, …). */

import { eq } from 'drizzle-orm';
import type { AuditEntry } from '../lib/ca/audit';
import type { Db } from './client';
import { guardWrite } from './errors';
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

/** The stored value, or `value` stored now if there was none (the first writer wins). */
export function initSetting<T>(db: Db, key: string, value: T): T {
  db.insert(settings).values({ key, value, updatedAt: new Date() }).onConflictDoNothing({ target: settings.key }).run();
  return getSetting<T>(db, key) as T;
}

/** Stores (or with null, removes) a setting and appends its audit entry in one transaction. */
export function setSettingAudited(db: Db, key: string, value: unknown, audit: AuditEntry): void {
  guardWrite(() =>
    db.transaction(
      (tx) => {
        if (value === null) tx.delete(settings).where(eq(settings.key, key)).run();
        else {
          tx.insert(settings)
            .values({ key, value, updatedAt: audit.at })
            .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: audit.at } })
            .run();
        }
        tx.insert(auditLog).values(audit).run();
      },
      { behavior: 'immediate' },
    ),
  );
}
