/**
 * Direct access to a test server's CA (the tests know its password): to forge tokens
 * that the CLI would never mint — expired, wrongly addressed, tampered — and to read
 * what was recorded.
 */

import { join } from 'node:path';
import { CertificateAuthority } from '@/lib/ca/authority';
import { signJwt, wrapToken, audienceFor, newJti, type TokenClaims } from '@/lib/ca/token';
import type { FederationContext } from '@/lib/ca/keyring';
import type { TokenRecord } from '@/lib/ca/types';
import { openDatabase, type Db } from '@/db/client';
import { SqliteCaStore } from '@/db/store';
import { ROOT } from './paths';
import { TEST_PASSWORD } from './server';

export interface TestCa {
  db: Db;
  store: SqliteCaStore;
  authority: CertificateAuthority;
  ctx: (id?: string) => FederationContext;
  close: () => void;
  counts: () => { certificates: number; pendingTokens: number; usedTokens: number; audit: number };
}

export async function openTestCa(dataDir: string): Promise<TestCa> {
  const db = openDatabase({ file: join(dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
  const store = new SqliteCaStore(db);
  const authority = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: 1000 });
  await authority.unlockAll();
  const q = (sql: string) => (db.$client.prepare(sql).get() as { n: number }).n;
  return {
    db,
    store,
    authority,
    ctx: (id = 'default') => authority.federation(id),
    close: () => db.$client.close(),
    counts: () => ({
      certificates: q('select count(*) n from certificates'),
      pendingTokens: q("select count(*) n from tokens where state = 'pending'"),
      usedTokens: q("select count(*) n from tokens where state = 'used'"),
      audit: q('select count(*) n from audit_log'),
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
  store: SqliteCaStore;
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
    };
    await o.store.insertToken(record, { at: now, action: 'TOKEN_MINTED', actor: 'test', sourceIp: null, federationId: o.ctx.federation.id, target: null, outcome: 'success', details: null });
  }
  return { jwt, token: wrapToken(jwt, o.ctx.root.pem), claims };
}
