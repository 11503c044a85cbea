/**
 * The portal's certificate list at 100,000 and 1,000,000 stored certificates: p95 of
 * each query shape the portal sends (filters, sorts, searches, next pages), and the
 * dashboard's per-federation figures, on a seeded SQLite file with planner statistics.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../lib/ca/authority';
import { nodeCrypto } from '../../lib/crypto/node-crypto';
import { openDatabase, optimizeDatabase } from '../../db/client';
import { federationStats } from '../../db/queries/dashboard';
import { SqliteCaStore } from '../../db/store';
import { measureCertificateList } from '../../test/helpers/list-bench';
import { seedCertificates } from '../../test/helpers/seed';

export interface ListBenchFigure {
  rows: number;
  /** The slowest query shape's p95 (first page). */
  worstP95Ms: number;
  worstCase: string;
  /** Median over the shapes of their p95. */
  medianP95Ms: number;
  /** The slowest next page followed from a first page. */
  nextPageMaxMs: number;
  dashboardMs: number;
  cases: { case: string; p95Ms: number }[];
}

export async function benchCertificateList(quick: boolean): Promise<ListBenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-list-bench-'));
  const db = openDatabase({ file: join(dir, 'fedpki.db'), synchronous: 'NORMAL' });
  try {
    const authority = new CertificateAuthority({ store: new SqliteCaStore(db), password: 'bench password', iterations: 1000, crypto: nodeCrypto() });
    await authority.createFederation({ id: 'default', name: 'Default', caUrl: 'localhost:1' }, { id: 'bench' });
    await authority.createFederation({ id: 'fed-b', name: 'B', caUrl: 'localhost:2' }, { id: 'bench' });
    const out: ListBenchFigure[] = [];
    let stored = 0;
    const now = new Date();
    for (const target of quick ? [20_000] : [100_000, 1_000_000]) {
      seedCertificates(db, { count: target - stored, federationIds: ['default', 'fed-b'], now, seed: target });
      stored = target;
      optimizeDatabase(db);
      const timings = measureCertificateList(db, { iterations: quick ? 5 : 20, now });
      const p95s = timings.map((t) => t.p95Ms).sort((a, b) => a - b);
      const worst = timings.reduce((a, b) => (b.p95Ms > a.p95Ms ? b : a));
      const t0 = performance.now();
      federationStats(db, { now });
      out.push({
        rows: target,
        worstP95Ms: worst.p95Ms,
        worstCase: worst.case,
        medianP95Ms: p95s[Math.floor(p95s.length / 2)]!,
        nextPageMaxMs: Math.max(...timings.map((t) => t.nextPageMaxMs)),
        dashboardMs: performance.now() - t0,
        cases: timings.map((t) => ({ case: t.case, p95Ms: t.p95Ms })),
      });
    }
    return out;
  } finally {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
