import { count, eq } from 'drizzle-orm';
import type { FederationSummary, ListFederationsParams } from '../../queries/federations';
import type { PgDb } from '../client';
import { certificates, federations } from '../schema';

export async function listFederationSummaries(db: PgDb, p: ListFederationsParams = {}): Promise<FederationSummary[]> {
  const counts = p.certificateCounts
    ? new Map((await db.select({ id: certificates.federationId, n: count() }).from(certificates).groupBy(certificates.federationId)).map((r) => [r.id, r.n]))
    : undefined;
  return (await db.select().from(federations).orderBy(federations.createdAt)).map((f) => ({
    id: f.id,
    name: f.name,
    caUrl: f.caUrl,
    status: f.status,
    keySpec: f.keySpec,
    rootFingerprint: f.rootFingerprint,
    createdAt: f.createdAt,
    defaultCertSeconds: f.defaultCertSeconds,
    ...(counts && { certificates: counts.get(f.id) ?? 0 }),
  }));
}

export async function getFederationRow(db: PgDb, { id }: { id: string }) {
  const [row] = await db.select().from(federations).where(eq(federations.id, id));
  return row;
}
