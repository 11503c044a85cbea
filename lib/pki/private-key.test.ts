import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromPem, toPem } from './pem';
import { importPkcs8 } from './keys';
import { PrivateKeyFormatError, pkcs8ToTraditional, privateKeyToPem, readPrivateKeyPem } from './private-key';
import { pemLabelOf } from '@/test/helpers/unit';

type Kind = { name: string; make: () => ReturnType<typeof generateKeyPairSync>; traditional: 'sec1' | 'pkcs1'; spec: string };

const kinds: Kind[] = [
  { name: 'EC P-256', make: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), traditional: 'sec1', spec: 'EC-P256' },
  { name: 'EC P-384', make: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), traditional: 'sec1', spec: 'EC-P384' },
  { name: 'EC P-521', make: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }), traditional: 'sec1', spec: 'EC-P521' },
  { name: 'RSA 2048', make: () => generateKeyPairSync('rsa', { modulusLength: 2048 }), traditional: 'pkcs1', spec: 'RSA-2048' },
];

const data = new TextEncoder().encode('prove it');

async function signsLikeOriginal(pkcs8: Uint8Array, original: ReturnType<typeof generateKeyPairSync>) {
  const key = await importPkcs8(pkcs8);
  const alg = key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const sig = new Uint8Array(await crypto.subtle.sign(alg, key, data));
  const spki = original.publicKey.export({ type: 'spki', format: 'der' });
  const pub = await crypto.subtle.importKey('spki', spki, key.algorithm.name === 'ECDSA' ? key.algorithm : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify(alg, pub, sig, data);
}

describe('readPrivateKeyPem', () => {
  for (const kind of kinds) {
    it(`ok/${kind.name}: PKCS#8 and ${kind.traditional.toUpperCase()} files import into WebCrypto and sign for the same public key`, async () => {
      const pair = kind.make();
      const traditional = pair.privateKey.export({ type: kind.traditional, format: 'pem' }) as string;
      const pkcs8Pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const fromTraditional = readPrivateKeyPem(traditional);
      const fromPkcs8 = readPrivateKeyPem(pkcs8Pem);
      expect(fromTraditional.format).toBe(kind.traditional);
      expect(fromPkcs8.format).toBe('pkcs8');
      expect(fromTraditional.spec).toBe(kind.spec);
      expect(await signsLikeOriginal(fromTraditional.pkcs8, pair)).toBe(true);
      expect(await signsLikeOriginal(fromPkcs8.pkcs8, pair)).toBe(true);
    });

    it(`ok/${kind.name}: PKCS#8 back to ${kind.traditional.toUpperCase()} gives the file OpenSSL writes`, () => {
      const pair = kind.make();
      const pkcs8 = new Uint8Array(pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
      const { der } = pkcs8ToTraditional(pkcs8);
      const expected = new Uint8Array(pair.privateKey.export({ type: kind.traditional, format: 'der' }));
      expect(Buffer.from(der).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      // And Node reads what privateKeyToPem writes.
      const pem = privateKeyToPem(pkcs8, kind.traditional);
      expect(createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).equals(Buffer.from(pkcs8))).toBe(true);
    });
  }

  it('ok/a WebCrypto-exported EC key (no curve inside) converts to a SEC1 file OpenSSL reads', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    const pem = privateKeyToPem(pkcs8, 'sec1');
    expect(pemLabelOf(pem)).toBe('EC PRIVATE KEY');
    const back = readPrivateKeyPem(pem);
    expect(back.spec).toBe('EC-P384');
    expect(createPrivateKey(pem).asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('fail/encrypted keys, certificates, Ed25519 and garbage are refused with a reason', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    expect(() => readPrivateKeyPem(encrypted)).toThrow(/encrypted with a password/);
    expect(() => readPrivateKeyPem('-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n')).toThrow(/no private key/);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => readPrivateKeyPem(ed)).toThrow(PrivateKeyFormatError);
    expect(() => readPrivateKeyPem(toPem(Uint8Array.of(0x30, 0x01, 0x00), 'EC PRIVATE KEY'))).toThrow(PrivateKeyFormatError);
    expect(fromPem('nothing')).toBeUndefined();
  });
});
