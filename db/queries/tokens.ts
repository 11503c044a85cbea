/** Tokens as the portal lists them — enrollment and revoke tokens — newest first, with their effective state. */

import { and, desc, eq, gt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { tokens } from '../schema';
import type { NodeRole, TokenRecord } from '../../lib/ca/types';

import type { TokenKind, TokenListState } from './vocabulary';

export type { TokenKind, TokenListState } from './vocabulary';

/** A token as the list shows it: its stored record, with "expired" worked out from the time. */
export type TokenListRow = Omit<TokenRecord, 'notBefore' | 'state' | 'binding'> & { state: TokenListState };

export interface ListTokensParams {
  federationId?: string;
  /** Both kinds when absent. */
  kind?: TokenKind;
  state?: TokenListState;
  /** Rows per page, default 50. */
  size?: number;
  /** `next` of the previous page: continues after its last row. */
  cursor?: string;
  now?: Date;
}

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

export function listTokens(db: Db, p: ListTokensParams = {}): { rows: TokenListRow[]; next?: string } {
  const now = p.now ?? new Date();
  const size = Math.min(Math.max(p.size ?? 50, 1), 200);
  const [at, jti] = (p.cursor ?? '').split('.');
  const cursor = at && jti && /^\d+$/.test(at) ? sql`(${tokens.createdAt}, ${tokens.jti}) < (${Number(at)}, ${jti})` : undefined;
  const rows = db
    .select()
    .from(tokens)
    .where(and(p.kind ? eq(tokens.kind, p.kind) : undefined, p.federationId ? eq(tokens.federationId, p.federationId) : undefined, stateCondition(p.state, now), cursor))
    .orderBy(desc(tokens.createdAt), desc(tokens.jti))
    .limit(size + 1)
    .all();
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
export function countOutstandingTokens(db: Db, { now = new Date() }: { now?: Date } = {}): Map<string, number> {
  const rows = db
    .select({ id: tokens.federationId, n: sql<number>`count(*)` })
    .from(tokens)
    .where(and(eq(tokens.state, 'pending'), gt(tokens.expiresAt, now), eq(tokens.kind, 'sign')))
    .groupBy(tokens.federationId)
    .all();
  return new Map(rows.map((r) => [r.id, r.n]));
}
