import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryCaStore } from '@/test/helpers/memory-store';
import { NOW, NOW_S, TEST_ITERATIONS, TEST_PASSWORD } from '@/test/helpers/unit';
import { ActivityType } from './audit';
import { CertificateAuthority } from './authority';
import type { FederationContext } from './keyring';
import { mintToken, type MintTokenParams } from './mint';
import { SIGN_PATHS } from './issue';
import { decodeJwt, unwrapToken, wrapToken } from './token';
import { isBoundToken } from './token-binding';
import { MAX_CERT_SECONDS } from './validity';
import { verifyToken } from './verify-token';

const ALICE = { id: 'user:alice', sourceIp: '192.0.2.1' };
let store: MemoryCaStore;
let ctx: FederationContext;

beforeAll(async () => {
  store = new MemoryCaStore();
  const ca = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => NOW });
  ctx = await ca.createFederation({ id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123', defaultCertSeconds: 30 * 86400 }, ALICE);
});

const mint = (p: Partial<MintTokenParams> = {}, c: FederationContext = ctx) => mintToken(c, { subject: 'collaborator1', ...p }, ALICE, store, NOW);

describe('mintToken', () => {
  it('ok/defaults: 24 hours, sans [subject], role collaborator, the federation certificate lifetime', async () => {
    const auditBefore = store.audit.length;
    const m = await mint();
    expect(m.claims).toEqual({
      aud: 'https://ca.unit.test:9123/1.0/sign',
      exp: NOW_S + 86400,
      iat: NOW_S,
      iss: 'fedpki:unit',
      jti: m.claims.jti,
      nbf: NOW_S,
      sans: ['collaborator1'],
      sha: ctx.root.fingerprint,
      sub: 'collaborator1',
      role: 'collaborator',
    });
    expect(m.claims.jti).toMatch(/^[0-9a-f]{64}$/);
    expect(m.record).toEqual({
      jti: m.claims.jti,
      federationId: 'unit',
      kind: 'sign',
      subject: 'collaborator1',
      sans: ['collaborator1'],
      role: 'collaborator',
      certSeconds: 30 * 86400,
      notBefore: NOW,
      expiresAt: new Date(NOW.getTime() + 86400_000),
      createdAt: NOW,
      createdBy: 'user:alice',
      state: 'pending',
      usedAt: null,
      certSerial: null,
      cancelledAt: null,
      cancelledBy: null,
      binding: expect.any(Uint8Array),
    });
    expect(await isBoundToken(ctx.tokenBinding!, m.jwt, m.record.binding!)).toBe(true);
    expect(store.tokens.get(m.claims.jti)).toEqual(m.record);
    expect(store.audit.slice(auditBefore)).toEqual([
      {
        at: NOW,
        action: ActivityType.TOKEN_MINTED,
        actor: 'user:alice',
        sourceIp: '192.0.2.1',
        federationId: 'unit',
        target: m.claims.jti.slice(0, 12),
        outcome: 'success',
        details: { subject: 'collaborator1', sans: ['collaborator1'], role: 'collaborator', expiresAt: m.record.expiresAt.toISOString() },
      },
    ]);
    expect(JSON.stringify(store.audit)).not.toContain(m.jwt);
  });

  it('ok/the OpenFL token: wraps the JWT and the root PEM; header ES256 with the provisioner kid', async () => {
    const m = await mint();
    expect(m.token).toBe(wrapToken(m.jwt, ctx.root.pem));
    expect(unwrapToken(m.token)).toMatchObject({ jwt: m.jwt, rootPem: ctx.root.pem });
    expect(decodeJwt(m.jwt).header).toEqual({ alg: 'ES256', kid: ctx.provisioner.kid, typ: 'JWT' });
    const verified = await verifyToken({ ott: m.token, now: NOW, lookup: (kid) => (kid === ctx.provisioner.kid ? ctx : undefined), paths: SIGN_PATHS });
    expect(verified.claims).toEqual(m.claims);
  });

  it('ok/subject trimmed, SANs normalised (IP canonical, duplicates dropped, DNS then IP), role and lifetimes as asked', async () => {
    const m = await mint({ subject: '  Collaborator_1 ', sans: ['2001:DB8::1', 'collaborator1.fed.example', 'collaborator1.fed.example'], role: 'aggregator', ttlSeconds: 600, certSeconds: 3600 });
    expect(m.claims.sub).toBe('Collaborator_1');
    expect(m.claims.sans).toEqual(['Collaborator_1', 'collaborator1.fed.example', '2001:db8::1']);
    expect(m.claims.exp - m.claims.nbf).toBe(600);
    expect(m.record).toMatchObject({ role: 'aggregator', certSeconds: 3600, sans: m.claims.sans, subject: 'Collaborator_1' });
  });

  it('ok/an empty SAN list means [subject]', async () => {
    expect((await mint({ sans: [] })).claims.sans).toEqual(['collaborator1']);
  });

  it('ok/extra SANs add to the subject, never replace it (gRPC checks a host name against the SANs only)', async () => {
    const m = await mint({ subject: 'agg.example.org', sans: ['192.168.1.10'], role: 'aggregator' });
    expect(m.claims.sans).toEqual(['agg.example.org', '192.168.1.10']);
    expect((await mint({ subject: 'agg.example.org', sans: ['AGG.example.org', '10.0.0.1'] })).claims.sans).toEqual(['agg.example.org', '10.0.0.1']);
  });

  it('ok/an IP subject', async () => {
    const m = await mint({ subject: '10.0.0.7' });
    expect(m.claims).toMatchObject({ sub: '10.0.0.7', sans: ['10.0.0.7'] });
  });

  it.each<[string, Partial<MintTokenParams>]>([
    ['ok/ttl 5 minutes', { ttlSeconds: 300 }],
    ['ok/ttl 7 days', { ttlSeconds: 7 * 86400 }],
    ['ok/certificate 5 minutes', { certSeconds: 300 }],
    ['ok/certificate 5 years', { certSeconds: MAX_CERT_SECONDS }],
  ])('%s', async (_name, p) => {
    await expect(mint(p)).resolves.toBeDefined();
  });

  it.each<[string, Partial<MintTokenParams>, string, string]>([
    ['fail/ttl 299 s', { ttlSeconds: 299 }, 'validation_failed', 'ttl'],
    ['fail/ttl 7 days + 1 s', { ttlSeconds: 7 * 86400 + 1 }, 'validation_failed', 'ttl'],
    ['fail/ttl not whole seconds', { ttlSeconds: 300.5 }, 'validation_failed', 'ttl'],
    ['fail/ttl negative', { ttlSeconds: -86400 }, 'validation_failed', 'ttl'],
    ['fail/certificate 299 s', { certSeconds: 299 }, 'validation_failed', 'certValidity'],
    ['fail/certificate over 5 years', { certSeconds: MAX_CERT_SECONDS + 1 }, 'validation_failed', 'certValidity'],
    ['fail/certificate lifetime NaN', { certSeconds: Number.NaN }, 'validation_failed', 'certValidity'],
  ])('%s', async (_name, p, code, field) => {
    const tokens = store.tokens.size;
    await expect(mint(p)).rejects.toMatchObject({ code, fieldErrors: { [field]: expect.any(Array) } });
    expect(store.tokens.size).toBe(tokens);
  });

  it.each<[string, Partial<MintTokenParams>]>([
    ['fail/empty subject', { subject: ' ' }],
    ['fail/subject with a space', { subject: 'node 1' }],
    ['fail/a SAN that is not a name', { sans: ['bad name'] }],
    ['fail/51 SANs', { sans: Array.from({ length: 51 }, (_, i) => `n${i}`) }],
  ])('%s', async (_name, p) => {
    const tokens = store.tokens.size;
    await expect(mint(p)).rejects.toMatchObject({ code: 'policy_name_invalid' });
    expect(store.tokens.size).toBe(tokens);
  });

  it('fail/a disabled federation mints nothing', async () => {
    const tokens = store.tokens.size;
    const disabled = { ...ctx, federation: { ...ctx.federation, status: 'disabled' as const } };
    await expect(mint({}, disabled)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('disabled') });
    expect(store.tokens.size).toBe(tokens);
  });

  it('ok/each token has its own jti', async () => {
    const [a, b] = await Promise.all([mint(), mint()]);
    expect(a!.claims.jti).not.toBe(b!.claims.jti);
  });
});
