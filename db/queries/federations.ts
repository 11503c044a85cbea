import { count, eq } from 'drizzle-orm';
import type { Db } from '../client';
import { certificates, federations } from '../schema';

export interface FederationSummary {
  id: string;
  name: string;
  caUrl: string;
  status: 'active' | 'disabled';
  keySpec: string;
  rootFingerprint: string;
  createdAt: Date;
  /** Default leaf lifetime (the token form's default). */
  defaultCertSeconds: number;
  /** How many certificates it has issued: only with `certificateCounts` (a scan of the certificate index). */
  certificates?: number;
}

export interface ListFederationsParams {
  certificateCounts?: boolean;
}

export function listFederationSummaries(db: Db, p: ListFederationsParams = {}): FederationSummary[] {
  const counts = p.certificateCounts
    ? new Map(
        db
          .select({ id: certificates.federationId, n: count() })
          .from(certificates)
          .groupBy(certificates.federationId)
          .all()
          .map((r) => [r.id, r.n]),
      )
    : undefined;
  return db
    .select()
    .from(federations)
    .orderBy(federations.createdAt)
    .all()
    .map((f) => ({ id: f.id, name: f.name, caUrl: f.caUrl, status: f.status, keySpec: f.keySpec, rootFingerprint: f.rootFingerprint, createdAt: f.createdAt, defaultCertSeconds: f.defaultCertSeconds, ...(counts && { certificates: counts.get(f.id) ?? 0 }) }));
}

export function getFederationRow(db: Db, { id }: { id: string }) {
  return db.select().from(federations).where(eq(federations.id, id)).get();
}
