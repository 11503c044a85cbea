import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from '../pki/encoding';
import { exportSpki } from '../pki/keys';
import { p1363ToDer } from '../pki/ecdsa';
import { toPem } from '../pki/pem';
import { NOW, NOW_S, makeFederation, type TestFederation } from '@/test/helpers/unit';
import { SIGN_PATHS } from './issue';
import type { FederationContext } from './keyring';
import { audienceFor, newJti, signJwt, wrapToken, type TokenClaims } from './token';
import { verifyToken } from './verify-token';

let fed: TestFederation;
let other: TestFederation;
let ctx: FederationContext;

beforeAll(async () => {
  [fed, other] = await Promise.all([makeFederation(), makeFederation({ id: 'other', name: 'Other', caUrl: 'ca.other.test:9123' })]);
  ctx = fed.ctx;
});

function claims(patch: Record<string, unknown> = {}): Record<string, unknown> {
  const base: TokenClaims = {
    aud: audienceFor(ctx.federation.caUrl),
    exp: NOW_S + 3600,
    iat: NOW_S,
    iss: ctx.provisioner.name,
    jti: newJti(),
    nbf: NOW_S,
    sans: ['collaborator1'],
    sha: ctx.root.fingerprint,
    sub: 'collaborator1',
  };
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const k of Object.keys(patch)) if (patch[k] === undefined) delete out[k];
  return out;
}

interface Forge {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  signer?: FederationContext;
}

async function forge(o: Forge = {}): Promise<string> {
  const header = { alg: 'ES256', kid: ctx.provisioner.kid, typ: 'JWT', ...o.header };
  for (const k of Object.keys(o.header ?? {})) if (o.header![k] === undefined) delete (header as Record<string, unknown>)[k];
  return signJwt(header as never, o.claims ?? claims(), await (o.signer ?? ctx).provisioner.privateKey());
}

const unsigned = (header: object, body: object, sig = '') => `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(body)))}.${sig}`;

function verify(ott: string, o: { now?: Date; paths?: readonly string[]; context?: FederationContext } = {}) {
  const c = o.context ?? ctx;
  return verifyToken({ ott, now: o.now ?? NOW, lookup: (kid) => (kid === c.provisioner.kid ? c : kid === other.ctx.provisioner.kid ? other.ctx : undefined), paths: o.paths ?? SIGN_PATHS });
}

async function expectRefused(ott: string | Promise<string>, code: string, o: Parameters<typeof verify>[1] = {}) {
  await expect(verify(await ott, o)).rejects.toMatchObject({ name: 'CaError', code });
}

describe('verifyToken: accepted', () => {
  it('ok/a token as the authority mints it', async () => {
    const c = claims();
    const { claims: got, ctx: found } = await verify(await forge({ claims: c }));
    expect(got).toEqual(c);
    expect(found).toBe(ctx);
  });

  it('ok/the whole OpenFL token as ott', async () => {
    await expect(verify(wrapToken(await forge(), ctx.root.pem))).resolves.toBeDefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['ok/aud path /sign (the step client strips /1.0)', { aud: 'https://ca.unit.test:9123/sign' }],
    ['ok/aud host in other case', { aud: 'https://CA.Unit.Test:9123/1.0/sign' }],
    ['ok/aud on another port (ports are ignored, as step-ca does)', { aud: 'https://ca.unit.test:443/1.0/sign' }],
    ['ok/aud without a port', { aud: 'https://ca.unit.test/1.0/sign' }],
    ['ok/aud as a one-element array', { aud: ['https://ca.unit.test:9123/1.0/sign'] }],
    ['ok/exp 60 s ago: within the leeway', { exp: NOW_S - 60 }],
    ['ok/exp 1 s ago', { exp: NOW_S - 1 }],
    ['ok/nbf 60 s ahead: within the leeway', { nbf: NOW_S + 60 }],
    ['ok/sha in uppercase', { sha: 'UPPER' }],
    ['ok/no sans claim', { sans: undefined }],
  ])('%s', async (_name, patch) => {
    const p = { ...patch };
    if (p.sha === 'UPPER') p.sha = ctx.root.fingerprint.toUpperCase();
    await expect(verify(await forge({ claims: claims(p) }))).resolves.toBeDefined();
  });

  it('ok/without typ', async () => {
    await expect(verify(await forge({ header: { typ: undefined } }))).resolves.toBeDefined();
  });

  it('ok/an alias host name given at unlock', async () => {
    const aliased = { ...ctx, hostnames: new Set([...ctx.hostnames, 'lb.example.org']) };
    await expect(verify(await forge({ claims: claims({ aud: 'https://lb.example.org/1.0/sign' }) }), { context: aliased })).resolves.toBeDefined();
  });

  it('ok/a revoke audience with the revoke paths', async () => {
    const ott = await forge({ claims: claims({ aud: audienceFor(ctx.federation.caUrl, '/1.0/revoke') }) });
    await expect(verify(ott, { paths: ['/1.0/revoke', '/revoke'] })).resolves.toBeDefined();
  });
});

describe('verifyToken: the algorithm is pinned to ES256 and the key to the federation', () => {
  it('fail/alg none, no signature', async () => {
    await expectRefused(unsigned({ alg: 'none', kid: ctx.provisioner.kid, typ: 'JWT' }, claims()), 'token_algorithm_refused');
  });

  it('fail/alg None with a signature', async () => {
    await expectRefused(unsigned({ alg: 'None', kid: ctx.provisioner.kid }, claims(), 'AAAA'), 'token_algorithm_refused');
  });

  it('fail/HS256 keyed with the public key (PEM, JWK JSON and raw point)', async () => {
    const spki = await exportSpki(ctx.provisioner.publicKey);
    const secrets = [utf8(toPem(spki, 'PUBLIC KEY')), utf8(JSON.stringify(ctx.provisioner.jwk)), spki];
    for (const secret of secrets) {
      const header = { alg: 'HS256', kid: ctx.provisioner.kid, typ: 'JWT' };
      const input = unsigned(header, claims()).slice(0, -1);
      const key = await crypto.subtle.importKey('raw', secret as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(input) as BufferSource));
      await expectRefused(`${input}.${toBase64Url(mac)}`, 'token_algorithm_refused');
    }
  });

  it.each(['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'es256', ''])('fail/alg %j', async (alg) => {
    await expectRefused(forge({ header: { alg } }), 'token_algorithm_refused');
  });

  it('fail/no alg', async () => {
    await expectRefused(forge({ header: { alg: undefined } }), 'token_algorithm_refused');
  });

  it('fail/a critical header parameter', async () => {
    await expectRefused(forge({ header: { crit: ['exp'] } }), 'token_malformed');
  });

  it('fail/typ other than JWT', async () => {
    await expectRefused(forge({ header: { typ: 'JOSE' } }), 'token_malformed');
  });

  it('fail/no kid', async () => {
    await expectRefused(forge({ header: { kid: undefined } }), 'token_key_unknown');
  });

  it('fail/a kid no federation has', async () => {
    await expectRefused(forge({ header: { kid: 'X'.repeat(43) } }), 'token_key_unknown');
  });

  it("fail/signed by another federation's provisioner under this kid", async () => {
    await expectRefused(forge({ signer: other.ctx }), 'token_signature_invalid');
  });

  it("fail/another federation's own token names its kid and is checked against its federation", async () => {
    const ott = await forge({ signer: other.ctx, header: { kid: other.ctx.provisioner.kid } });
    await expectRefused(ott, 'token_issuer_invalid');
  });
});

describe('verifyToken: signature', () => {
  it('fail/a tampered payload', async () => {
    const jwt = await forge();
    const [h, , s] = jwt.split('.');
    const tampered = toBase64Url(utf8(JSON.stringify(claims({ sub: 'aggregator' }))));
    await expectRefused(`${h}.${tampered}.${s}`, 'token_signature_invalid');
  });

  it('fail/a tampered header', async () => {
    const jwt = await forge();
    const [, c, s] = jwt.split('.');
    const header = toBase64Url(utf8(JSON.stringify({ alg: 'ES256', kid: ctx.provisioner.kid, typ: 'JWT', x: 1 })));
    await expectRefused(`${header}.${c}.${s}`, 'token_signature_invalid');
  });

  it('fail/a flipped signature bit', async () => {
    const jwt = await forge();
    const [h, c, s] = jwt.split('.');
    const sig = fromBase64Url(s!);
    sig[10]! ^= 1;
    await expectRefused(`${h}.${c}.${toBase64Url(sig)}`, 'token_signature_invalid');
  });

  it.each([
    ['63 bytes', (s: Uint8Array) => s.subarray(0, 63)],
    ['65 bytes', (s: Uint8Array) => Uint8Array.of(...s, 0)],
    ['empty', () => new Uint8Array(0)],
    ['DER instead of r‖s', (s: Uint8Array) => p1363ToDer(s)],
    ['zeros', () => new Uint8Array(64)],
  ])('fail/signature %s', async (_name, change) => {
    const [h, c, s] = (await forge()).split('.');
    await expectRefused(`${h}.${c}.${toBase64Url(change(fromBase64Url(s!)))}`, 'token_signature_invalid');
  });
});

describe('verifyToken: claims', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['fail/wrong iss', { iss: 'provisioner' }, 'token_issuer_invalid'],
    ['fail/aud on another host', { aud: 'https://ca.evil.test:9123/1.0/sign' }, 'token_audience_invalid'],
    ['fail/aud on a sub-domain of the host', { aud: 'https://x.ca.unit.test:9123/1.0/sign' }, 'token_audience_invalid'],
    ['fail/aud with another path', { aud: 'https://ca.unit.test:9123/1.0/revoke' }, 'token_audience_invalid'],
    ['fail/aud with the SSH sign path', { aud: 'https://ca.unit.test:9123/1.0/ssh/sign' }, 'token_audience_invalid'],
    ['fail/aud with a trailing slash', { aud: 'https://ca.unit.test:9123/1.0/sign/' }, 'token_audience_invalid'],
    ['fail/aud over http', { aud: 'http://ca.unit.test:9123/1.0/sign' }, 'token_audience_invalid'],
    ['fail/aud that is not a URL', { aud: 'ca.unit.test:9123/1.0/sign' }, 'token_audience_invalid'],
    ["fail/aud of the other federation's host", { aud: 'https://ca.other.test:9123/1.0/sign' }, 'token_audience_invalid'],
    ['fail/expired 61 s ago: beyond the leeway', { exp: NOW_S - 61 }, 'token_expired'],
    ['fail/expired a day ago', { exp: NOW_S - 86400, nbf: NOW_S - 90000 }, 'token_expired'],
    ['fail/nbf 61 s ahead: beyond the leeway', { nbf: NOW_S + 61 }, 'token_not_yet_valid'],
    ['fail/sha of another root', { sha: 'ab'.repeat(32) }, 'token_claims_invalid'],
    ['fail/a jti that is not 64 hex', { jti: 'abc' }, 'token_claims_invalid'],
    ['fail/no sub', { sub: undefined }, 'token_claims_invalid'],
  ])('%s', async (_name, patch, code) => {
    await expectRefused(forge({ claims: claims(patch) }), code);
  });

  it('ok/the expiry boundary moves with now', async () => {
    const ott = await forge({ claims: claims({ exp: NOW_S }) });
    await expect(verify(ott, { now: new Date((NOW_S + 60) * 1000) })).resolves.toBeDefined();
    await expect(verify(ott, { now: new Date((NOW_S + 60) * 1000 + 999) })).resolves.toBeDefined();
    await expectRefused(ott, 'token_expired', { now: new Date((NOW_S + 61) * 1000) });
  });

  it('fail/a disabled federation', async () => {
    const disabled = { ...ctx, federation: { ...ctx.federation, status: 'disabled' as const } };
    await expect(verify(await forge(), { context: disabled })).rejects.toMatchObject({ code: 'federation_disabled', message: expect.stringContaining('"Unit" has been disabled') });
  });

  it('fail/checks run in step order: a bad signature is reported before bad claims', async () => {
    const [h, c] = (await forge({ claims: claims({ iss: 'x', exp: 1 }) })).split('.');
    await expectRefused(`${h}.${c}.${toBase64Url(new Uint8Array(64))}`, 'token_signature_invalid');
  });

  it('fail/refusal messages never contain the token', async () => {
    const ott = await forge({ claims: claims({ exp: NOW_S - 3600, nbf: NOW_S - 7200 }) });
    const e = await verify(ott).catch((x: Error) => x);
    expect((e as Error).message).not.toContain(ott.split('.')[2]);
    expect((e as Error).message).toMatch(/^The token has expired: it was valid until 2026-03-01T11:00:00.000Z\.$/);
  });
});
