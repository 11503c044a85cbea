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
  certificates: number;
}

export function listFederationSummaries(db: Db): FederationSummary[] {
  const counts = new Map(
    db
      .select({ id: certificates.federationId, n: count() })
      .from(certificates)
      .groupBy(certificates.federationId)
      .all()
      .map((r) => [r.id, r.n]),
  );
  return db
    .select()
    .from(federations)
    .orderBy(federations.createdAt)
    .all()
    .map((f) => ({ id: f.id, name: f.name, caUrl: f.caUrl, status: f.status, keySpec: f.keySpec, rootFingerprint: f.rootFingerprint, createdAt: f.createdAt, defaultCertSeconds: f.defaultCertSeconds, certificates: counts.get(f.id) ?? 0 }));
}

export function getFederationRow(db: Db, { id }: { id: string }) {
  return db.select().from(federations).where(eq(federations.id, id)).get();
}
