import { count, eq } from 'drizzle-orm';
import type { FederationSummary } from '../../queries/federations';
import type { PgDb } from '../client';
import { certificates, federations } from '../schema';

export async function listFederationSummaries(db: PgDb): Promise<FederationSummary[]> {
  const counts = new Map(
    (await db.select({ id: certificates.federationId, n: count() }).from(certificates).groupBy(certificates.federationId)).map((r) => [r.id, r.n]),
  );
  return (await db.select().from(federations).orderBy(federations.createdAt)).map((f) => ({
    id: f.id,
    name: f.name,
    caUrl: f.caUrl,
    status: f.status,
    keySpec: f.keySpec,
    rootFingerprint: f.rootFingerprint,
    createdAt: f.createdAt,
    defaultCertSeconds: f.defaultCertSeconds,
    certificates: counts.get(f.id) ?? 0,
  }));
}

export async function getFederationRow(db: PgDb, { id }: { id: string }) {
  const [row] = await db.select().from(federations).where(eq(federations.id, id));
  return row;
}
