/** The dashboard's figures per federation. */

import { and, countDistinct, count, eq, gt, lte } from 'drizzle-orm';
import type { Db } from '../client';
import { certificates } from '../schema';
import { countOutstandingTokens } from './tokens';

export interface FederationStats {
  /** Distinct node names holding a valid certificate. */
  nodesEnrolled: number;
  /** Valid certificates whose notAfter is within `expiringWithinDays`. */
  expiringSoon: number;
  /** Pending tokens that have not expired. */
  tokensOutstanding: number;
}

export function federationStats(db: Db, { now = new Date(), expiringWithinDays = 30 }: { now?: Date; expiringWithinDays?: number } = {}): Map<string, FederationStats> {
  const valid = and(eq(certificates.status, 'valid'), gt(certificates.notAfter, now));
  const enrolled = db
    .select({ id: certificates.federationId, n: countDistinct(certificates.commonName) })
    .from(certificates)
    .where(valid)
    .groupBy(certificates.federationId)
    .all();
  const until = new Date(now.getTime() + expiringWithinDays * 86_400_000);
  const expiring = db
    .select({ id: certificates.federationId, n: count() })
    .from(certificates)
    .where(and(valid, lte(certificates.notAfter, until)))
    .groupBy(certificates.federationId)
    .all();
  const tokens = countOutstandingTokens(db, { now });
  const stats = new Map<string, FederationStats>();
  const get = (id: string) => {
    let s = stats.get(id);
    if (!s) stats.set(id, (s = { nodesEnrolled: 0, expiringSoon: 0, tokensOutstanding: 0 }));
    return s;
  };
  for (const r of enrolled) get(r.id).nodesEnrolled = r.n;
  for (const r of expiring) get(r.id).expiringSoon = r.n;
  for (const [id, n] of tokens) get(id).tokensOutstanding = n;
  return stats;
}
