/** Key/value settings on PostgreSQL (see ../settings.ts). */

import { eq } from 'drizzle-orm';
import type { PgDb } from './client';
import type { AuditEntry } from '../../lib/ca/audit';
import { auditLog, settings } from './schema';

export async function getSetting<T>(db: PgDb, key: string): Promise<T | undefined> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  return row ? (row.value as T) : undefined;
}

export async function setSetting(db: PgDb, key: string, value: unknown): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value, updatedAt: new Date() })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
}

/**
 * The stored value, or `value` stored now if there was none. Two instances starting
 * together agree on one value (the first insert wins; the other reads it).
 */
export async function initSetting<T>(db: PgDb, key: string, value: T): Promise<T> {
  await db.insert(settings).values({ key, value, updatedAt: new Date() }).onConflictDoNothing({ target: settings.key });
  return (await getSetting<T>(db, key)) as T;
}

/** Stores (or with null, removes) a setting and appends its audit entry in one transaction. */
export async function setSettingAudited(db: PgDb, key: string, value: unknown, audit: AuditEntry): Promise<void> {
  await db.transaction(async (tx) => {
    if (value === null) await tx.delete(settings).where(eq(settings.key, key));
    else {
      await tx
        .insert(settings)
        .values({ key, value, updatedAt: audit.at })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: audit.at } });
    }
    await tx.insert(auditLog).values(audit);
  });
}
