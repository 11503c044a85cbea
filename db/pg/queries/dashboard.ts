/**
 * The dashboard's figures per federation on PostgreSQL (see ../../queries/dashboard.ts).
 * Enrolled nodes are counted as distinct (federation, name) pairs first, then per
 * federation: PostgreSQL 15 sorts the input of `count(distinct …)` again even when it
 * comes in order, which took ~2.7 s at 1,000,000 certificates; the pairs stream out of
 * certs_status_federation_cn_idx already distinct-ready.
 */

import { and, count, eq, gt, lte } from 'drizzle-orm';
import type { FederationStats } from '../../queries/dashboard';
import type { PgDb } from '../client';
import { certificates } from '../schema';
import { countOutstandingTokens } from './tokens';

export async function federationStats(db: PgDb, { now = new Date(), expiringWithinDays = 30 }: { now?: Date; expiringWithinDays?: number } = {}): Promise<Map<string, FederationStats>> {
  const valid = and(eq(certificates.status, 'valid'), gt(certificates.notAfter, now));
  const until = new Date(now.getTime() + expiringWithinDays * 86_400_000);
  const [enrolled, expiring, tokens] = await Promise.all([
    enrolledPerFederation(db, valid),
    db
      .select({ id: certificates.federationId, n: count() })
      .from(certificates)
      .where(and(valid, lte(certificates.notAfter, until)))
      .groupBy(certificates.federationId),
    countOutstandingTokens(db, { now }),
  ]);
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

function enrolledPerFederation(db: PgDb, valid: ReturnType<typeof and>) {
  const pairs = db.selectDistinct({ id: certificates.federationId, name: certificates.commonName }).from(certificates).where(valid).as('pairs');
  return db.select({ id: pairs.id, n: count() }).from(pairs).groupBy(pairs.id);
}
