import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerError } from './der';
import {
  KEY_SPECS,
  exportPkcs8,
  exportSpki,
  generateKeyPair,
  importPkcs8,
  importSpki,
  isKeySpec,
  keyAlgorithmParams,
  keySpecOf,
  pkcs8KeySpec,
  type KeySpec,
} from './keys';
import { parseSpki } from './spki';

const DATA = new TextEncoder().encode('FedPKI');

describe('generateKeyPair', () => {
  it.each(Object.keys(KEY_SPECS) as KeySpec[])('ok/%s generates, round-trips through PKCS#8 and SPKI, and signs', async (spec) => {
    const keys = await generateKeyPair(spec);
    expect(keys.privateKey.extractable).toBe(true);
    expect(keySpecOf(keys.privateKey)).toBe(spec);
    expect(keySpecOf(keys.publicKey)).toBe(spec);

    const pkcs8 = await exportPkcs8(keys.privateKey);
    expect(pkcs8KeySpec(pkcs8)).toBe(spec);
    const imported = await importPkcs8(pkcs8);
    expect(imported.extractable).toBe(false);
    expect(imported.usages).toEqual(['sign']);
    expect(keySpecOf(imported)).toBe(spec);

    const spki = await exportSpki(keys.publicKey);
    const info = parseSpki(spki);
    const { kind, curve, bits } = KEY_SPECS[spec];
    expect(info.type).toBe(kind);
    if (kind === 'EC') expect(info.curve).toBe(curve);
    else expect(info.rsaBits).toBe(bits);
    const verifyKey = await importSpki(spki, spec);

    const params = kind === 'EC' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
    const sig = await crypto.subtle.sign(params, imported, DATA);
    expect(await crypto.subtle.verify(params, verifyKey, sig, DATA)).toBe(true);
  });

  it('ok/non-extractable when asked; an RSA key may bind another hash', async () => {
    const keys = await generateKeyPair('EC-P256', { extractable: false });
    expect(keys.privateKey.extractable).toBe(false);
    const rsa = await generateKeyPair('RSA-2048', { hash: 'SHA-512' });
    expect((rsa.privateKey.algorithm as RsaHashedKeyAlgorithm).hash.name).toBe('SHA-512');
    const imported = await importPkcs8(await exportPkcs8(rsa.privateKey), { hash: 'SHA-512', extractable: true });
    expect((imported.algorithm as RsaHashedKeyAlgorithm).hash.name).toBe('SHA-512');
    expect(imported.extractable).toBe(true);
  });
});

describe('pkcs8KeySpec', () => {
  const nodePkcs8 = (type: string, options: object) =>
    new Uint8Array((generateKeyPairSync as unknown as (t: string, o: object) => { privateKey: { export(o: object): Buffer } })(type, options).privateKey.export({ type: 'pkcs8', format: 'der' }));

  it('ok/keys made by OpenSSL (node:crypto)', () => {
    expect(pkcs8KeySpec(nodePkcs8('ec', { namedCurve: 'P-384' }))).toBe('EC-P384');
    expect(pkcs8KeySpec(nodePkcs8('rsa', { modulusLength: 2048 }))).toBe('RSA-2048');
  });

  it.each([
    ['fail/Ed25519', () => nodePkcs8('ed25519', {})],
    ['fail/secp256k1', () => nodePkcs8('ec', { namedCurve: 'secp256k1' })],
  ])('%s is not a CA key spec', (_name, make) => {
    expect(() => pkcs8KeySpec(make())).toThrow(TypeError);
  });

  it('fail/bytes that are not a PrivateKeyInfo', () => {
    expect(() => pkcs8KeySpec(Uint8Array.of(0x30, 0x00))).toThrow(TypeError);
    expect(() => pkcs8KeySpec(Uint8Array.of(0x30, 0x01))).toThrow(DerError);
  });
});

describe('spec table', () => {
  it('ok/isKeySpec and the WebCrypto parameters of each spec', () => {
    expect(isKeySpec('EC-P384')).toBe(true);
    expect(isKeySpec('RSA-1024')).toBe(false);
    expect(isKeySpec('toString')).toBe(false);
    expect(keyAlgorithmParams('EC-P521')).toEqual({ name: 'ECDSA', namedCurve: 'P-521' });
    expect(keyAlgorithmParams('RSA-3072', 'SHA-384')).toEqual({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' });
    expect(Object.values(KEY_SPECS).map((s) => s.label)).toEqual(['ECDSA P-256', 'ECDSA P-384', 'ECDSA P-521', 'RSA 2048', 'RSA 3072', 'RSA 4096']);
  });
});
