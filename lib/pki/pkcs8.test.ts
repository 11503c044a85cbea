import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, describe, expect, it } from 'vitest';
import { hex } from '@/test/helpers/unit';
import { toArrayBuffer } from './encoding';
import { exportPkcs8, exportSpki, generateKeyPair, importPkcs8 } from './keys';
import { fromPem, toPem } from './pem';
import { DEFAULT_PBKDF2_ITERATIONS, WrongPasswordError, decryptPrivateKey, encryptPrivateKey } from './pkcs8';

const PASSWORD = 'correct horse battery staple';
const tmp = mkdtempSync(join(tmpdir(), 'fedpki-pkcs8-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function openssl(args: string[], input?: string) {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** EncryptedPrivateKeyInfo (RFC 5958 §3) read with asn1js, an independent parser. */
function pbes2Parameters(der: Uint8Array) {
  const { result, offset } = asn1js.fromBER(toArrayBuffer(der));
  expect(offset).toBe(der.length);
  const seq = (b: asn1js.AsnType) => (b as asn1js.Sequence).valueBlock.value;
  const oidOf = (b: asn1js.AsnType | undefined) => (b as asn1js.ObjectIdentifier).valueBlock.toString();
  const [encryptionAlgorithm, encryptedData] = seq(result);
  const [pbes2Oid, pbes2Params] = seq(encryptionAlgorithm!);
  const [kdf, scheme] = seq(pbes2Params!);
  const [kdfOid, kdfParams] = seq(kdf!);
  const [salt, iterations, ...rest] = seq(kdfParams!);
  const prf = rest.find((b) => b instanceof asn1js.Sequence);
  const keyLength = rest.find((b) => b instanceof asn1js.Integer) as asn1js.Integer | undefined;
  const [schemeOid, iv] = seq(scheme!);
  return {
    pbes2: oidOf(pbes2Oid),
    kdf: oidOf(kdfOid),
    salt: hex((salt as asn1js.OctetString).valueBlock.valueHexView),
    iterations: (iterations as asn1js.Integer).valueBlock.valueDec,
    keyLength: keyLength?.valueBlock.valueDec,
    prf: prf ? oidOf(seq(prf)[0]) : undefined,
    scheme: oidOf(schemeOid),
    iv: hex((iv as asn1js.OctetString).valueBlock.valueHexView),
    encryptedBytes: (encryptedData as asn1js.OctetString).valueBlock.valueHexView.length,
  };
}

describe('encryptPrivateKey / decryptPrivateKey', () => {
  it.each(['EC-P256', 'EC-P384', 'RSA-2048'] as const)('ok/%s round-trips to the same PKCS#8 and still signs', async (spec) => {
    const keys = await generateKeyPair(spec);
    const pkcs8 = await exportPkcs8(keys.privateKey);
    const encrypted = await encryptPrivateKey(pkcs8, PASSWORD, { iterations: 1000 });
    const plain = await decryptPrivateKey(encrypted, PASSWORD);
    expect(hex(plain)).toBe(hex(pkcs8));
    const key = await importPkcs8(plain);
    const alg = spec === 'RSA-2048' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
    const sig = await crypto.subtle.sign(alg, key, Uint8Array.of(1));
    expect(await crypto.subtle.verify(alg, keys.publicKey, sig, Uint8Array.of(1))).toBe(true);
  });

  it('fail/a wrong password is a WrongPasswordError', async () => {
    const pkcs8 = await exportPkcs8((await generateKeyPair('EC-P256')).privateKey);
    const encrypted = await encryptPrivateKey(pkcs8, PASSWORD, { iterations: 1000 });
    for (const wrong of ['correct horse battery stapler', '', 'CORRECT HORSE BATTERY STAPLE']) {
      await expect(decryptPrivateKey(encrypted, wrong)).rejects.toBeInstanceOf(WrongPasswordError);
    }
    await expect(decryptPrivateKey(encrypted, 'x')).rejects.toThrow('the password does not open this key');
  });

  it('fail/an empty password is refused when encrypting', async () => {
    const pkcs8 = await exportPkcs8((await generateKeyPair('EC-P256')).privateKey);
    await expect(encryptPrivateKey(pkcs8, '')).rejects.toThrow(TypeError);
  });

  it('fail/bytes that are not an EncryptedPrivateKeyInfo', async () => {
    await expect(decryptPrivateKey(Uint8Array.of(0x30, 0x00), PASSWORD)).rejects.toThrow();
  });

  it('ok/each encryption draws a fresh salt and IV', async () => {
    const pkcs8 = await exportPkcs8((await generateKeyPair('EC-P256')).privateKey);
    const a = pbes2Parameters(await encryptPrivateKey(pkcs8, PASSWORD, { iterations: 1000 }));
    const b = pbes2Parameters(await encryptPrivateKey(pkcs8, PASSWORD, { iterations: 1000 }));
    expect(a.iv).not.toBe(b.iv);
    expect(a.salt).not.toBe(b.salt);
  });

  it('ok/by default: PBES2, PBKDF2-HMAC-SHA256 with 600,000 iterations, AES-256-CBC (read back from the DER)', async () => {
    expect(DEFAULT_PBKDF2_ITERATIONS).toBe(600_000);
    const pkcs8 = await exportPkcs8((await generateKeyPair('EC-P256')).privateKey);
    const encrypted = await encryptPrivateKey(pkcs8, PASSWORD);
    const p = pbes2Parameters(encrypted);
    expect(p).toMatchObject({
      pbes2: '1.2.840.113549.1.5.13',
      kdf: '1.2.840.113549.1.5.12',
      iterations: 600_000,
      prf: '1.2.840.113549.2.9', // hmacWithSHA256: must be explicit, the DEFAULT is SHA-1
      scheme: '2.16.840.1.101.3.4.1.42', // aes256-CBC
    });
    expect(p.keyLength === undefined || p.keyLength === 32).toBe(true);
    expect(p.salt.length / 2).toBeGreaterThanOrEqual(8);
    expect(p.iv).toHaveLength(32);
    expect(p.encryptedBytes % 16).toBe(0);
    expect(hex(await decryptPrivateKey(encrypted, PASSWORD))).toBe(hex(pkcs8));
  });
});

describe('interoperability with OpenSSL', () => {
  it('ok/`openssl pkey -passin` opens a FedPKI-encrypted key (low iteration count)', async () => {
    const keys = await generateKeyPair('EC-P384');
    const file = join(tmp, 'fedpki.key');
    writeFileSync(file, toPem(await encryptPrivateKey(await exportPkcs8(keys.privateKey), PASSWORD, { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'));
    const r = openssl(['pkey', '-in', file, '-passin', `pass:${PASSWORD}`, '-pubout']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(toPem(await exportSpki(keys.publicKey), 'PUBLIC KEY'));
    expect(openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-pubout']).status).not.toBe(0);
  });

  it('ok/decryptPrivateKey opens a key OpenSSL encrypted with PBES2 AES-256-CBC HMAC-SHA256', async () => {
    const keys = await generateKeyPair('EC-P256');
    const plain = toPem(await exportPkcs8(keys.privateKey), 'PRIVATE KEY');
    const r = openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256', '-iter', '1000', '-passout', `pass:${PASSWORD}`], plain);
    expect(r.status, r.stderr).toBe(0);
    const der = fromPem(r.stdout, 'ENCRYPTED PRIVATE KEY')!;
    expect(pbes2Parameters(der).iterations).toBe(1000);
    expect(toPem(await decryptPrivateKey(der, PASSWORD), 'PRIVATE KEY')).toBe(plain);
    await expect(decryptPrivateKey(der, 'wrong')).rejects.toBeInstanceOf(WrongPasswordError);
  });
});
