import { describe, expect, it } from 'vitest';
import { sha256 } from '../pki/crypto';
import { fromBase64Url, toBase64Url, utf8 } from '../pki/encoding';
import { generateKeyPair } from '../pki/keys';
import { NOW_S, certFixture, fixtureText } from '@/test/helpers/unit';
import { isCaError } from './errors';
import {
  MAX_JWT_LENGTH,
  TOKEN_DEFAULT_TTL_SECONDS,
  TOKEN_LEEWAY_SECONDS,
  TOKEN_MAX_TTL_SECONDS,
  TOKEN_MIN_TTL_SECONDS,
  audienceFor,
  decodeJwt,
  inspectToken,
  jwkThumbprint,
  jwtFromOtt,
  newJti,
  parseClaims,
  signJwt,
  unwrapToken,
  wrapToken,
  type TokenClaims,
} from './token';

const ROOT_PEM = fixtureText('step/step-ca-root.crt');
const ROOT_DER = certFixture('step/step-ca-root.crt');
const JTI = 'a'.repeat(64);
const SHA = '28e1d248e8ea6fa423dc265dce3d0e17af9ef262b5d3ade200daa6ca25b59eb2';

const CLAIMS: TokenClaims = {
  aud: 'https://ca.unit.test:9123/1.0/sign',
  exp: NOW_S + 86400,
  iat: NOW_S,
  iss: 'fedpki:unit',
  jti: JTI,
  nbf: NOW_S,
  sans: ['collaborator1'],
  sha: SHA,
  sub: 'collaborator1',
};

const b64url = (v: unknown) => toBase64Url(utf8(typeof v === 'string' ? v : JSON.stringify(v)));

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    expect(isCaError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected a CaError ${code}`);
}

describe('constants', () => {
  it('ok/lifetimes and leeway', () => {
    expect(TOKEN_DEFAULT_TTL_SECONDS).toBe(24 * 3600);
    expect(TOKEN_MIN_TTL_SECONDS).toBe(300);
    expect(TOKEN_MAX_TTL_SECONDS).toBe(7 * 24 * 3600);
    expect(TOKEN_LEEWAY_SECONDS).toBe(60);
  });

  it('ok/audienceFor and newJti', () => {
    expect(audienceFor('ca.unit.test:9123')).toBe('https://ca.unit.test:9123/1.0/sign');
    expect(audienceFor('[::1]:443', '/1.0/revoke')).toBe('https://[::1]:443/1.0/revoke');
    const ids = new Set(Array.from({ length: 100 }, () => newJti()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('wrapToken / unwrapToken (fx pki get-token format)', () => {
  it('ok/base64(JWT) "." base64(root PEM), standard alphabet with padding', () => {
    const token = wrapToken('a.b.c', ROOT_PEM);
    const [first, second, ...rest] = token.split('.');
    expect(rest).toEqual([]);
    expect(first).toBe('YS5iLmM=');
    expect(second).toBe(Buffer.from(ROOT_PEM, 'utf8').toString('base64'));
    expect(second!.startsWith('LS0tLS1CRUdJTi')).toBe(true);
    expect(second!.length % 4).toBe(0);
  });

  it('ok/a real JWT: padding kept, no line breaks, no URL-safe characters', async () => {
    const keys = await generateKeyPair('EC-P256');
    for (const sub of ['n', 'no', 'nod']) {
      const jwt = await signJwt({ alg: 'ES256', kid: 'k', typ: 'JWT' }, { ...CLAIMS, sub }, keys.privateKey);
      const token = wrapToken(jwt, ROOT_PEM);
      expect(token).toMatch(/^[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]+={0,2}$/);
      const [first] = token.split('.');
      expect(first!.length % 4).toBe(0);
      expect(first!.endsWith('=')).toBe(jwt.length % 3 !== 0);
      expect(Buffer.from(first!, 'base64').toString()).toBe(jwt);
      expect(unwrapToken(token)).toEqual({ jwt, rootPem: ROOT_PEM, rootDer: ROOT_DER });
    }
  });

  it('ok/surrounding whitespace is ignored', () => {
    expect(unwrapToken(`  ${wrapToken('a.b.c', ROOT_PEM)}\n`).jwt).toBe('a.b.c');
  });

  it.each([
    ['fail/one part', () => Buffer.from('a.b.c').toString('base64')],
    ['fail/three parts', () => `${wrapToken('a.b.c', ROOT_PEM)}.AAAA`],
    ['fail/not base64', () => `YS5i*mM=.${Buffer.from(ROOT_PEM).toString('base64')}`],
    ['fail/base64url instead of base64', () => `${toBase64Url(utf8('a.b.c?>'))}.${Buffer.from(ROOT_PEM).toString('base64').replace(/\+/g, '-')}_`],
    ['fail/second part is not a PEM certificate', () => wrapToken('a.b.c', 'hello')],
    ['fail/second part is a PEM key, not a certificate', () => wrapToken('a.b.c', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')],
    ['fail/first part is not a JWT', () => wrapToken('a.b', ROOT_PEM)],
    ['fail/first part is not UTF-8', () => `/w==.${Buffer.from(ROOT_PEM).toString('base64')}`],
  ])('%s', (_name, make) => {
    expectCode(() => unwrapToken(make()), 'token_malformed');
  });

  it('ok/jwtFromOtt takes the bare JWT step sends, or the whole pasted token', () => {
    expect(jwtFromOtt(' h.c.s ')).toBe('h.c.s');
    expect(jwtFromOtt(wrapToken('h.c.s', ROOT_PEM))).toBe('h.c.s');
  });
});

describe('signJwt / decodeJwt', () => {
  it('ok/ES256 compact JWS: base64url parts, 64-byte r‖s signature over "header.claims"', async () => {
    const keys = await generateKeyPair('EC-P256');
    const jwt = await signJwt({ alg: 'ES256', kid: 'kid-1', typ: 'JWT' }, CLAIMS, keys.privateKey);
    const [h, c, s] = jwt.split('.');
    expect(jwt).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(h!, 'base64url').toString()).toBe('{"alg":"ES256","kid":"kid-1","typ":"JWT"}');
    expect(JSON.parse(Buffer.from(c!, 'base64url').toString())).toEqual(CLAIMS);
    expect(fromBase64Url(s!)).toHaveLength(64);
    const decoded = decodeJwt(jwt);
    expect(decoded.header).toEqual({ alg: 'ES256', kid: 'kid-1', typ: 'JWT' });
    expect(decoded.claims).toEqual(CLAIMS);
    expect(new TextDecoder().decode(decoded.signingInput)).toBe(`${h}.${c}`);
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, keys.publicKey, decoded.signature as BufferSource, decoded.signingInput as BufferSource);
    expect(ok).toBe(true);
  });

  it.each([
    ['fail/too long', `${b64url({ alg: 'ES256' })}.${'A'.repeat(MAX_JWT_LENGTH)}.AA`],
    ['fail/two parts', `${b64url({ alg: 'ES256' })}.${b64url({})}`],
    ['fail/four parts', `${b64url({ alg: 'ES256' })}.${b64url({})}.AA.AA`],
    ['fail/padded base64url', `${b64url({ alg: 'ES256' })}=.${b64url({})}.AA`],
    ['fail/standard base64 characters', `${b64url({ alg: 'ES256' })}.${b64url({})}.A+/A`],
    ['fail/header is not JSON', `${b64url('alg')}.${b64url({})}.AA`],
    ['fail/claims are not JSON', `${b64url({ alg: 'ES256' })}.${b64url('{')}.AA`],
    ['fail/header is an array', `${b64url(['ES256'])}.${b64url({})}.AA`],
    ['fail/header is null', `${b64url(null)}.${b64url({})}.AA`],
    ['fail/claims are a string', `${b64url({ alg: 'ES256' })}.${b64url('"sub"')}.AA`],
    ['fail/claims are an array', `${b64url({ alg: 'ES256' })}.${b64url([])}.AA`],
    ['fail/header is not UTF-8', `${toBase64Url(Uint8Array.of(0xff, 0xfe))}.${b64url({})}.AA`],
    ['fail/empty', ''],
  ])('%s', (_name, jwt) => {
    expectCode(() => decodeJwt(jwt), 'token_malformed');
  });
});

describe('parseClaims', () => {
  it('ok/all claims of a step JWK token', () => {
    expect(parseClaims({ ...CLAIMS })).toEqual(CLAIMS);
  });

  it.each<[string, Record<string, unknown>, Partial<TokenClaims>]>([
    ['ok/aud as a one-element array', { aud: [CLAIMS.aud] }, { aud: CLAIMS.aud }],
    ['ok/sans default to [sub]', { sans: undefined }, { sans: ['collaborator1'] }],
    ['ok/sha in uppercase is read lowercase', { sha: SHA.toUpperCase() }, { sha: SHA }],
    ['ok/extra claims are ignored', { extra: { x: 1 }, step: {} }, {}],
    ['ok/several sans', { sans: ['a', '10.0.0.1', 'b@c'] }, { sans: ['a', '10.0.0.1', 'b@c'] }],
    ['ok/time zero', { nbf: 0 }, { nbf: 0 }],
    ['ok/FedPKI\'s role claim', { role: 'aggregator' }, { role: 'aggregator' }],
  ])('%s', (_name, patch, expected) => {
    const raw: Record<string, unknown> = { ...CLAIMS, ...patch };
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete raw[k];
    expect(parseClaims(raw)).toEqual({ ...CLAIMS, ...expected });
  });

  it.each<[string, unknown]>([
    ['an unknown role', 'chef'],
    ['a role that is not a string', 7],
    ['an empty role', ''],
  ])('ok/%s is left out (the claim only informs the enrollment page), not refused', (_name, role) => {
    expect(parseClaims({ ...CLAIMS, role })).toEqual(CLAIMS);
  });

  it.each<[string, Record<string, unknown>]>([
    ['fail/no iss', { iss: undefined }],
    ['fail/empty sub', { sub: '' }],
    ['fail/sub is a number', { sub: 5 }],
    ['fail/iss longer than 2048', { iss: 'x'.repeat(2049) }],
    ['fail/no aud', { aud: undefined }],
    ['fail/aud with two values', { aud: [CLAIMS.aud, CLAIMS.aud] }],
    ['fail/aud is a number', { aud: 1 }],
    ['fail/sans is a string', { sans: 'collaborator1' }],
    ['fail/sans with an empty name', { sans: [''] }],
    ['fail/sans with a number', { sans: [1] }],
    ['fail/sans with a name over 253 characters', { sans: ['a'.repeat(254)] }],
    ['fail/more than 100 sans', { sans: Array.from({ length: 101 }, (_, i) => `n${i}`) }],
    ['fail/no jti', { jti: undefined }],
    ['fail/jti of 63 characters', { jti: 'a'.repeat(63) }],
    ['fail/jti in uppercase', { jti: 'A'.repeat(64) }],
    ['fail/jti that is not hex', { jti: 'g'.repeat(64) }],
    ['fail/no sha', { sha: undefined }],
    ['fail/sha of SHA-1 length', { sha: 'a'.repeat(40) }],
    ['fail/sha with colons', { sha: SHA.match(/../g)!.join(':') }],
    ['fail/nbf as a string', { nbf: String(NOW_S) }],
    ['fail/iat with a fraction', { iat: NOW_S + 0.5 }],
    ['fail/exp negative', { exp: -1 }],
    ['fail/exp unsafe', { exp: 2 ** 60 }],
    ['fail/no exp', { exp: undefined }],
  ])('%s', (_name, patch) => {
    const raw: Record<string, unknown> = { ...CLAIMS, ...patch };
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete raw[k];
    expectCode(() => parseClaims(raw), 'token_claims_invalid');
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('ok/RFC 7638 §3.1: SHA-256 then base64url of the required members in order gives the example thumbprint', async () => {
    // jwkThumbprint takes EC keys (the provisioner's); this checks the digest and
    // encoding steps it shares with the RFC's RSA example.
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    const canonical = `{"e":"AQAB","kty":"RSA","n":"${n}"}`;
    expect(toBase64Url(await sha256(utf8(canonical)))).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('ok/the RFC 7517 A.1 P-256 example key', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM' } as const;
    const expected = 'cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s';
    expect(await jwkThumbprint(jwk)).toBe(expected);
    const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    expect(toBase64Url(await sha256(utf8(canonical)))).toBe(expected);
  });

  it('ok/member order in the input does not matter; members other than crv, kty, x, y are not hashed', async () => {
    const keys = await generateKeyPair('EC-P256');
    const jwk = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as { x: string; y: string };
    const a = await jwkThumbprint({ y: jwk.y, x: jwk.x, crv: 'P-256', kty: 'EC' });
    const b = await jwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ...{ kid: 'x', use: 'sig' } } as never);
    expect(a).toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('inspectToken', () => {
  it('ok/a wrapped token yields claims, header and the root; a bare JWT only claims and header', async () => {
    const keys = await generateKeyPair('EC-P256');
    const jwt = await signJwt({ alg: 'ES256', kid: 'k', typ: 'JWT' }, CLAIMS, keys.privateKey);
    const wrapped = inspectToken(wrapToken(jwt, ROOT_PEM));
    expect(wrapped.claims).toEqual(CLAIMS);
    expect(wrapped.header.kid).toBe('k');
    expect(wrapped.rootDer).toEqual(ROOT_DER);
    expect(wrapped.rootPem).toBe(ROOT_PEM);
    const bare = inspectToken(jwt);
    expect(bare.claims).toEqual(CLAIMS);
    expect(bare.rootDer).toBeUndefined();
  });

  it('fail/claims that do not parse', async () => {
    const keys = await generateKeyPair('EC-P256');
    const jwt = await signJwt({ alg: 'ES256' }, { ...CLAIMS, jti: 'short' }, keys.privateKey);
    expectCode(() => inspectToken(jwt), 'token_claims_invalid');
  });
});
