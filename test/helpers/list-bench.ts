/**
 * The certificate list's query shapes as the portal sends them, timed on a seeded
 * database. Used by test/integration/certificate-list.integ.ts (which prints the
 * figures, on SQLite and on PostgreSQL) and by the benchmark (which reports them);
 * nothing asserts on time.
 */

import type { Db } from '@/db/client';
import { listCertificates, type CertificatePage, type ListCertificatesParams } from '@/db/queries/certificates';

export const CERTIFICATE_LIST_CASES: Record<string, ListCertificatesParams> = {
  'newest, all': {},
  'newest, one federation': { federationId: 'default' },
  'valid, newest': { status: 'valid' },
  'expired, newest': { status: 'expired' },
  'revoked, by name': { status: 'revoked', sort: 'name' },
  'expiring in 30 days, soonest': { expiringWithinDays: 30, sort: 'expiry' },
  'expiring in 30 days, one federation': { expiringWithinDays: 30, federationId: 'fed-b', sort: 'expiry' },
  'by name': { sort: 'name' },
  'search "col-1", newest': { search: 'col-1' },
  'search "c" (broad), newest': { search: 'c' },
  'search a serial prefix': { search: '7a3f' },
  'search + federation, by name': { search: 'col-5', federationId: 'fed-b', sort: 'name' },
};

export interface ListTiming {
  case: string;
  p50Ms: number;
  p95Ms: number;
  /** The slowest of the next pages followed from the first one. */
  nextPageMaxMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Times each case's first page `iterations` times, and follows `pages` next-page links. */
export function measureCertificateList(db: Db, o: { iterations?: number; pages?: number; now?: Date } = {}): ListTiming[] {
  const iterations = o.iterations ?? 20;
  const out: ListTiming[] = [];
  for (const [name, params] of Object.entries(CERTIFICATE_LIST_CASES)) {
    const p = { ...params, now: o.now };
    const times: number[] = [];
    let first = listCertificates(db, p);
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      first = listCertificates(db, p);
      times.push(performance.now() - t);
    }
    let cursor = first.next;
    let nextPageMaxMs = 0;
    for (let i = 0; i < (o.pages ?? 5) && cursor; i++) {
      const t = performance.now();
      const page = listCertificates(db, { ...p, page: { cursor } });
      nextPageMaxMs = Math.max(nextPageMaxMs, performance.now() - t);
      cursor = page.next;
    }
    times.sort((a, b) => a - b);
    out.push({ case: name, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), nextPageMaxMs });
  }
  return out;
}

/** The same measurement through an asynchronous list (the `Queries` of either database). */
export async function measureCertificateListAsync(
  list: (p: ListCertificatesParams) => Promise<CertificatePage>,
  o: { iterations?: number; pages?: number; now?: Date } = {},
): Promise<ListTiming[]> {
  const iterations = o.iterations ?? 20;
  const out: ListTiming[] = [];
  for (const [name, params] of Object.entries(CERTIFICATE_LIST_CASES)) {
    const p = { ...params, now: o.now };
    const times: number[] = [];
    let first = await list(p);
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      first = await list(p);
      times.push(performance.now() - t);
    }
    let cursor = first.next;
    let nextPageMaxMs = 0;
    for (let i = 0; i < (o.pages ?? 5) && cursor; i++) {
      const t = performance.now();
      const page = await list({ ...p, page: { cursor } });
      nextPageMaxMs = Math.max(nextPageMaxMs, performance.now() - t);
      cursor = page.next;
    }
    times.sort((a, b) => a - b);
    out.push({ case: name, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), nextPageMaxMs });
  }
  return out;
}
