import { createPublicKey, createPrivateKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from '@/test/helpers/bytes';
import { DerError } from './der';
import { CURVE_FIELD_BYTES, derToP1363, p1363ToDer } from './ecdsa';
import { exportPkcs8, exportSpki, generateKeyPair } from './keys';

describe('p1363ToDer', () => {
  it.each([
    ['ok/small values', '0102', '3006020101020102'],
    ['ok/high bit gets a 00 pad', '80ff', '300802020080020200ff'],
    ['ok/leading zeros are dropped', '0001' + '0002', '3006020101020102'],
    ['ok/zero components', '0000', '3006020100020100'],
  ])('%s', (_name, p1363, der) => {
    expect(hex(p1363ToDer(unhex(p1363)))).toBe(der);
  });

  it.each([
    ['fail/odd length', '010203'],
    ['fail/empty', ''],
  ])('%s', (_name, p1363) => {
    expect(() => p1363ToDer(unhex(p1363))).toThrow(DerError);
  });
});

describe('derToP1363', () => {
  it.each([
    ['ok/left-pads each component', '3006020101020102', 2, '00010002'],
    ['ok/strips the sign pad', '300802020080020200ff', 1, '80ff'],
    ['ok/P-256 width', '3006020101020102', 32, `${'00'.repeat(31)}01${'00'.repeat(31)}02`],
  ])('%s', (_name, der, field, p1363) => {
    expect(hex(derToP1363(unhex(der), field))).toBe(p1363);
  });

  it.each([
    ['fail/component longer than the field', '30070203010203020101', 2],
    ['fail/one INTEGER', '3003020101', 2],
    ['fail/three INTEGERs', '3009020101020101020101', 2],
    ['fail/negative INTEGER', '3006020181020101', 2],
    ['fail/non-minimal INTEGER', '300702020001020101', 2],
    ['fail/not a SEQUENCE', '3106020101020101', 2],
    ['fail/OCTET STRING instead of INTEGER', '3006040101020101', 2],
    ['fail/trailing bytes', '300602010102010100', 2],
    ['fail/truncated', '30060201010201', 2],
  ])('%s', (_name, der, field) => {
    expect(() => derToP1363(unhex(der), field)).toThrow(DerError);
  });
});

describe('against an independent implementation (node:crypto, DER signatures)', () => {
  const data = new TextEncoder().encode('FedPKI');
  const HASH = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' } as const;

  it.each(['P-256', 'P-384', 'P-521'] as const)('ok/%s: WebCrypto r‖s → DER verifies in OpenSSL, and back', async (curve) => {
    const keys = await generateKeyPair(curve === 'P-256' ? 'EC-P256' : curve === 'P-384' ? 'EC-P384' : 'EC-P521');
    const pub = createPublicKey({ key: Buffer.from(await exportSpki(keys.publicKey)), format: 'der', type: 'spki' });
    const priv = createPrivateKey({ key: Buffer.from(await exportPkcs8(keys.privateKey)), format: 'der', type: 'pkcs8' });
    const params = { name: 'ECDSA', hash: HASH[curve].replace('sha', 'SHA-') };
    for (let i = 0; i < 8; i++) {
      const p1363 = new Uint8Array(await crypto.subtle.sign(params, keys.privateKey, data));
      expect(p1363).toHaveLength(CURVE_FIELD_BYTES[curve] * 2);
      const der = p1363ToDer(p1363);
      expect(nodeVerify(HASH[curve], data, { key: pub, dsaEncoding: 'der' }, der)).toBe(true);
      expect(derToP1363(der, CURVE_FIELD_BYTES[curve])).toEqual(p1363);

      const nodeDer = new Uint8Array(nodeSign(HASH[curve], data, { key: priv, dsaEncoding: 'der' }));
      const back = derToP1363(nodeDer, CURVE_FIELD_BYTES[curve]);
      expect(await crypto.subtle.verify(params, keys.publicKey, back as BufferSource, data)).toBe(true);
      expect(p1363ToDer(back)).toEqual(nodeDer);
    }
  });
});
