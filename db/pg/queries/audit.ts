/**
 * Reading the audit trail on PostgreSQL (see ../../queries/audit.ts): newest first,
 * keyset-paged on (at, id) with the same cursors. An actor prefix ("token:*") matches
 * in any case, as SQLite's LIKE does.
 */

import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { AuditFilters, AuditRow, ListAuditParams } from '../../queries/audit';
import type { PgDb } from '../client';
import { auditLog } from '../schema';
import { storable, timeFromMs } from './text';

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function auditWhere(f: AuditFilters): SQL | undefined {
  const actor = f.actor?.trim();
  if ([f.action, actor, f.federationId].some((s) => s !== undefined && !storable(s))) return sql`false`;
  return and(
    f.action ? eq(auditLog.action, f.action) : undefined,
    actor ? (actor.endsWith('*') ? sql`${auditLog.actor} ilike ${`${escapeLike(actor.slice(0, -1))}%`} escape '\\'` : eq(auditLog.actor, actor)) : undefined,
    f.federationId ? eq(auditLog.federationId, f.federationId) : undefined,
    f.outcome ? eq(auditLog.outcome, f.outcome) : undefined,
    f.from ? gte(auditLog.at, f.from) : undefined,
    f.to ? lt(auditLog.at, f.to) : undefined,
  );
}

function cursorCondition(cursor: string | undefined): SQL | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(cursor ?? '');
  const at = m ? timeFromMs(Number(m[1])) : undefined;
  const id = m ? Number(m[2]) : NaN;
  return at && Number.isSafeInteger(id) ? sql`(${auditLog.at}, ${auditLog.id}) < (${at}, ${id})` : undefined;
}

const nextCursor = (r: AuditRow) => `${r.at.getTime()}.${r.id}`;

export async function listAudit(db: PgDb, p: ListAuditParams = {}): Promise<{ rows: AuditRow[]; next?: string }> {
  const size = Math.min(Math.max(p.size ?? 50, 1), 500);
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(auditWhere(p), cursorCondition(p.cursor)))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(size + 1);
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > size && last ? nextCursor(last) : undefined };
}

/** Every matching entry, newest first, read in batches (for the CSV export). */
export async function* iterateAudit(db: PgDb, f: AuditFilters, batch = 1000): AsyncGenerator<AuditRow> {
  let cursor: string | undefined;
  do {
    const page = await listAudit(db, { ...f, size: batch, cursor });
    yield* page.rows;
    cursor = page.next;
  } while (cursor);
}
