/**
 * The certificate list at 100,000 rows: every filter returns only matching rows in the
 * promised order, pages chain without gaps or repeats in both directions, and the
 * total is capped rather than counted. The time each query shape takes is measured
 * and printed (the benchmark reports it); no test asserts on time.
 *
 * It runs in both integration projects, through the portal's `Queries`: on SQLite, and
 * on PostgreSQL — where the very same rows are also stored in a SQLite file and every
 * query shape must answer exactly as SQLite does (rows, totals, cursors). The
 * PostgreSQL database is created with an ICU en-US collation, as production databases
 * usually sort text, while the list must keep SQLite's byte order.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, optimizeDatabase, type Db } from '@/db/client';
import { createQueries, type Queries } from '@/db/queries';
import type { CertificateListRow, ListCertificatesParams } from '@/db/queries/certificates';
import { closePostgres, openPostgres, type PgDb } from '@/db/pg/client';
import { createPgQueries } from '@/db/pg/queries';
import { CERTIFICATE_LIST_CASES, measureCertificateListAsync } from '../helpers/list-bench';
import { ROOT, tempDir } from '../helpers/paths';
import { createDatabase } from '../helpers/postgres';
import { insertSeedRows, insertSeedRowsPg, makeSeedRows, type SeedRow } from '../helpers/seed';
import { testDatabase } from '../helpers/server';

// FEDPKI_LIST_ROWS=1000000 measures a million.
const ROWS = Number(process.env.FEDPKI_LIST_ROWS ?? 100_000);
const ON_POSTGRES = testDatabase() === 'postgres';
const now = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const FEDERATIONS = ['default', 'fed-b', 'fed-c'];
let sqlite: Db;
let pg: PgDb | undefined;
/** The database under test. */
let queries: Queries;
/** SQLite holding the same rows, when PostgreSQL is under test. */
let reference: Queries;
let collation = 'C';
let tmp: ReturnType<typeof tempDir>;

/**
 * Names whose order differs between byte order and a human collation (ICU puts "_"
 * before "-", "~" among the symbols, "ü" next to "u"), to hold the two databases to
 * SQLite's byte order in sorts, prefix searches and name cursors.
 */
function collationProbes(): SeedRow[] {
  const names = ['col_5', 'col-5_b', 'Col.5', 'COL-5~', 'col-5ü', 'col-5u', 'col–5', 'col-5-', 'col5', 'col-9', 'col-9z', 'col-:', 'col_9'];
  return names.flatMap((name, i) =>
    [0, 1].map((copy) => ({
      serial: `7abcdef0${(i * 2 + copy).toString(16).padStart(4, '0')}${'0'.repeat(20)}`,
      federationId: 'fed-b',
      commonName: name,
      role: 'collaborator',
      notBefore: now.getTime() - (i + 1) * 3_600_000,
      notAfter: now.getTime() + (20 + i) * DAY,
      der: Buffer.alloc(16, i),
      fingerprint: `probe-${i}-${copy}`,
      // Two certificates at the same instant: the serial orders them.
      createdAt: now.getTime() - (i + 1) * 3_600_000,
      revoked: false,
    })),
  );
}

beforeAll(async () => {
  tmp = tempDir();
  sqlite = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
  const insert = sqlite.$client.prepare(
    `insert into federations (id, name, ca_url, key_spec, status, default_cert_seconds, provisioner_name, provisioner_kid, root_fingerprint, created_at, created_by)
     values (?, ?, ?, 'EC-P256', 'active', 31536000, ?, ?, 'fp', ?, 'test')`,
  );
  for (const id of FEDERATIONS) insert.run(id, id, `${id}.example.org:9123`, `fedpki:${id}`, `kid-${id}`, now.getTime());
  const rows = [...makeSeedRows({ count: ROWS, federationIds: ['default', 'default', 'fed-b', 'fed-c'], now }), ...collationProbes()];
  insertSeedRows(sqlite, rows);
  // What the server does on start and hourly: refresh the planner's statistics.
  optimizeDatabase(sqlite);
  reference = createQueries(sqlite);
  queries = reference;
  if (!ON_POSTGRES) return;

  const admin = inject('postgresAdminUrl');
  let url: string;
  try {
    url = await createDatabase(admin, 'fedpki_list', { icuLocale: 'en-US' });
    collation = 'ICU en-US';
  } catch {
    url = await createDatabase(admin, 'fedpki_list'); // a server without ICU
  }
  pg = await openPostgres({ url, migrationsFolder: join(ROOT, 'db', 'pg', 'migrations') });
  for (const id of FEDERATIONS) {
    await pg.$client.query(
      `insert into federations (id, name, ca_url, key_spec, status, default_cert_seconds, provisioner_name, provisioner_kid, root_fingerprint, created_at, created_by)
       values ($1, $1, $2, 'EC-P256', 'active', 31536000, $3, $4, 'fp', $5, 'test')`,
      [id, `${id}.example.org:9123`, `fedpki:${id}`, `kid-${id}`, now],
    );
  }
  await insertSeedRowsPg(pg, rows);
  // Autovacuum would get there within a minute: statistics, and the visibility map
  // that lets the counts read indexes alone.
  await pg.$client.query('vacuum analyze certificates');
  queries = createPgQueries(pg);
});

afterAll(async () => {
  if (pg) await closePostgres(pg);
  sqlite?.$client.close();
  tmp?.remove();
});

const list = (p: ListCertificatesParams = {}) => queries.listCertificates({ now, ...p });

/** The rows of a listing, following `next` in pages of 200, to the end or to `limit` rows. */
async function walk(p: ListCertificatesParams, limit = Infinity): Promise<CertificateListRow[]> {
  const rows: CertificateListRow[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await list({ ...p, page: { size: 200, cursor } });
    rows.push(...page.rows);
    cursor = page.next;
    if (!cursor || rows.length >= limit) return rows.slice(0, limit);
  }
  throw new Error('too many pages');
}

describe(`the certificate list at ${ROWS.toLocaleString('en-US')} rows (${testDatabase()})`, () => {
  it('answers a page of 50 and caps the count instead of counting everything', async () => {
    const page = await list();
    expect(page.rows).toHaveLength(50);
    expect(page.total).toBe(10_000);
    expect(page.totalCapped).toBe(true);
    expect(page.prev).toBeUndefined();
    expect(page.next).toBeDefined();
    const times = page.rows.map((r) => r.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('chains pages both ways without gaps or repeats', async () => {
    const seen: string[] = [];
    const firsts: (string | undefined)[] = [];
    let page = await list({ sort: 'expiry' });
    for (let i = 0; i < 20; i++) {
      firsts.push(page.rows[0]?.serial);
      seen.push(...page.rows.map((r) => r.serial));
      page = await list({ sort: 'expiry', page: { cursor: page.next } });
    }
    expect(new Set(seen).size).toBe(seen.length);
    const direct = (await walk({ sort: 'expiry' }, 1000)).map((r) => r.serial);
    expect(seen).toEqual(direct);
    // Back from page 21 to page 1, one `prev` at a time.
    for (let i = 19; i >= 0; i--) {
      page = await list({ sort: 'expiry', page: { cursor: page.prev } });
      expect(page.rows[0]?.serial).toBe(firsts[i]);
      expect(page.rows).toHaveLength(50);
    }
    expect(page.prev).toBeUndefined();
  });

  it('filters by status, federation and expiry, in order', async () => {
    const expiring = await walk({ expiringWithinDays: 30, federationId: 'fed-b', sort: 'expiry' });
    expect(expiring.length).toBeGreaterThan(100);
    for (const r of expiring) {
      expect(r.federationId).toBe('fed-b');
      expect(r.status).toBe('valid');
      expect(r.notAfter.getTime()).toBeGreaterThan(now.getTime());
      expect(r.notAfter.getTime()).toBeLessThanOrEqual(now.getTime() + 30 * DAY);
    }
    const after = expiring.map((r) => r.notAfter.getTime());
    expect([...after].sort((a, b) => a - b)).toEqual(after);

    const revoked = await walk({ status: 'revoked', sort: 'name' });
    expect(revoked.length).toBeGreaterThan(500);
    expect(revoked.every((r) => r.status === 'revoked')).toBe(true);
    const names = revoked.map((r) => r.commonName.toLowerCase());
    expect([...names].sort()).toEqual(names);

    const expired = await list({ status: 'expired', page: { size: 200 } });
    expect(expired.rows.every((r) => r.status === 'expired' && r.notAfter <= now)).toBe(true);
    const created = expired.rows.map((r) => r.createdAt.getTime());
    expect([...created].sort((a, b) => b - a)).toEqual(created);
  });

  it('finds by name prefix in any case, and by serial prefix', async () => {
    const byName = await walk({ search: 'COL-123' });
    expect(byName.length).toBeGreaterThan(0);
    expect(byName.every((r) => r.commonName.toLowerCase().startsWith('col-123'))).toBe(true);
    const one = (await list({ page: { size: 1 } })).rows[0]!;
    const bySerial = (await list({ search: one.serial.slice(0, 12) })).rows;
    expect(bySerial.map((r) => r.serial)).toContain(one.serial);
    const withColons = (await list({ search: one.serial.slice(0, 12).match(/../g)!.join(':').toUpperCase() })).rows;
    expect(withColons.map((r) => r.serial)).toContain(one.serial);
    expect(await list({ search: 'no-such-node' })).toMatchObject({ rows: [], total: 0, totalCapped: false });
    // Byte order: "col-5" is followed by "col-5-", "col-5_b", "col-5u", "col-5~", "col-5ü".
    const probes = (await walk({ search: 'col-5', federationId: 'fed-b', sort: 'name' })).filter((r) => r.serial.startsWith('7abcdef0'));
    expect([...new Set(probes.map((r) => r.commonName))]).toEqual(['col-5-', 'col-5_b', 'col-5u', 'COL-5~', 'col-5ü']);
  });

  it('treats a tampered cursor as the first page, and odd input as no match', async () => {
    const first = await list();
    const forged = (c: object) => Buffer.from(JSON.stringify(c)).toString('base64url');
    for (const cursor of ['bm90IGEgY3Vyc29y', '!!!', forged({ d: 'a', k: 'not a time', s: 'x' }), forged({ d: 'a', k: 1e300, s: 'x' }), forged({ d: 'a', k: 1e300, s: 'x\u0000' })]) {
      expect((await list({ page: { cursor } })).rows[0]?.serial, cursor).toBe(first.rows[0]?.serial);
    }
    const byName = await list({ sort: 'name' });
    expect((await list({ sort: 'name', page: { cursor: forged({ d: 'a', k: 42, s: 'x' }) } })).rows[0]?.serial).toBe(byName.rows[0]?.serial);
    expect(await list({ search: 'col\u0000' })).toMatchObject({ rows: [], total: 0 });
    expect(await list({ federationId: 'fed\u0000' })).toMatchObject({ rows: [], total: 0 });
    expect(await queries.getCertificateDetail({ serial: '7a\u0000' })).toBeUndefined();
  });

  it.runIf(ON_POSTGRES)('answers every query shape exactly as SQLite does: rows, totals and cursors, forwards and back', async () => {
    const one = (await reference.listCertificates({ now, page: { size: 1 } })).rows[0]!;
    const shapes: ListCertificatesParams[] = [...Object.values(CERTIFICATE_LIST_CASES)];
    for (const sort of ['newest', 'oldest', 'expiry', 'expiry_desc', 'name'] as const) {
      for (const filter of [{}, { federationId: 'fed-b' }, { status: 'valid' }, { status: 'expired' }, { status: 'revoked' }, { expiringWithinDays: 30 }] as const) shapes.push({ ...filter, sort });
      for (const search of ['col_', 'col-5', 'col-9', 'Col.', 'node-1', 'api-9', one.serial.slice(0, 7), 'ffff', '79999']) shapes.push({ search, sort });
    }
    for (const shape of shapes) {
      const label = JSON.stringify(shape);
      let [mine, theirs] = [await queries.listCertificates({ ...shape, now }), await reference.listCertificates({ ...shape, now })];
      expect(mine, label).toEqual(theirs);
      for (let i = 0; i < 3 && theirs.next; i++) {
        [mine, theirs] = [await queries.listCertificates({ ...shape, now, page: { cursor: theirs.next } }), await reference.listCertificates({ ...shape, now, page: { cursor: theirs.next } })];
        expect(mine, `${label} next ${i + 1}`).toEqual(theirs);
      }
      if (theirs.prev) {
        expect(await queries.listCertificates({ ...shape, now, page: { cursor: theirs.prev } }), `${label} prev`).toEqual(await reference.listCertificates({ ...shape, now, page: { cursor: theirs.prev } }));
      }
    }
    expect(await queries.federationStats({ now })).toEqual(await reference.federationStats({ now }));
    expect(await queries.listEnrolledCollaborators({ federationId: 'fed-b', now })).toEqual(await reference.listEnrolledCollaborators({ federationId: 'fed-b', now }));
    const detail = await queries.getCertificateDetail({ serial: one.serial, now });
    expect(detail).toEqual(await reference.getCertificateDetail({ serial: one.serial, now }));
  });

  it('measures every query shape the portal sends (printed, not asserted)', async () => {
    const timings = await measureCertificateListAsync((p) => queries.listCertificates(p), { now });
    expect(timings.map((t) => t.case)).toEqual(Object.keys(CERTIFICATE_LIST_CASES));
    const t = performance.now();
    const stats = await queries.federationStats({ now });
    const dashboardMs = performance.now() - t;
    expect(stats.get('default')?.nodesEnrolled).toBeGreaterThan(0);
    const lines = timings.map((x) => `  ${x.case.padEnd(40)} p50 ${x.p50Ms.toFixed(2).padStart(7)} ms   p95 ${x.p95Ms.toFixed(2).padStart(7)} ms   next pages ≤ ${x.nextPageMaxMs.toFixed(2)} ms`);
    const where = ON_POSTGRES ? `PostgreSQL (${collation} database)` : 'SQLite';
    process.stdout.write(`\ncertificate list at ${ROWS} rows, ${where}:\n${lines.join('\n')}\n  dashboard figures (all federations)        ${dashboardMs.toFixed(2)} ms\n`);
  });
});
