/**
 * The portal's token list and audit log on PostgreSQL answer as on SQLite: the same
 * tokens and audit entries are stored in both, and every filter is paged through to
 * the end on each — the same rows, the same `next` cursors, the same CSV export
 * (`iterateAudit`, in batches). The PostgreSQL database sorts text as en-US does
 * (ICU), and token ids are base64url ("-", "_", both cases), so ties in time are
 * ordered byte by byte there too. (The certificate list has its own twin check in
 * certificate-list.integ.ts.)
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Db } from '@/db/client';
import { createQueries, type Queries } from '@/db/queries';
import type { AuditFilters } from '@/db/queries/audit';
import type { ListTokensParams } from '@/db/queries/tokens';
import * as lite from '@/db/schema';
import { closePostgres, openPostgres, type PgDb } from '@/db/pg/client';
import { createPgQueries } from '@/db/pg/queries';
import * as pgSchema from '@/db/pg/schema';
import { ROOT, tempDir } from '../helpers/paths';
import { createDatabase } from '../helpers/postgres';

const now = new Date('2026-06-01T00:00:00Z');
const FEDERATIONS = ['default', 'fed-b'];
let sqlite: Db;
let pg: PgDb;
let mine: Queries;
let theirs: Queries;
let tmp: ReturnType<typeof tempDir>;

function tokenRows(): (typeof lite.tokens.$inferInsert)[] {
  return Array.from({ length: 700 }, (_, i) => {
    // Three tokens per instant: the id decides their order.
    const createdAt = new Date(now.getTime() - Math.floor(i / 3) * 60_000);
    const state = (['pending', 'pending', 'used', 'cancelled'] as const)[i % 4]!;
    return {
      jti: randomBytes(24).toString('base64url'),
      federationId: FEDERATIONS[i % 2]!,
      kind: i % 13 === 0 ? 'revoke' : 'sign',
      subject: `col-${i}`,
      sans: [`col-${i}`],
      role: 'collaborator',
      certSeconds: 86_400,
      notBefore: createdAt,
      // Some pending ones have expired by `now`.
      expiresAt: new Date(createdAt.getTime() + (i % 5 === 0 ? 3_600_000 : 30 * 86_400_000)),
      createdAt,
      createdBy: i % 2 ? 'user:alice' : 'user:bob',
      state,
      usedAt: state === 'used' ? createdAt : null,
      certSerial: state === 'used' ? randomBytes(16).toString('hex') : null,
      cancelledAt: state === 'cancelled' ? createdAt : null,
      cancelledBy: state === 'cancelled' ? 'user:alice' : null,
    };
  });
}

function auditRows(): (typeof lite.auditLog.$inferInsert)[] {
  const actions = ['SIGN_IN', 'SIGN_IN_FAILED', 'TOKEN_CREATED', 'CERTIFICATE_ISSUED', 'CERTIFICATE_REVOKED'];
  const actors = ['user:alice', 'User:Bob', 'token:abc', 'token:x_y', 'tokenXx_y', 'system', 'usr%x'];
  return Array.from({ length: 2600 }, (_, i) => ({
    id: i + 1,
    // Several entries in the same millisecond: the id orders them.
    at: new Date(now.getTime() - Math.floor(i / 4) * 1000),
    action: actions[i % actions.length]!,
    actor: actors[i % actors.length]!,
    sourceIp: i % 3 ? `10.0.0.${i % 250}` : null,
    federationId: i % 4 === 3 ? null : FEDERATIONS[i % 2]!,
    target: `t-${i}`,
    outcome: i % 6 === 1 ? 'failure' : 'success',
    details: i % 2 ? { n: i, note: 'x' } : null,
  }));
}

beforeAll(async () => {
  tmp = tempDir();
  sqlite = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
  const admin = inject('postgresAdminUrl');
  const url = await createDatabase(admin, 'fedpki_twin', { icuLocale: 'en-US' }).catch(() => createDatabase(admin, 'fedpki_twin'));
  pg = await openPostgres({ url, migrationsFolder: join(ROOT, 'db', 'pg', 'migrations') });
  const federations = FEDERATIONS.map((id) => ({
    id,
    name: id,
    caUrl: `${id}.example.org:9123`,
    keySpec: 'EC-P256',
    defaultCertSeconds: 31_536_000,
    provisionerName: `fedpki:${id}`,
    provisionerKid: `kid-${id}`,
    rootFingerprint: 'fp',
    createdAt: now,
    createdBy: 'test',
  }));
  const tokens = tokenRows();
  const audit = auditRows();
  sqlite.insert(lite.federations).values(federations).run();
  sqlite.insert(lite.tokens).values(tokens).run();
  for (let i = 0; i < audit.length; i += 500) sqlite.insert(lite.auditLog).values(audit.slice(i, i + 500)).run();
  await pg.insert(pgSchema.federations).values(federations);
  await pg.insert(pgSchema.tokens).values(tokens);
  for (let i = 0; i < audit.length; i += 500) await pg.insert(pgSchema.auditLog).values(audit.slice(i, i + 500));
  mine = createPgQueries(pg);
  theirs = createQueries(sqlite);
});

afterAll(async () => {
  if (pg) await closePostgres(pg);
  sqlite?.$client.close();
  tmp?.remove();
});

describe('the token list and the audit log on PostgreSQL, against SQLite', () => {
  it('ok/lists tokens alike for every federation and state, page after page', async () => {
    let pages = 0;
    for (const federationId of [undefined, ...FEDERATIONS]) {
      for (const state of [undefined, 'pending', 'used', 'expired', 'cancelled'] as const) {
        const p: ListTokensParams = { federationId, state, size: 40, now };
        let cursor: string | undefined;
        do {
          const [a, b] = [await mine.listTokens({ ...p, cursor }), await theirs.listTokens({ ...p, cursor })];
          expect(a, JSON.stringify({ ...p, cursor })).toEqual(b);
          cursor = b.next;
          pages++;
        } while (cursor);
      }
    }
    expect(pages).toBeGreaterThan(30);
  });

  it('ok/pages the audit log alike under every filter, and exports it alike', async () => {
    const filters: AuditFilters[] = [
      {},
      { action: 'SIGN_IN' },
      { actor: 'user:alice' },
      { actor: 'USER:*' },
      { actor: 'token:*' },
      { actor: 'token:x_*' },
      { actor: 'usr%*' },
      { federationId: 'fed-b' },
      { outcome: 'failure' },
      { from: new Date(now.getTime() - 200_000), to: new Date(now.getTime() - 100_000) },
      { action: 'CERTIFICATE_ISSUED', federationId: 'default', outcome: 'success' },
    ];
    for (const f of filters) {
      let cursor: string | undefined;
      let n = 0;
      do {
        const [a, b] = [await mine.listAudit({ ...f, size: 120, cursor }), await theirs.listAudit({ ...f, size: 120, cursor })];
        expect(a, JSON.stringify({ ...f, cursor })).toEqual(b);
        n += b.rows.length;
        cursor = b.next;
      } while (cursor);
      const exported: unknown[] = [];
      for await (const row of mine.iterateAudit(f)) exported.push(row);
      const expected: unknown[] = [];
      for await (const row of theirs.iterateAudit(f)) expected.push(row);
      expect(exported, JSON.stringify(f)).toEqual(expected);
      expect(exported).toHaveLength(n);
    }
  });

  it('ok/tells which tokens and certificates a federation has, for the dashboard', async () => {
    expect(await mine.federationStats({ now })).toEqual(await theirs.federationStats({ now }));
    expect(await mine.listFederationSummaries({ certificateCounts: true })).toEqual(await theirs.listFederationSummaries({ certificateCounts: true }));
    expect(await mine.getFederation({ id: 'fed-b' })).toEqual(await theirs.getFederation({ id: 'fed-b' }));
  });

  it('fail/answers cursors and filters PostgreSQL cannot take with a page, not an error', async () => {
    for (const cursor of ['abc', '99999999999999999999999.x', `${now.getTime()}.x\u0000`, '1.', '.x']) {
      const page = await mine.listTokens({ cursor, now });
      expect(Array.isArray(page.rows), cursor).toBe(true);
    }
    for (const cursor of ['1.99999999999999999999', '99999999999999999999999.1', 'x.1']) {
      const page = await mine.listAudit({ cursor });
      expect(Array.isArray(page.rows), cursor).toBe(true);
    }
    expect(await mine.listAudit({ actor: 'user:\u0000' })).toEqual({ rows: [] });
    expect(await mine.listAudit({ action: 'SIGN_IN\u0000' })).toEqual({ rows: [] });
    expect(await mine.listTokens({ federationId: 'x\u0000' })).toEqual({ rows: [] });
    expect(await mine.getFederation({ id: 'x\u0000' })).toBeUndefined();
    expect(await mine.listEnrolledCollaborators({ federationId: 'x\u0000' })).toEqual([]);
  });
});
