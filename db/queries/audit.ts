/**
 * Reading the audit trail (it is append-only: nothing here or anywhere writes to it
 * except the store's insert). Newest first, keyset-paged on (at, id), which the
 * `audit_*_at_idx` indexes (with their implicit rowid) deliver in order.
 */

import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { auditLog, type AuditRow } from '../schema';

export type { AuditRow };

export interface AuditFilters {
  action?: string;
  /** Exact actor ("user:alice") or a prefix ending in "*" ("token:*"). */
  actor?: string;
  federationId?: string;
  outcome?: 'success' | 'failure';
  /** Entries at or after this time. */
  from?: Date;
  /** Entries before this time. */
  to?: Date;
}

export interface ListAuditParams extends AuditFilters {
  size?: number;
  /** `next` of the previous page. */
  cursor?: string;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function auditWhere(f: AuditFilters): SQL | undefined {
  const actor = f.actor?.trim();
  return and(
    f.action ? eq(auditLog.action, f.action) : undefined,
    actor ? (actor.endsWith('*') ? sql`${auditLog.actor} like ${`${escapeLike(actor.slice(0, -1))}%`} escape '\\'` : eq(auditLog.actor, actor)) : undefined,
    f.federationId ? eq(auditLog.federationId, f.federationId) : undefined,
    f.outcome ? eq(auditLog.outcome, f.outcome) : undefined,
    f.from ? gte(auditLog.at, f.from) : undefined,
    f.to ? lt(auditLog.at, f.to) : undefined,
  );
}

function cursorCondition(cursor: string | undefined): SQL | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(cursor ?? '');
  return m ? sql`(${auditLog.at}, ${auditLog.id}) < (${Number(m[1])}, ${Number(m[2])})` : undefined;
}

const nextCursor = (r: AuditRow) => `${r.at.getTime()}.${r.id}`;

export function listAudit(db: Db, p: ListAuditParams = {}): { rows: AuditRow[]; next?: string } {
  const size = Math.min(Math.max(p.size ?? 50, 1), 500);
  const rows = db
    .select()
    .from(auditLog)
    .where(and(auditWhere(p), cursorCondition(p.cursor)))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(size + 1)
    .all();
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > size && last ? nextCursor(last) : undefined };
}

/** Every matching entry, newest first, read in batches (for the CSV export). */
export function* iterateAudit(db: Db, f: AuditFilters, batch = 1000): Generator<AuditRow> {
  let cursor: string | undefined;
  do {
    const page = listAudit(db, { ...f, size: batch, cursor });
    yield* page.rows;
    cursor = page.next;
  } while (cursor);
}
