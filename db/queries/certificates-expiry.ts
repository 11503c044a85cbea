/**
 * Certificate lists for the lifecycle: what expires soon (the dashboard, `fedpki list
 * --expiring 30d`) and certificates by status (`fedpki list --status revoked`).
 * "expired" is not stored: it is a valid certificate past its notAfter.
 */

import { and, asc, desc, eq, gt, lte, sql, type SQL } from 'drizzle-orm';
import type { NodeRole } from '../../lib/ca/types';
import type { Db } from '../client';
import { certificates } from '../schema';

export type CertificateState = 'valid' | 'revoked' | 'expired';

export interface CertificateListItem {
  serial: string;
  federationId: string;
  commonName: string;
  sans: string[];
  role: NodeRole;
  state: CertificateState;
  notBefore: Date;
  notAfter: Date;
  revokedAt: Date | null;
  revocationReason: number | null;
  source: string;
  renewedFrom: string | null;
  /** A later certificate renewed this one (its expiry is expected, not a problem). */
  superseded: boolean;
}

export interface ListByStateParams {
  federationId?: string;
  state?: CertificateState;
  /** Only valid certificates expiring within this many seconds from `now`. */
  expiringWithinSeconds?: number;
  now?: Date;
  /** Default 500. */
  limit?: number;
}

const DAY = 24 * 3600;

export function listCertificatesByState(db: Db, p: ListByStateParams = {}): CertificateListItem[] {
  const now = p.now ?? new Date();
  const where: SQL[] = [];
  if (p.federationId) where.push(eq(certificates.federationId, p.federationId));
  const expiring = p.expiringWithinSeconds !== undefined;
  if (expiring) {
    where.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now), lte(certificates.notAfter, new Date(now.getTime() + p.expiringWithinSeconds! * 1000)));
  } else if (p.state === 'revoked') where.push(eq(certificates.status, 'revoked'));
  else if (p.state === 'valid') where.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now));
  else if (p.state === 'expired') where.push(eq(certificates.status, 'valid'), lte(certificates.notAfter, now));
  const rows = db
    .select({
      serial: certificates.serial,
      federationId: certificates.federationId,
      commonName: certificates.commonName,
      sans: certificates.sans,
      role: certificates.role,
      status: certificates.status,
      notBefore: certificates.notBefore,
      notAfter: certificates.notAfter,
      revokedAt: certificates.revokedAt,
      revocationReason: certificates.revocationReason,
      source: certificates.source,
      renewedFrom: certificates.renewedFrom,
      // Spelled out: drizzle leaves columns unqualified in a one-table query, which inside this subquery would name the inner table.
      superseded: sql<number>`exists (select 1 from certificates as renewal where renewal.renewed_from = certificates.serial)`,
    })
    .from(certificates)
    .where(where.length ? and(...where) : undefined)
    .orderBy(expiring ? asc(certificates.notAfter) : desc(certificates.createdAt))
    .limit(p.limit ?? 500)
    .all();
  return rows.map(({ status, superseded, ...r }) => ({
    ...r,
    role: r.role as NodeRole,
    state: status === 'revoked' ? 'revoked' : r.notAfter.getTime() <= now.getTime() ? 'expired' : 'valid',
    superseded: Boolean(superseded),
  }));
}

/**
 * Valid certificates expiring within `withinDays` (default 30), soonest first: the
 * dashboard's "expiring soon" list.
 */
export function listExpiringCertificates(db: Db, p: { withinDays?: number; federationId?: string; now?: Date; limit?: number } = {}): CertificateListItem[] {
  return listCertificatesByState(db, { federationId: p.federationId, expiringWithinSeconds: (p.withinDays ?? 30) * DAY, now: p.now, limit: p.limit ?? 100 });
}
