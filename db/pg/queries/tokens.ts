/** Enrollment tokens as the portal lists them, on PostgreSQL (see ../../queries/tokens.ts): the same rows and cursors. */

import { and, count, desc, eq, gt, lte, sql, type SQL } from 'drizzle-orm';
import type { NodeRole } from '../../../lib/ca/types';
import type { ListTokensParams, TokenListRow, TokenListState } from '../../queries/tokens';
import type { PgDb } from '../client';
import { tokens } from '../schema';
import { bytewise, storable, timeFromMs } from './text';

function stateCondition(state: TokenListState | undefined, now: Date): SQL | undefined {
  switch (state) {
    case 'pending':
      return and(eq(tokens.state, 'pending'), gt(tokens.expiresAt, now));
    case 'expired':
      return and(eq(tokens.state, 'pending'), lte(tokens.expiresAt, now));
    case 'used':
      return eq(tokens.state, 'used');
    case 'cancelled':
      return eq(tokens.state, 'cancelled');
    default:
      return undefined;
  }
}

/** `<createdAt ms>.<jti>` → the rows after it; a cursor that is not one starts from the top. */
function cursorCondition(cursor: string | undefined): SQL | undefined {
  const [at, jti] = (cursor ?? '').split('.');
  const time = at && /^\d+$/.test(at) ? timeFromMs(Number(at)) : undefined;
  return time && jti && storable(jti) ? sql`(${tokens.createdAt}, ${bytewise(tokens.jti)}) < (${time}, ${jti})` : undefined;
}

export async function listTokens(db: PgDb, p: ListTokensParams = {}): Promise<{ rows: TokenListRow[]; next?: string }> {
  const now = p.now ?? new Date();
  const size = Math.min(Math.max(p.size ?? 50, 1), 200);
  if (p.federationId && !storable(p.federationId)) return { rows: [] };
  const rows = await db
    .select()
    .from(tokens)
    .where(and(p.kind ? eq(tokens.kind, p.kind) : undefined, p.federationId ? eq(tokens.federationId, p.federationId) : undefined, stateCondition(p.state, now), cursorCondition(p.cursor)))
    .orderBy(desc(tokens.createdAt), desc(bytewise(tokens.jti)))
    .limit(size + 1);
  const page = rows.slice(0, size).map((r) => ({
    jti: r.jti,
    federationId: r.federationId,
    kind: r.kind,
    subject: r.subject,
    sans: r.sans,
    role: r.role as NodeRole,
    certSeconds: r.certSeconds,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    state: (r.state === 'pending' && r.expiresAt <= now ? 'expired' : r.state) as TokenListState,
    usedAt: r.usedAt,
    certSerial: r.certSerial,
    cancelledAt: r.cancelledAt,
    cancelledBy: r.cancelledBy,
  }));
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > size && last ? `${last.createdAt.getTime()}.${last.jti}` : undefined };
}

/** Pending, unexpired sign tokens per federation. */
export async function countOutstandingTokens(db: PgDb, { now = new Date() }: { now?: Date } = {}): Promise<Map<string, number>> {
  const rows = await db
    .select({ id: tokens.federationId, n: count() })
    .from(tokens)
    .where(and(eq(tokens.state, 'pending'), gt(tokens.expiresAt, now), eq(tokens.kind, 'sign')))
    .groupBy(tokens.federationId);
  return new Map(rows.map((r) => [r.id, r.n]));
}
