/**
 * Fills a database with synthetic certificate rows for list and dashboard
 * measurements (the benchmark and test/integration/certificate-list.integ.ts). The
 * rows are shaped like real ones — spread over federations, roles, ages and expiry
 * dates, 1% revoked — but their DER is random bytes: listing never parses it.
 */

import { randomBytes } from 'node:crypto';
import type { Db } from '@/db/client';

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

export function seedCertificates(db: Db, p: SeedCertificatesParams): { first: Date; last: Date } {
  const now = (p.now ?? new Date()).getTime();
  const rnd = random(p.seed ?? 1);
  const insert = db.$client.prepare(
    `insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der, fingerprint, source, token_jti, renewed_from, issued_by, created_at, status, revoked_at, revocation_reason)
     values (?, ?, ?, ?, ?, ?, 'ECDSA P-384', ?, ?, ?, ?, 'token', null, null, 'seed', ?, ?, ?, ?)`,
  );
  // Issued over the past 400 days, one row after another, each valid 365 days.
  const start = now - 400 * DAY;
  const step = (400 * DAY) / p.count;
  db.$client.transaction(() => {
    for (let i = 0; i < p.count; i++) {
      const created = Math.floor(start + i * step);
      const fed = p.federationIds[i % p.federationIds.length]!;
      const role = ROLES[Math.floor(rnd() * ROLES.length)]!;
      const name = role === 'aggregator' || role === 'director' ? `node-${i}.site-${i % 97}.example.org` : `${role === 'api' ? 'api' : 'col'}-${(i * 7919) % p.count}`;
      const notAfter = created + 365 * DAY;
      const revoked = rnd() < 0.01;
      let serial = randomBytes(16).toString('hex').replace(/^(00)+/, '');
      if (parseInt(serial[0]!, 16) >= 8) serial = `7${serial.slice(1)}`;
      insert.run(
        serial,
        fed,
        name,
        name.toLowerCase(),
        JSON.stringify([name]),
        role,
        created - 60_000,
        notAfter,
        randomBytes(64),
        randomBytes(32).toString('hex'),
        created,
        revoked ? 'revoked' : 'valid',
        revoked ? created + DAY : null,
        revoked ? 1 : null,
      );
    }
  })();
  return { first: new Date(start), last: new Date(start + (p.count - 1) * step) };
}
