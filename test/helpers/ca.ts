/**
 * Direct access to a test server's CA (the tests know its password): to forge tokens
 * that the CLI would never mint — expired, wrongly addressed, tampered — and to read
 * what was recorded.
 */

import { join } from 'node:path';
import { CertificateAuthority } from '@/lib/ca/authority';
import { signJwt, wrapToken, audienceFor, newJti, type TokenClaims } from '@/lib/ca/token';
import type { FederationContext } from '@/lib/ca/keyring';
import type { CaStore } from '@/lib/ca/store';
import type { TokenRecord } from '@/lib/ca/types';
import { openStore, type Database } from '@/db/open';
import { ROOT } from './paths';
import { TEST_PASSWORD } from './server';

export interface TestCa {
  database: Database;
  store: CaStore;
  authority: CertificateAuthority;
  ctx: (id?: string) => FederationContext;
  close: () => Promise<void>;
  /** Runs plain SQL that both dialects accept (no parameters) and returns the rows. */
  rows: <T = Record<string, unknown>>(sql: string) => Promise<T[]>;
  counts: () => Promise<{ certificates: number; pendingTokens: number; usedTokens: number; audit: number }>;
}

/** Opens a test server's database, SQLite in its data folder or its PostgreSQL database. */
export async function openTestCa(where: string | { dataDir: string; databaseUrl?: string }): Promise<TestCa> {
  const { dataDir, databaseUrl } = typeof where === 'string' ? { dataDir: where, databaseUrl: undefined } : where;
  const database = await openStore({ databaseFile: join(dataDir, 'fedpki.db'), databaseUrl, root: ROOT, poolSize: 4 });
  const store = database.store;
  const authority = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: 1000 });
  await authority.unlockAll();
  const { handle } = database;
  const rows = async <T,>(sql: string): Promise<T[]> => {
    if (handle.kind === 'postgres') return (await handle.db.$client.query(sql)).rows as T[];
    const stmt = handle.db.$client.prepare(sql);
    if (stmt.reader) return stmt.all() as T[];
    stmt.run();
    return [];
  };
  const n = async (sql: string) => Number((await rows<{ n: number | string }>(sql))[0]!.n);
  return {
    database,
    store,
    authority,
    ctx: (id = 'default') => authority.federation(id),
    close: () => database.close(),
    rows,
    counts: async () => ({
      certificates: await n('select count(*) n from certificates'),
      pendingTokens: await n("select count(*) n from tokens where state = 'pending'"),
      usedTokens: await n("select count(*) n from tokens where state = 'used'"),
      audit: await n('select count(*) n from audit_log'),
    }),
  };
}

export interface ForgeOptions {
  claims?: Partial<TokenClaims> & Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Store a matching pending token row, so only the forged property can fail. Default true. */
  record?: boolean;
  /** Sign with this federation's provisioner key. */
  ctx: FederationContext;
  store: CaStore;
  now?: Date;
}

/** Signs a token with the federation's real provisioner key but chosen claims. */
export async function forgeToken(o: ForgeOptions): Promise<{ jwt: string; token: string; claims: TokenClaims }> {
  const now = o.now ?? new Date();
  const iat = Math.floor(now.getTime() / 1000);
  const claims = {
    aud: audienceFor(o.ctx.federation.caUrl),
    exp: iat + 3600,
    iat,
    iss: o.ctx.provisioner.name,
    jti: newJti(),
    nbf: iat,
    sans: ['forged-node'],
    sha: o.ctx.root.fingerprint,
    sub: 'forged-node',
    ...(o.claims ?? {}),
  } as TokenClaims;
  const jwt = await signJwt({ alg: 'ES256', kid: o.ctx.provisioner.kid, typ: 'JWT', ...(o.header ?? {}) }, claims, await o.ctx.provisioner.privateKey());
  if (o.record !== false) {
    const record: TokenRecord = {
      jti: claims.jti,
      federationId: o.ctx.federation.id,
      kind: 'sign',
      subject: String(claims.sub),
      sans: claims.sans,
      role: 'collaborator',
      certSeconds: 365 * 86400,
      notBefore: new Date(claims.nbf * 1000),
      expiresAt: new Date(claims.exp * 1000),
      createdAt: now,
      createdBy: 'test',
      state: 'pending',
      usedAt: null,
      certSerial: null,
      cancelledAt: null,
      cancelledBy: null,
      binding: null,
    };
    await o.store.insertToken(record, { at: now, action: 'TOKEN_MINTED', actor: 'test', sourceIp: null, federationId: o.ctx.federation.id, target: null, outcome: 'success', details: null });
  }
  return { jwt, token: wrapToken(jwt, o.ctx.root.pem), claims };
}
