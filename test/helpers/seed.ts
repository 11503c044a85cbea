/**
 * Fills a database with synthetic certificate rows for list and dashboard
 * measurements (the benchmark and test/integration/certificate-list.integ.ts). The
 * rows are shaped like real ones — spread over federations, roles, ages and expiry
 * dates, 1% revoked — but their DER is random bytes: listing never parses it. The same
 * rows can be stored in SQLite and in PostgreSQL (`makeSeedRows`, then each insert).
 */

import { randomBytes } from 'node:crypto';
import type { Db } from '@/db/client';
import type { PgDb } from '@/db/pg/client';

export interface SeedCertificatesParams {
  count: number;
  /** Federation ids to spread the rows over; they must exist. */
  federationIds: string[];
  now?: Date;
  /** Deterministic spread; default 1. */
  seed?: number;
}

const DAY = 86_400_000;
const ROLES = ['collaborator', 'collaborator', 'collaborator', 'envoy', 'aggregator', 'director', 'api'];

/** A small deterministic generator (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One synthetic certificate row; times in milliseconds. */
export interface SeedRow {
  serial: string;
  federationId: string;
  commonName: string;
  role: string;
  notBefore: number;
  notAfter: number;
  der: Buffer;
  fingerprint: string;
  createdAt: number;
  revoked: boolean;
}

/** The rows `seedCertificates` stores: to store the very same rows in SQLite and PostgreSQL. */
export function makeSeedRows(p: SeedCertificatesParams): SeedRow[] {
  return [...seedRows(p)];
}

function* seedRows(p: SeedCertificatesParams): Generator<SeedRow> {
  const now = (p.now ?? new Date()).getTime();
  const rnd = random(p.seed ?? 1);
  // Issued over the past 400 days, one row after another, each valid 365 days.
  const start = now - 400 * DAY;
  const step = (400 * DAY) / p.count;
  for (let i = 0; i < p.count; i++) {
    const created = Math.floor(start + i * step);
    const fed = p.federationIds[i % p.federationIds.length]!;
    const role = ROLES[Math.floor(rnd() * ROLES.length)]!;
    const name = role === 'aggregator' || role === 'director' ? `node-${i}.site-${i % 97}.example.org` : `${role === 'api' ? 'api' : 'col'}-${(i * 7919) % p.count}`;
    const revoked = rnd() < 0.01;
    let serial = randomBytes(16).toString('hex').replace(/^(00)+/, '');
    if (parseInt(serial[0]!, 16) >= 8) serial = `7${serial.slice(1)}`;
    yield {
      serial,
      federationId: fed,
      commonName: name,
      role,
      notBefore: created - 60_000,
      notAfter: created + 365 * DAY,
      der: randomBytes(64),
      fingerprint: randomBytes(32).toString('hex'),
      createdAt: created,
      revoked,
    };
  }
}

/** Stores `rows` in a SQLite database, in one transaction. */
export function insertSeedRows(db: Db, rows: Iterable<SeedRow>): { first?: SeedRow; last?: SeedRow } {
  let first: SeedRow | undefined;
  let last: SeedRow | undefined;
  const insert = db.$client.prepare(
    `insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der, fingerprint, source, token_jti, renewed_from, issued_by, created_at, status, revoked_at, revocation_reason)
     values (?, ?, ?, ?, ?, ?, 'ECDSA P-384', ?, ?, ?, ?, 'token', null, null, 'seed', ?, ?, ?, ?)`,
  );
  db.$client.transaction(() => {
    for (const r of rows) {
      first ??= r;
      last = r;
      insert.run(
        r.serial,
        r.federationId,
        r.commonName,
        r.commonName.toLowerCase(),
        JSON.stringify([r.commonName]),
        r.role,
        r.notBefore,
        r.notAfter,
        r.der,
        r.fingerprint,
        r.createdAt,
        r.revoked ? 'revoked' : 'valid',
        r.revoked ? r.createdAt + DAY : null,
        r.revoked ? 1 : null,
      );
    }
  })();
  return { first, last };
}

/**
 * Stores `rows` in a PostgreSQL database: 10,000 rows a statement, each column sent
 * as one array and unnested (about as fast as COPY, with no extra dependency).
 */
export async function insertSeedRowsPg(db: PgDb, rows: SeedRow[]): Promise<void> {
  const ms = (column: string) => `timestamptz 'epoch' + (${column}) * interval '1 millisecond'`;
  const text = `insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der, fingerprint, source, issued_by, created_at, status, revoked_at, revocation_reason)
    select serial, fed, cn, cn_lower, jsonb_build_array(cn), role, 'ECDSA P-384', ${ms('nb')}, ${ms('na')}, der, fp, 'token', 'seed', ${ms('ca')},
           case when rv then 'revoked' else 'valid' end, case when rv then ${ms('ca + 86400000')} end, case when rv then 1 end
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bytea[], $9::text[], $10::bigint[], $11::boolean[])
      as t(serial, fed, cn, cn_lower, role, nb, na, der, fp, ca, rv)`;
  for (let i = 0; i < rows.length; i += 10_000) {
    const batch = rows.slice(i, i + 10_000);
    await db.$client.query(text, [
      batch.map((r) => r.serial),
      batch.map((r) => r.federationId),
      batch.map((r) => r.commonName),
      // Lower-cased as the store does it (in JavaScript), not by the database's locale.
      batch.map((r) => r.commonName.toLowerCase()),
      batch.map((r) => r.role),
      batch.map((r) => r.notBefore),
      batch.map((r) => r.notAfter),
      batch.map((r) => r.der),
      batch.map((r) => r.fingerprint),
      batch.map((r) => r.createdAt),
      batch.map((r) => r.revoked),
    ]);
  }
}

export function seedCertificates(db: Db, p: SeedCertificatesParams): { first: Date; last: Date } {
  const { first, last } = insertSeedRows(db, seedRows(p));
  return { first: new Date(first!.createdAt), last: new Date(last!.createdAt) };
}
