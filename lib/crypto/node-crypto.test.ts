/**
 * The node:crypto WebCrypto provider against Node's own WebCrypto: the same inputs give
 * the same outputs (HMAC, HKDF, digests) or verify across the two (ECDSA), and a wrong
 * tag, signature or key is refused the same way.
 */

import { describe, expect, it } from 'vitest';
import { hmacKeyFrom, keyObjectOf, nodeCrypto } from './node-crypto';

const ours = nodeCrypto().subtle;
const native = globalThis.crypto.subtle;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;

describe('node-crypto provider', () => {
  it('ok/HMAC-SHA-256: same tag as Node WebCrypto; verify in both directions', async () => {
    const raw = bytes(32, 5);
    const data = new TextEncoder().encode('header.claims.signature');
    const a = await ours.importKey('raw', raw, HMAC, false, ['sign', 'verify']);
    const b = await native.importKey('raw', raw, HMAC, false, ['sign', 'verify']);
    const tag = new Uint8Array(await ours.sign('HMAC', a, data));
    expect(tag).toEqual(new Uint8Array(await native.sign('HMAC', b, data)));
    expect(await ours.verify('HMAC', a, tag, data)).toBe(true);
    expect(await native.verify('HMAC', b, tag, data)).toBe(true);
  });

  it('fail/HMAC verify: a flipped bit, a short tag, other data or another key are refused', async () => {
    const data = new TextEncoder().encode('payload');
    const key = await ours.importKey('raw', bytes(32, 1), HMAC, false, ['sign', 'verify']);
    const tag = new Uint8Array(await ours.sign('HMAC', key, data));
    const flipped = tag.slice();
    flipped[7]! ^= 1;
    expect(await ours.verify('HMAC', key, flipped, data)).toBe(false);
    expect(await ours.verify('HMAC', key, tag.subarray(0, 16), data)).toBe(false);
    expect(await ours.verify('HMAC', key, new Uint8Array(0), data)).toBe(false);
    expect(await ours.verify('HMAC', key, tag, new TextEncoder().encode('payloaD'))).toBe(false);
    const otherKey = await ours.importKey('raw', bytes(32, 2), HMAC, false, ['verify']);
    expect(await ours.verify('HMAC', otherKey, tag, data)).toBe(false);
  });

  it('fail/HMAC: a key imported for verify only cannot sign; a non-extractable key cannot be exported', async () => {
    const key = await ours.importKey('raw', bytes(32, 3), HMAC, false, ['verify']);
    await expect(ours.sign('HMAC', key, bytes(4, 0))).rejects.toThrow();
    await expect(ours.exportKey('raw', key)).rejects.toThrow();
  });

  it('ok/an HMAC key crosses as its KeyObject (how signing threads get it) and verifies the same tags', async () => {
    const data = new TextEncoder().encode('across threads');
    const key = await ours.importKey('raw', bytes(32, 4), HMAC, false, ['sign', 'verify']);
    const tag = await ours.sign('HMAC', key, data);
    const received = hmacKeyFrom(keyObjectOf(key));
    expect(received.usages).toEqual(['verify']);
    expect(await ours.verify('HMAC', received, tag, data)).toBe(true);
  });

  it('ok/HKDF-SHA-256: same bits as Node WebCrypto (and RFC 5869 test case 1)', async () => {
    const ikm = bytes(22, 0x0b);
    const salt = Uint8Array.from(Buffer.from('000102030405060708090a0b0c', 'hex'));
    const info = Uint8Array.from(Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'));
    const params = { name: 'HKDF', hash: 'SHA-256', salt, info };
    const a = await ours.deriveBits(params, await ours.importKey('raw', ikm, 'HKDF', false, ['deriveBits']), 336);
    const b = await native.deriveBits(params, await native.importKey('raw', ikm, 'HKDF', false, ['deriveBits']), 336);
    expect(Buffer.from(a).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    expect(new Uint8Array(a)).toEqual(new Uint8Array(b));
  });

  it('ok/ECDSA P-256: a signature of ours verifies with Node WebCrypto and back', async () => {
    const data = new TextEncoder().encode('to be signed');
    const pair = (await ours.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const sig = await ours.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data);
    const pub = await native.importKey('spki', await ours.exportKey('spki', pair.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    expect(await native.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, data)).toBe(true);
    const nativePair = (await native.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const nativeSig = await native.sign({ name: 'ECDSA', hash: 'SHA-256' }, nativePair.privateKey, data);
    const ourPub = await ours.importKey('spki', await native.exportKey('spki', nativePair.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    expect(await ours.verify({ name: 'ECDSA', hash: 'SHA-256' }, ourPub, nativeSig, data)).toBe(true);
    expect(await ours.verify({ name: 'ECDSA', hash: 'SHA-256' }, ourPub, nativeSig, new TextEncoder().encode('something else'))).toBe(false);
  });
});
