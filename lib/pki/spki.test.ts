import { generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from '@/test/helpers/bytes';
import { signatureAlgorithmFor } from './algorithms';
import { DerError, bitString, children, nullValue, oid, readRoot, sequence, unsignedInteger } from './der';
import { exportSpki, generateKeyPair, type KeySpec } from './keys';
import * as OID from './oids';
import { describePublicKey, importVerifyKey, parseSpki, readAlgorithmOid } from './spki';

/** A public key made by node:crypto (OpenSSL), as SPKI DER: kinds WebCrypto cannot make. */
function nodeSpki(type: string, options: object = {}): Uint8Array {
  const generate = generateKeyPairSync as unknown as (t: string, o: object) => KeyPairKeyObjectResult;
  return new Uint8Array(generate(type, options).publicKey.export({ type: 'spki', format: 'der' }));
}

const ecSpki = (params: Uint8Array[], point: Uint8Array, unusedBits = 0) =>
  sequence(sequence(oid(OID.id_ecPublicKey), ...params), bitString(point, unusedBits));

describe('parseSpki', () => {
  it.each([
    ['EC-P256', 'P-256', OID.secp256r1, 65, 'EC P-256'],
    ['EC-P384', 'P-384', OID.secp384r1, 97, 'EC P-384'],
    ['EC-P521', 'P-521', OID.secp521r1, 133, 'EC P-521'],
  ] as const)('ok/%s from WebCrypto', async (spec, curve, curveOid, pointBytes, text) => {
    const der = await exportSpki((await generateKeyPair(spec as KeySpec)).publicKey);
    const info = parseSpki(der);
    expect(info).toMatchObject({ type: 'EC', algorithmOid: OID.id_ecPublicKey, curve, curveOid });
    expect(info.subjectPublicKey).toHaveLength(pointBytes);
    expect(info.subjectPublicKey[0]).toBe(0x04);
    expect(info.der).toEqual(der);
    expect(describePublicKey(info)).toBe(text);
  });

  it('ok/RSA-2048 reports its modulus size', async () => {
    const info = parseSpki(await exportSpki((await generateKeyPair('RSA-2048')).publicKey));
    expect(info).toMatchObject({ type: 'RSA', rsaBits: 2048 });
    expect(describePublicKey(info)).toBe('RSA 2048');
  });

  it.each([
    ['ok/RSA 1024', () => nodeSpki('rsa', { modulusLength: 1024 }), { type: 'RSA', rsaBits: 1024 }, 'RSA 1024'],
    ['ok/RSA with an odd size counts bits, not bytes', () => nodeSpki('rsa', { modulusLength: 2047 }), { type: 'RSA', rsaBits: 2047 }, 'RSA 2047'],
    ['ok/secp256k1 is EC without a WebCrypto curve', () => nodeSpki('ec', { namedCurve: 'secp256k1' }), { type: 'EC', curveOid: OID.secp256k1 }, 'EC 1.3.132.0.10'],
    ['ok/Ed25519', () => nodeSpki('ed25519'), { type: 'Ed25519', algorithmOid: OID.id_Ed25519 }, 'Ed25519'],
    ['ok/Ed448', () => nodeSpki('ed448'), { type: 'Ed448', algorithmOid: OID.id_Ed448 }, 'Ed448'],
    ['ok/RSA-PSS', () => nodeSpki('rsa-pss', { modulusLength: 2048 }), { type: 'RSA-PSS', algorithmOid: OID.id_RSASSA_PSS }, 'RSA-PSS'],
    ['ok/an unknown algorithm', () => sequence(sequence(oid('1.2.3.4')), bitString(Uint8Array.of(1))), { type: 'unknown', algorithmOid: '1.2.3.4' }, 'unknown key (1.2.3.4)'],
  ])('%s', (_name, make, expected, text) => {
    const info = parseSpki(make());
    expect(info).toMatchObject(expected);
    if (info.type === 'EC') expect(info.curve).toBeUndefined();
    expect(describePublicKey(info)).toBe(text);
  });

  it('ok/reads the SPKI inside a larger structure by its node', async () => {
    const spki = await exportSpki((await generateKeyPair('EC-P256')).publicKey);
    const outer = sequence(nullValue(), spki);
    const [, node] = children(outer, readRoot(outer));
    const info = parseSpki(outer, node);
    expect(info.der).toEqual(spki);
    expect(info.curve).toBe('P-256');
  });

  const point = (len: number, first = 0x04) => {
    const p = new Uint8Array(len);
    p[0] = first;
    return p;
  };

  it.each([
    ['fail/EC without a named curve', ecSpki([], point(65))],
    ['fail/EC with NULL parameters', ecSpki([nullValue()], point(65))],
    ['fail/EC with explicit curve parameters', ecSpki([sequence(unsignedInteger(Uint8Array.of(1)))], point(65))],
    ['fail/compressed P-256 point', ecSpki([oid(OID.secp256r1)], point(33, 0x02))],
    ['fail/P-256 point of the P-384 length', ecSpki([oid(OID.secp256r1)], point(97))],
    ['fail/P-384 point without the 04 prefix', ecSpki([oid(OID.secp384r1)], point(97, 0x00))],
    ['fail/public key BIT STRING with unused bits', ecSpki([oid(OID.secp256r1)], point(65), 1)],
    ['fail/an extra element', sequence(sequence(oid(OID.id_ecPublicKey), oid(OID.secp256r1)), bitString(point(65)), nullValue())],
    ['fail/no key', sequence(sequence(oid(OID.id_ecPublicKey), oid(OID.secp256r1)))],
    ['fail/empty AlgorithmIdentifier', sequence(sequence(), bitString(point(65)))],
    ['fail/RSA key that is not an RSAPublicKey', sequence(sequence(oid(OID.rsaEncryption), nullValue()), bitString(Uint8Array.of(0x05, 0x00)))],
    ['fail/RSA key with a negative modulus', sequence(sequence(oid(OID.rsaEncryption), nullValue()), bitString(sequence(unhex('020180'), unhex('020103'))))],
  ])('%s', (_name, der) => {
    expect(() => parseSpki(der)).toThrow(DerError);
  });
});

describe('importVerifyKey', () => {
  const data = new TextEncoder().encode('signed');

  it('ok/EC key for ECDSA verifies a WebCrypto signature (through the raw point)', async () => {
    const keys = await generateKeyPair('EC-P384');
    const info = parseSpki(await exportSpki(keys.publicKey));
    const alg = signatureAlgorithmFor('ECDSA', 'SHA-384');
    const key = await importVerifyKey(info, alg, crypto);
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, keys.privateKey, data);
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, key, sig, data)).toBe(true);
  });

  it('ok/RSA key binds the algorithm hash', async () => {
    const keys = await generateKeyPair('RSA-2048', { hash: 'SHA-384' });
    const info = parseSpki(await exportSpki(keys.publicKey));
    const key = await importVerifyKey(info, signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-384'), crypto);
    expect((key.algorithm as RsaHashedKeyAlgorithm).hash.name).toBe('SHA-384');
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, data);
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data)).toBe(true);
  });

  it('fail/ECDSA algorithm with an RSA key, RSA algorithm with an EC key, an unsupported curve', async () => {
    const rsa = parseSpki(nodeSpki('rsa', { modulusLength: 1024 }));
    const ec = parseSpki(await exportSpki((await generateKeyPair('EC-P256')).publicKey));
    const k1 = parseSpki(nodeSpki('ec', { namedCurve: 'secp256k1' }));
    await expect(importVerifyKey(rsa, signatureAlgorithmFor('ECDSA', 'SHA-256'), crypto)).rejects.toThrow(DerError);
    await expect(importVerifyKey(ec, signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-256'), crypto)).rejects.toThrow(DerError);
    await expect(importVerifyKey(k1, signatureAlgorithmFor('ECDSA', 'SHA-256'), crypto)).rejects.toThrow(DerError);
  });
});

describe('readAlgorithmOid', () => {
  it('ok/with and without parameters', () => {
    const withNull = sequence(oid(OID.sha256WithRSAEncryption), nullValue());
    expect(readAlgorithmOid(withNull, readRoot(withNull))).toBe(OID.sha256WithRSAEncryption);
    const bare = sequence(oid(OID.ecdsa_with_SHA256));
    expect(hex(bare)).toBe('300a06082a8648ce3d040302');
    expect(readAlgorithmOid(bare, readRoot(bare))).toBe(OID.ecdsa_with_SHA256);
  });

  it('fail/not a SEQUENCE, or empty', () => {
    const o = oid(OID.ecdsa_with_SHA256);
    expect(() => readAlgorithmOid(o, readRoot(o))).toThrow(DerError);
    const empty = sequence();
    expect(() => readAlgorithmOid(empty, readRoot(empty))).toThrow(DerError);
  });
});
