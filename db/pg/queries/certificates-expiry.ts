/**
 * The lifecycle's certificate lists on PostgreSQL: the same results as
 * ../../queries/certificates-expiry.ts (see there), awaited. Named as on main, where the
 * portal's paginated list took the name `listCertificates`.
 */

import { and, asc, desc, eq, gt, lte, sql, type SQL } from 'drizzle-orm';
import type { NodeRole } from '../../../lib/ca/types';
import type { CertificateListItem, ListByStateParams } from '../../queries/certificates-expiry';
import type { PgDb } from '../client';
import { certificates } from '../schema';

const DAY = 24 * 3600;

export async function listCertificatesByState(db: PgDb, p: ListByStateParams = {}): Promise<CertificateListItem[]> {
  const now = p.now ?? new Date();
  const where: SQL[] = [];
  if (p.federationId) where.push(eq(certificates.federationId, p.federationId));
  const expiring = p.expiringWithinSeconds !== undefined;
  if (expiring) {
    where.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now), lte(certificates.notAfter, new Date(now.getTime() + p.expiringWithinSeconds! * 1000)));
  } else if (p.state === 'revoked') where.push(eq(certificates.status, 'revoked'));
  else if (p.state === 'valid') where.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now));
  else if (p.state === 'expired') where.push(eq(certificates.status, 'valid'), lte(certificates.notAfter, now));
  const rows = await db
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
      // Spelled out, as on SQLite: inside the subquery an unqualified column would name the inner table.
      superseded: sql<boolean>`exists (select 1 from certificates as renewal where renewal.renewed_from = certificates.serial)`,
    })
    .from(certificates)
    .where(where.length ? and(...where) : undefined)
    .orderBy(expiring ? asc(certificates.notAfter) : desc(certificates.createdAt))
    .limit(p.limit ?? 500);
  return rows.map(({ status, superseded, ...r }) => ({
    ...r,
    role: r.role as NodeRole,
    state: status === 'revoked' ? 'revoked' : r.notAfter.getTime() <= now.getTime() ? 'expired' : 'valid',
    superseded: Boolean(superseded),
  }));
}

/** Valid certificates expiring within `withinDays` (default 30), soonest first. */
export async function listExpiringCertificates(db: PgDb, p: { withinDays?: number; federationId?: string; now?: Date; limit?: number } = {}): Promise<CertificateListItem[]> {
  return listCertificatesByState(db, { federationId: p.federationId, expiringWithinSeconds: (p.withinDays ?? 30) * DAY, now: p.now, limit: p.limit ?? 100 });
}
