/**
 * The certificate list at 100,000 rows: every filter returns only matching rows in the
 * promised order, pages chain without gaps or repeats in both directions, and the
 * total is capped rather than counted. The time each query shape takes is measured
 * and printed (the benchmark reports it); no test asserts on time.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, optimizeDatabase, type Db } from '@/db/client';
import { listCertificates, type CertificateListRow, type ListCertificatesParams } from '@/db/queries/certificates';
import { federationStats } from '@/db/queries/dashboard';
import { CERTIFICATE_LIST_CASES, measureCertificateList } from '../helpers/list-bench';
import { ROOT, tempDir } from '../helpers/paths';
import { seedCertificates } from '../helpers/seed';

// FEDPKI_LIST_ROWS=1000000 measures a million.
const ROWS = Number(process.env.FEDPKI_LIST_ROWS ?? 100_000);
const now = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
let db: Db;
let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  tmp = tempDir();
  db = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
  const insert = db.$client.prepare(
    `insert into federations (id, name, ca_url, key_spec, status, default_cert_seconds, provisioner_name, provisioner_kid, root_fingerprint, created_at, created_by)
     values (?, ?, ?, 'EC-P256', 'active', 31536000, ?, ?, 'fp', ?, 'test')`,
  );
  for (const id of ['default', 'fed-b', 'fed-c']) insert.run(id, id, `${id}.example.org:9123`, `fedpki:${id}`, `kid-${id}`, now.getTime());
  seedCertificates(db, { count: ROWS, federationIds: ['default', 'default', 'fed-b', 'fed-c'], now });
  // What the server does on start and hourly: refresh the planner's statistics.
  optimizeDatabase(db);
});

afterAll(() => {
  db?.$client.close();
  tmp?.remove();
});

const statusOf = (r: CertificateListRow) => r.status;

/** The rows of a listing, following `next` in pages of 200, to the end or to `limit` rows. */
function walk(p: ListCertificatesParams, limit = Infinity): CertificateListRow[] {
  const rows: CertificateListRow[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = listCertificates(db, { ...p, now, page: { size: 200, cursor } });
    rows.push(...page.rows);
    cursor = page.next;
    if (!cursor || rows.length >= limit) return rows.slice(0, limit);
  }
  throw new Error('too many pages');
}

describe(`the certificate list at ${ROWS.toLocaleString('en-US')} rows`, () => {
  it('answers a page of 50 and caps the count instead of counting everything', () => {
    const page = listCertificates(db, { now });
    expect(page.rows).toHaveLength(50);
    expect(page.total).toBe(10_000);
    expect(page.totalCapped).toBe(true);
    expect(page.prev).toBeUndefined();
    expect(page.next).toBeDefined();
    const times = page.rows.map((r) => r.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('chains pages both ways without gaps or repeats', () => {
    const seen: string[] = [];
    const firsts: (string | undefined)[] = [];
    let page = listCertificates(db, { now, sort: 'expiry' });
    for (let i = 0; i < 20; i++) {
      firsts.push(page.rows[0]?.serial);
      seen.push(...page.rows.map((r) => r.serial));
      page = listCertificates(db, { now, sort: 'expiry', page: { cursor: page.next } });
    }
    expect(new Set(seen).size).toBe(seen.length);
    const direct = walk({ sort: 'expiry' }, 1000).map((r) => r.serial);
    expect(seen).toEqual(direct);
    // Back from page 21 to page 1, one `prev` at a time.
    for (let i = 19; i >= 0; i--) {
      page = listCertificates(db, { now, sort: 'expiry', page: { cursor: page.prev } });
      expect(page.rows[0]?.serial).toBe(firsts[i]);
      expect(page.rows).toHaveLength(50);
    }
    expect(page.prev).toBeUndefined();
  });

  it('filters by status, federation and expiry, in order', () => {
    const expiring = walk({ expiringWithinDays: 30, federationId: 'fed-b', sort: 'expiry' });
    expect(expiring.length).toBeGreaterThan(100);
    for (const r of expiring) {
      expect(r.federationId).toBe('fed-b');
      expect(statusOf(r)).toBe('valid');
      expect(r.notAfter.getTime()).toBeGreaterThan(now.getTime());
      expect(r.notAfter.getTime()).toBeLessThanOrEqual(now.getTime() + 30 * DAY);
    }
    const after = expiring.map((r) => r.notAfter.getTime());
    expect([...after].sort((a, b) => a - b)).toEqual(after);

    const revoked = walk({ status: 'revoked', sort: 'name' });
    expect(revoked.length).toBeGreaterThan(500);
    expect(revoked.every((r) => r.status === 'revoked')).toBe(true);
    const names = revoked.map((r) => r.commonName.toLowerCase());
    expect([...names].sort()).toEqual(names);

    const expired = listCertificates(db, { now, status: 'expired', page: { size: 200 } });
    expect(expired.rows.every((r) => r.status === 'expired' && r.notAfter <= now)).toBe(true);
  });

  it('finds by name prefix in any case, and by serial prefix', () => {
    const byName = walk({ search: 'COL-123' });
    expect(byName.length).toBeGreaterThan(0);
    expect(byName.every((r) => r.commonName.toLowerCase().startsWith('col-123'))).toBe(true);
    const one = listCertificates(db, { now, page: { size: 1 } }).rows[0]!;
    const bySerial = listCertificates(db, { now, search: one.serial.slice(0, 12) }).rows;
    expect(bySerial.map((r) => r.serial)).toContain(one.serial);
    const withColons = listCertificates(db, { now, search: one.serial.slice(0, 12).match(/../g)!.join(':').toUpperCase() }).rows;
    expect(withColons.map((r) => r.serial)).toContain(one.serial);
    expect(listCertificates(db, { now, search: 'no-such-node' })).toMatchObject({ rows: [], total: 0, totalCapped: false });
  });

  it('treats a tampered cursor as the first page', () => {
    const first = listCertificates(db, { now });
    expect(listCertificates(db, { now, page: { cursor: 'bm90IGEgY3Vyc29y' } }).rows[0]?.serial).toBe(first.rows[0]?.serial);
    expect(listCertificates(db, { now, page: { cursor: '!!!' } }).rows[0]?.serial).toBe(first.rows[0]?.serial);
  });

  it('measures every query shape the portal sends (printed, not asserted)', () => {
    const timings = measureCertificateList(db, { now });
    expect(timings.map((t) => t.case)).toEqual(Object.keys(CERTIFICATE_LIST_CASES));
    const t = performance.now();
    const stats = federationStats(db, { now });
    const dashboardMs = performance.now() - t;
    expect(stats.get('default')?.nodesEnrolled).toBeGreaterThan(0);
    const lines = timings.map((x) => `  ${x.case.padEnd(40)} p50 ${x.p50Ms.toFixed(2).padStart(7)} ms   p95 ${x.p95Ms.toFixed(2).padStart(7)} ms   next pages ≤ ${x.nextPageMaxMs.toFixed(2)} ms`);
    process.stdout.write(`\ncertificate list at ${ROWS} rows:\n${lines.join('\n')}\n  dashboard figures (all federations)        ${dashboardMs.toFixed(2)} ms\n`);
  });
});
