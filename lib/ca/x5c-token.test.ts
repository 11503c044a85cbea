import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsr } from '../pki/csr';
import { sha256 } from '../pki/crypto';
import { p1363ToDer } from '../pki/ecdsa';
import { fromBase64Url, fromUtf8, toBase64, toBase64Url, toHex, utf8 } from '../pki/encoding';
import { generateKeyPair, type KeySpec } from '../pki/keys';
import { makeCsr } from '@/test/helpers/csr';
import { NOW, NOW_S, flipBit, makeFederation, type TestFederation } from '@/test/helpers/unit';
import { signLeafRecord } from './issue';
import { MAX_JWT_LENGTH, TOKEN_LEEWAY_SECONDS } from './token';
import {
  MAX_RENEW_TOKEN_LIFETIME_SECONDS,
  acceptedUntil,
  REKEY_PATHS,
  RENEW_PATHS,
  RENEW_TOKEN_ISSUER,
  RENEW_TOKEN_TTL_SECONDS,
  createX5cToken,
  jwsAlgorithmFor,
  verifyX5cToken,
} from './x5c-token';

const CA = 'https://ca.unit.test:9123';
const RENEW_AUD = `${CA}/1.0/renew`;
const REKEY_AUD = `${CA}/1.0/rekey`;

interface Leaf {
  cn: string;
  der: Uint8Array;
  key: CryptoKey;
  /** Leaf first, then the federation's intermediate, as step sends it. */
  chain: Uint8Array[];
}

let fed: TestFederation;
const leaves = {} as Record<KeySpec, Leaf>;
let p256: Leaf;

/** A leaf the federation's intermediate signs, valid around NOW, and its key. */
async function issueLeaf(cn: string, spec: KeySpec): Promise<Leaf> {
  const csr = await makeCsr(cn, [cn], spec);
  const record = await signLeafRecord({
    ctx: fed.ctx,
    csr: parseCsr(csr.der),
    commonName: cn,
    sans: [cn],
    notBefore: new Date(NOW.getTime() - 60_000),
    notAfter: new Date(NOW.getTime() + 86400_000),
    role: 'collaborator',
    source: 'csr',
    tokenJti: null,
    issuedBy: 'test',
    now: NOW,
  });
  return { cn, der: record.der, key: csr.keys.privateKey, chain: [record.der, fed.ctx.intermediate.der] };
}

beforeAll(async () => {
  fed = await makeFederation();
  const specs: KeySpec[] = ['EC-P256', 'EC-P384', 'EC-P521', 'RSA-2048'];
  const issued = await Promise.all(specs.map((spec, i) => issueLeaf(`node${i + 1}`, spec)));
  specs.forEach((spec, i) => (leaves[spec] = issued[i]!));
  p256 = leaves['EC-P256'];
});

const b64 = (v: unknown) => toBase64Url(utf8(JSON.stringify(v)));
const partsOf = (jwt: string) => jwt.split('.') as [string, string, string];
const decodePart = (part: string) => JSON.parse(fromUtf8(fromBase64Url(part))) as Record<string, unknown>;

/** Drops the keys a patch sets to undefined (so a patch can remove a field). */
function patched(base: Record<string, unknown>, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const k of Object.keys(patch)) if (patch[k] === undefined) delete out[k];
  return out;
}

function signParams(key: CryptoKey): AlgorithmIdentifier | EcdsaParams {
  const alg = key.algorithm as EcKeyAlgorithm;
  if (alg.name === 'ECDSA') return { name: 'ECDSA', hash: alg.namedCurve === 'P-256' ? 'SHA-256' : alg.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512' };
  return { name: alg.name };
}

interface Forge {
  leaf?: Leaf;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Signs with this key instead of the leaf's. */
  signer?: CryptoKey;
  /** Post-processes the WebCrypto (IEEE P1363 for ECDSA) signature. */
  sig?: (sig: Uint8Array) => Uint8Array;
}

/** A token built by hand, the way createX5cToken does, with whatever header and claims a case needs. */
async function forge(o: Forge = {}): Promise<string> {
  const leaf = o.leaf ?? p256;
  const header = patched({ alg: jwsAlgorithmFor(leaf.key), typ: 'JWT', x5cInsecure: leaf.chain.map((d) => toBase64(d)) }, o.header);
  const claims = patched(
    { aud: RENEW_AUD, exp: NOW_S + RENEW_TOKEN_TTL_SECONDS, iat: NOW_S, iss: RENEW_TOKEN_ISSUER, jti: 'f'.repeat(64), nbf: NOW_S, sub: leaf.cn },
    o.claims,
  );
  const input = `${b64(header)}.${b64(claims)}`;
  const signer = o.signer ?? leaf.key;
  const sig = new Uint8Array(await globalThis.crypto.subtle.sign(signParams(signer), signer, utf8(input) as BufferSource));
  return `${input}.${toBase64Url(o.sig ? o.sig(sig) : sig)}`;
}

const token = (o: { leaf?: Leaf; audience?: string; csrDer?: Uint8Array; ttlSeconds?: number; now?: Date } = {}) => {
  const leaf = o.leaf ?? p256;
  return createX5cToken({ chain: leaf.chain, key: leaf.key, audience: o.audience ?? RENEW_AUD, subject: leaf.cn, csrDer: o.csrDer, ttlSeconds: o.ttlSeconds, now: o.now ?? NOW });
};

const verify = (jwt: string, o: { now?: Date; paths?: readonly string[] } = {}) => verifyX5cToken(jwt, { now: o.now ?? NOW, paths: o.paths ?? RENEW_PATHS });

async function expectRefused(jwt: string | Promise<string>, fragment: string, o: Parameters<typeof verify>[1] = {}) {
  await expect(verify(await jwt, o)).rejects.toMatchObject({
    name: 'CaError',
    code: 'unauthenticated',
    message: expect.stringMatching(new RegExp(`^The renewal token is refused: .*${fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.$`)),
  });
}

describe('createX5cToken', () => {
  it('ok/header and claims as step-ca-client makes them', async () => {
    const [h, c] = partsOf(await token());
    expect(decodePart(h)).toEqual({ alg: 'ES256', typ: 'JWT', x5cInsecure: [toBase64(p256.der), toBase64(fed.ctx.intermediate.der)] });
    const claims = decodePart(c);
    expect(claims).toEqual({ aud: RENEW_AUD, exp: NOW_S + 300, iat: NOW_S, iss: 'step-ca-client/1.0', jti: expect.stringMatching(/^[0-9a-f]{64}$/), nbf: NOW_S, sub: 'node1' });
    expect(claims).not.toHaveProperty('cnf');
  });

  it('ok/a new jti every time', async () => {
    const jtis = await Promise.all([token(), token()]).then((ts) => ts.map((t) => decodePart(partsOf(t)[1]).jti));
    expect(jtis[0]).not.toBe(jtis[1]);
  });

  it('ok/ttlSeconds sets exp', async () => {
    expect(decodePart(partsOf(await token({ ttlSeconds: 60 }))[1]).exp).toBe(NOW_S + 60);
  });

  it.each<[KeySpec, string]>([
    ['EC-P256', 'ES256'],
    ['EC-P384', 'ES384'],
    ['EC-P521', 'ES512'],
    ['RSA-2048', 'RS256'],
  ])('ok/%s signs %s', async (spec, alg) => {
    expect(jwsAlgorithmFor(leaves[spec].key)).toBe(alg);
    expect(decodePart(partsOf(await token({ leaf: leaves[spec] }))[0]).alg).toBe(alg);
  });

  it('fail/a key that is neither ECDSA nor RSA', async () => {
    const hmac = await globalThis.crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    await expect(createX5cToken({ chain: p256.chain, key: hmac, audience: RENEW_AUD, subject: 'node1', now: NOW })).rejects.toMatchObject({ name: 'CaError', code: 'bad_request' });
  });
});

describe('verifyX5cToken: accepted', () => {
  it('ok/a renew token returns the leaf, its jti as the reuse key, aud and exp', async () => {
    const jwt = await token();
    const got = await verify(jwt);
    expect(got.leafDer).toEqual(p256.der);
    expect(got.leaf.subject.commonName).toBe('node1');
    expect(got.reuseKey).toBe(decodePart(partsOf(jwt)[1]).jti);
    expect(got.aud).toBe(RENEW_AUD);
    expect(got.exp).toBe(NOW_S + RENEW_TOKEN_TTL_SECONDS);
    expect(got.csrThumbprint).toBeUndefined();
  });

  it('ok/a rekey token carries the CSR thumbprint (cnf x5rt#S256)', async () => {
    const csr = await makeCsr('node1');
    const jwt = await token({ audience: REKEY_AUD, csrDer: csr.der });
    expect(decodePart(partsOf(jwt)[1]).cnf).toEqual({ 'x5rt#S256': toBase64Url(await sha256(csr.der)) });
    const got = await verify(jwt, { paths: REKEY_PATHS });
    expect(got).toMatchObject({ leafDer: p256.der, aud: REKEY_AUD, exp: NOW_S + RENEW_TOKEN_TTL_SECONDS, csrThumbprint: toBase64Url(await sha256(csr.der)) });
    expect(got.reuseKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no jti, as step\'s CLI makes it (token.NewClaims sets none)', { jti: undefined }],
    ['an empty jti', { jti: '' }],
  ])('ok/%s: the SHA-256 of the whole token is its reuse key, as step-ca\'s UseToken', async (_name, claims) => {
    const jwt = await forge({ claims });
    const got = await verify(`${jwt}\n`);
    expect(got.reuseKey).toBe(`sha256:${toHex(await sha256(utf8(jwt)))}`);
    const other = await forge({ claims: { ...claims, iat: NOW_S - 1 } });
    expect((await verify(other)).reuseKey).not.toBe(got.reuseKey);
  });

  it.each<KeySpec>(['EC-P384', 'EC-P521', 'RSA-2048'])('ok/a %s leaf', async (spec) => {
    await expect(verify(await token({ leaf: leaves[spec] }))).resolves.toMatchObject({ leafDer: leaves[spec].der });
  });

  it('ok/surrounding whitespace', async () => {
    await expect(verify(`  ${await token()}\n`)).resolves.toBeDefined();
  });

  it('ok/the chain in x5c instead of x5cInsecure', async () => {
    await expect(verify(await forge({ header: { x5cInsecure: undefined, x5c: [toBase64(p256.der)] } }))).resolves.toMatchObject({ leafDer: p256.der });
  });

  it('ok/only the leaf is read: later chain entries are not parsed (the caller checks the leaf against its own intermediates)', async () => {
    await expect(verify(await forge({ header: { x5cInsecure: [toBase64(p256.der), 'not base64 !!'] } }))).resolves.toMatchObject({ leafDer: p256.der });
  });

  it('ok/a chain of 4 certificates', async () => {
    const x5c = [p256.der, fed.ctx.intermediate.der, fed.ctx.root.der, fed.ctx.root.der].map((d) => toBase64(d));
    await expect(verify(await forge({ header: { x5cInsecure: x5c } }))).resolves.toBeDefined();
  });

  it.each<[string, Record<string, unknown>, readonly string[]]>([
    ['ok/aud path /renew (without /1.0)', { aud: `${CA}/renew` }, RENEW_PATHS],
    ['ok/aud path /rekey on the rekey paths', { aud: `${CA}/rekey` }, REKEY_PATHS],
    ['ok/aud as a one-element array', { aud: [RENEW_AUD] }, RENEW_PATHS],
    ['ok/aud with a query string (only the path is compared)', { aud: `${RENEW_AUD}?x=1` }, RENEW_PATHS],
    ['ok/no nbf: iat stands in', { nbf: undefined }, RENEW_PATHS],
    ['ok/nbf 60 s ahead: within the leeway', { nbf: NOW_S + TOKEN_LEEWAY_SECONDS, iat: NOW_S + TOKEN_LEEWAY_SECONDS }, RENEW_PATHS],
    ['ok/exp 60 s ago: within the leeway', { exp: NOW_S - TOKEN_LEEWAY_SECONDS, nbf: NOW_S - 300, iat: NOW_S - 300 }, RENEW_PATHS],
    ['ok/a lifetime of exactly an hour', { exp: NOW_S + MAX_RENEW_TOKEN_LIFETIME_SECONDS }, RENEW_PATHS],
    ['ok/jti of 16 characters', { jti: 'a'.repeat(16) }, RENEW_PATHS],
    ['ok/jti of 128 characters', { jti: 'a'.repeat(128) }, RENEW_PATHS],
    ['ok/a cnf without x5rt#S256 names no CSR', { cnf: { jkt: 'x' } }, RENEW_PATHS],
  ])('%s', async (_name, claims, paths) => {
    await expect(verify(await forge({ claims }), { paths })).resolves.toBeDefined();
  });

  it('ok/now is compared in whole seconds: exp 60 s before NOW still passes at NOW + 999 ms', async () => {
    const jwt = await forge({ claims: { exp: NOW_S - TOKEN_LEEWAY_SECONDS, nbf: NOW_S - 300, iat: NOW_S - 300 } });
    await expect(verify(jwt, { now: new Date(NOW.getTime() + 999) })).resolves.toBeDefined();
    await expectRefused(jwt, 'it has expired', { now: new Date(NOW.getTime() + 1000) });
  });

  it('ok/acceptedUntil, how long a used jti is remembered, is the first refused instant: no replay gap', async () => {
    const exp = NOW_S - TOKEN_LEEWAY_SECONDS;
    const jwt = await forge({ claims: { exp, nbf: NOW_S - 300, iat: NOW_S - 300 } });
    const until = acceptedUntil(exp).getTime();
    await expect(verify(jwt, { now: new Date(until - 1) })).resolves.toBeDefined();
    await expectRefused(jwt, 'it has expired', { now: new Date(until) });
  });
});

describe('verifyX5cToken: form', () => {
  it.each<[string, () => string]>([
    ['fail/not a JWT', () => 'not a token'],
    ['fail/two parts', () => 'a.b'],
    ['fail/header is not base64url JSON', () => `!!.${b64({})}.`],
    ['fail/header is an array', () => `${b64([])}.${b64({})}.`],
    ['fail/longer than MAX_JWT_LENGTH', () => `${b64({ alg: 'ES256', pad: 'x'.repeat(MAX_JWT_LENGTH) })}.${b64({})}.`],
  ])('%s', async (_name, jwt) => {
    await expectRefused(jwt(), 'it is not a JWT');
  });
});

describe('verifyX5cToken: the x5c chain', () => {
  it.each<[string, Record<string, unknown>]>([
    ['fail/no x5cInsecure header', { x5cInsecure: undefined }],
    ['fail/an empty chain', { x5cInsecure: [] }],
    ['fail/a string, not a list', { x5cInsecure: 'MIIB' }],
    ['fail/a list of non-strings', { x5cInsecure: [123] }],
    ['fail/more than 4 certificates', { x5cInsecure: Array(5).fill('MIIB') }],
  ])('%s', async (_name, header) => {
    await expectRefused(forge({ header }), 'it carries no certificate (x5cInsecure header)');
  });

  it.each<[string, () => Promise<string>]>([
    ['fail/leaf is not base64', async () => 'not base64 !!'],
    ['fail/leaf is base64url, not base64', async () => '-_-_'],
    ['fail/leaf is base64 of garbage', async () => toBase64(utf8('garbage, not DER'))],
    ['fail/leaf is empty', async () => ''],
    ['fail/leaf is truncated DER', async () => toBase64(p256.der.subarray(0, p256.der.length - 10))],
    ['fail/leaf is a CSR, not a certificate', async () => toBase64((await makeCsr('node1')).der)],
  ])('%s', async (_name, leaf) => {
    await expectRefused(forge({ header: { x5cInsecure: [await leaf()] } }), 'its certificate cannot be read');
  });
});

describe('verifyX5cToken: algorithm and signature', () => {
  const notAlg = (alg: string) => `it must be signed with the certificate's key algorithm, not ${JSON.stringify(alg)}`;

  it('fail/alg none with no signature', async () => {
    const header = { alg: 'none', typ: 'JWT', x5cInsecure: [toBase64(p256.der)] };
    const claims = { aud: RENEW_AUD, exp: NOW_S + 300, iat: NOW_S, iss: RENEW_TOKEN_ISSUER, jti: 'f'.repeat(64), nbf: NOW_S, sub: 'node1' };
    await expectRefused(`${b64(header)}.${b64(claims)}.`, notAlg('none'));
  });

  it('fail/HS256 keyed with the certificate (algorithm confusion)', async () => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT', x5cInsecure: [toBase64(p256.der)] })}.${b64({ aud: RENEW_AUD, exp: NOW_S + 300, iss: RENEW_TOKEN_ISSUER, jti: 'f'.repeat(64), nbf: NOW_S, sub: 'node1' })}`;
    const secret = await globalThis.crypto.subtle.importKey('raw', p256.der as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', secret, utf8(input) as BufferSource));
    await expectRefused(`${input}.${toBase64Url(mac)}`, notAlg('HS256'));
  });

  it.each<[string, KeySpec, string]>([
    ['fail/ES384 header on a P-256 leaf', 'EC-P256', 'ES384'],
    ['fail/ES256 header on a P-384 leaf', 'EC-P384', 'ES256'],
    ['fail/ES256 header on an RSA leaf', 'RSA-2048', 'ES256'],
    ['fail/RS256 header on a P-256 leaf', 'EC-P256', 'RS256'],
    ['fail/PS256 header on an RSA leaf', 'RSA-2048', 'PS256'],
    ['fail/lowercase es256', 'EC-P256', 'es256'],
  ])('%s', async (_name, spec, alg) => {
    await expectRefused(forge({ leaf: leaves[spec], header: { alg } }), notAlg(alg));
  });

  it('fail/no alg', async () => {
    await expectRefused(forge({ header: { alg: undefined } }), notAlg('undefined'));
  });

  it('fail/signed by another key than the certificate it carries', async () => {
    const other = await generateKeyPair('EC-P256');
    await expectRefused(forge({ signer: other.privateKey }), 'its signature does not verify with the certificate it carries');
  });

  it('fail/signed by another RSA key than the RSA certificate it carries', async () => {
    const other = await generateKeyPair('RSA-2048');
    await expectRefused(forge({ leaf: leaves['RSA-2048'], signer: other.privateKey }), 'its signature does not verify with the certificate it carries');
  });

  it('fail/another certificate in x5c than the one whose key signed', async () => {
    const stolen = await issueLeaf('victim', 'EC-P256');
    await expectRefused(forge({ header: { x5cInsecure: [toBase64(stolen.der)] }, claims: { sub: 'victim' } }), 'its signature does not verify with the certificate it carries');
  });

  it('fail/a tampered payload with the original signature', async () => {
    const [h, , s] = partsOf(await token());
    const claims = decodePart(partsOf(await token())[1]);
    await expectRefused(`${h}.${b64({ ...claims, exp: NOW_S + 3000 })}.${s}`, 'its signature does not verify with the certificate it carries');
  });

  it('fail/a tampered header with the original signature', async () => {
    const [h, c, s] = partsOf(await token());
    await expectRefused(`${b64({ ...decodePart(h), typ: 'JOSE' })}.${c}.${s}`, 'its signature does not verify with the certificate it carries');
  });

  it('fail/a flipped bit in the signature', async () => {
    await expectRefused(forge({ sig: (sig) => flipBit(sig, 10) }), 'its signature does not verify with the certificate it carries');
  });

  it('fail/a flipped bit in an RSA signature', async () => {
    await expectRefused(forge({ leaf: leaves['RSA-2048'], sig: (sig) => flipBit(sig, 100) }), 'its signature does not verify with the certificate it carries');
  });

  it.each<[string, (sig: Uint8Array) => Uint8Array]>([
    ['fail/an ECDSA signature in DER, not IEEE P1363', (sig) => p1363ToDer(sig)],
    ['fail/an empty signature', () => new Uint8Array(0)],
    ['fail/a signature one byte short', (sig) => sig.subarray(1)],
  ])('%s', async (_name, sig) => {
    await expectRefused(forge({ sig }), 'its signature is not valid');
  });

  it('fail/an empty RSA signature', async () => {
    await expectRefused(forge({ leaf: leaves['RSA-2048'], sig: () => new Uint8Array(0) }), 'its signature does not verify with the certificate it carries');
  });
});

describe('verifyX5cToken: claims', () => {
  const ISSUER = `its issuer must be "${RENEW_TOKEN_ISSUER}"`;
  const SUBJECT = "its subject is not the certificate's common name";
  const NO_AUD = 'it has no audience';
  const NOT_HTTPS = 'its audience is not an https URL';
  const TIMES = 'it must carry nbf (or iat) and exp';
  const JTI = 'its jti, when it has one, must be 16 to 128 characters';

  it.each<[string, Record<string, unknown>, string]>([
    ['fail/no iss', { iss: undefined }, ISSUER],
    ['fail/another iss (a JWK provisioner name)', { iss: 'fedpki:unit' }, ISSUER],
    ['fail/iss of another step-ca-client version', { iss: 'step-ca-client/2.0' }, ISSUER],
    ['fail/no sub', { sub: undefined }, SUBJECT],
    ['fail/sub is another name', { sub: 'node2' }, SUBJECT],
    ['fail/sub in another case', { sub: 'NODE1' }, SUBJECT],
    ['fail/sub is a list', { sub: ['node1'] }, SUBJECT],
    ['fail/no aud', { aud: undefined }, NO_AUD],
    ['fail/aud as a two-element array', { aud: [RENEW_AUD, REKEY_AUD] }, NO_AUD],
    ['fail/aud is a number', { aud: 443 }, NO_AUD],
    ['fail/aud over http', { aud: 'http://ca.unit.test:9123/1.0/renew' }, NOT_HTTPS],
    ['fail/aud is not a URL', { aud: '/1.0/renew' }, NOT_HTTPS],
    ['fail/aud path /1.0/sign', { aud: `${CA}/1.0/sign` }, `it is meant for ${CA}/1.0/sign, not for /1.0/renew`],
    ['fail/aud path with a trailing slash', { aud: `${RENEW_AUD}/` }, `it is meant for ${RENEW_AUD}/, not for /1.0/renew`],
    ['fail/a /rekey token used for /renew', { aud: REKEY_AUD }, `it is meant for ${REKEY_AUD}, not for /1.0/renew`],
    ['fail/no exp', { exp: undefined }, TIMES],
    ['fail/exp as a string', { exp: String(NOW_S + 300) }, TIMES],
    ['fail/exp not an integer', { exp: NOW_S + 300.5 }, TIMES],
    ['fail/neither nbf nor iat', { nbf: undefined, iat: undefined }, TIMES],
    ['fail/jti of 15 characters', { jti: 'a'.repeat(15) }, JTI],
    ['fail/jti of 129 characters', { jti: 'a'.repeat(129) }, JTI],
    ['fail/jti is a number', { jti: 1234567890123456789 }, JTI],
    ['fail/nbf 61 s ahead', { nbf: NOW_S + TOKEN_LEEWAY_SECONDS + 1, iat: NOW_S + TOKEN_LEEWAY_SECONDS + 1 }, 'it is not valid yet'],
    ['fail/no nbf and iat 61 s ahead', { nbf: undefined, iat: NOW_S + TOKEN_LEEWAY_SECONDS + 1 }, 'it is not valid yet'],
    ['fail/exp 61 s ago', { exp: NOW_S - TOKEN_LEEWAY_SECONDS - 1, nbf: NOW_S - 300, iat: NOW_S - 300 }, 'it has expired'],
    ['fail/a lifetime of an hour and a second', { exp: NOW_S + MAX_RENEW_TOKEN_LIFETIME_SECONDS + 1 }, 'it lives longer than an hour'],
  ])('%s', async (_name, claims, fragment) => {
    await expectRefused(forge({ claims }), fragment);
  });

  it('fail/a /renew token used for /rekey', async () => {
    await expectRefused(token(), `it is meant for ${RENEW_AUD}, not for /1.0/rekey`, { paths: REKEY_PATHS });
  });

  it('fail/a /rekey token (with cnf) used for /renew', async () => {
    await expectRefused(token({ audience: REKEY_AUD, csrDer: (await makeCsr('node1')).der }), `it is meant for ${REKEY_AUD}, not for /1.0/renew`);
  });

  it('fail/a createX5cToken token replayed after exp + leeway', async () => {
    const jwt = await token();
    await expect(verify(jwt, { now: new Date((NOW_S + RENEW_TOKEN_TTL_SECONDS + TOKEN_LEEWAY_SECONDS) * 1000) })).resolves.toBeDefined();
    await expectRefused(jwt, 'it has expired', { now: new Date((NOW_S + RENEW_TOKEN_TTL_SECONDS + TOKEN_LEEWAY_SECONDS + 1) * 1000) });
  });

  it('fail/a createX5cToken token used before nbf - leeway', async () => {
    await expectRefused(token({ now: new Date(NOW.getTime() + (TOKEN_LEEWAY_SECONDS + 1) * 1000) }), 'it is not valid yet');
  });

  it('fail/a createX5cToken token made to live over an hour', async () => {
    await expectRefused(token({ ttlSeconds: MAX_RENEW_TOKEN_LIFETIME_SECONDS + 1 }), 'it lives longer than an hour');
  });

  it('fail/refusal messages never contain the signature', async () => {
    const jwt = await forge({ claims: { exp: NOW_S - 3600, nbf: NOW_S - 3900 } });
    const e = await verify(jwt).catch((x: unknown) => x);
    expect((e as Error).message).toBe('The renewal token is refused: it has expired.');
    expect((e as Error).message).not.toContain(partsOf(jwt)[2]);
  });
});
