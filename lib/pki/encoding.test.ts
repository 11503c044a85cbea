import { afterEach, describe, expect, it, vi } from 'vitest';
import * as enc from './encoding';

type Encoding = typeof enc;

/** The module as a browser sees it: no Node Buffer, so the atob/btoa fallbacks run. */
async function browserEncoding(): Promise<Encoding> {
  vi.resetModules();
  vi.stubGlobal('Buffer', undefined);
  try {
    return await import('./encoding');
  } finally {
    vi.unstubAllGlobals();
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe.each([
  ['node', async () => enc],
  ['browser', browserEncoding],
])('encoding (%s)', (_env, load) => {
  it('ok/hex round-trips every byte value, lowercase', async () => {
    const e = await load();
    const h = e.toHex(BYTES);
    expect(h).toBe(Buffer.from(BYTES).toString('hex'));
    expect(e.fromHex(h)).toEqual(BYTES);
    expect(e.fromHex('ABcd')).toEqual(Uint8Array.of(0xab, 0xcd));
    expect(e.toHex(new Uint8Array(0))).toBe('');
  });

  it('ok/hex of a subarray covers only its window', async () => {
    const e = await load();
    expect(e.toHex(BYTES.subarray(10, 12))).toBe('0a0b');
  });

  it.each(['a', 'zz', '0x00', '00 11'])('fail/fromHex(%j)', async (text) => {
    const e = await load();
    expect(() => e.fromHex(text)).toThrow(TypeError);
  });

  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['\u00ff\u00fe', 'w7/Dvg=='],
  ])('ok/base64 of %j is %j (RFC 4648 §10, standard alphabet, padded)', async (text, b64) => {
    const e = await load();
    expect(e.toBase64(e.utf8(text))).toBe(b64);
    expect(e.fromUtf8(e.fromBase64(b64))).toBe(text);
  });

  it('ok/base64 round-trips all byte values and large inputs', async () => {
    const e = await load();
    // Larger than the 0x8000-byte chunks the browser path encodes in.
    const big = Uint8Array.from({ length: 0x8000 * 2 + 5 }, (_, i) => (i * 7) & 0xff);
    expect(e.toBase64(BYTES)).toBe(Buffer.from(BYTES).toString('base64'));
    expect(e.toBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(Buffer.compare(e.fromBase64(e.toBase64(big)), big)).toBe(0);
  });

  it('ok/fromBase64 accepts missing padding and line breaks', async () => {
    const e = await load();
    expect(e.fromBase64('Zg')).toEqual(e.utf8('f'));
    expect(e.fromBase64('Zm8')).toEqual(e.utf8('fo'));
    expect(e.fromBase64('Zm9v\r\nYmFy\n')).toEqual(e.utf8('foobar'));
  });

  it.each(['Zm9v!', 'Zm9v-_', 'Z', 'Zm9vY', 'Zg===', '=Zg', 'Z=g='])('fail/fromBase64(%j)', async (text) => {
    const e = await load();
    expect(() => e.fromBase64(text)).toThrow(TypeError);
  });

  it('ok/base64url has no padding and the URL-safe alphabet', async () => {
    const e = await load();
    const bytes = Uint8Array.of(0xfb, 0xff, 0xbf);
    expect(e.toBase64(bytes)).toBe('+/+/');
    expect(e.toBase64Url(bytes)).toBe('-_-_');
    expect(e.toBase64Url(e.utf8('f'))).toBe('Zg');
    expect(e.fromBase64Url('-_-_')).toEqual(bytes);
    expect(e.fromBase64Url('Zg')).toEqual(e.utf8('f'));
  });

  it.each(['+/+/', 'Zg==', 'Z', 'a b'])('fail/fromBase64Url(%j)', async (text) => {
    const e = await load();
    expect(() => e.fromBase64Url(text)).toThrow(TypeError);
  });

  it('ok/utf8 round-trips and fromUtf8 is fatal on malformed input', async () => {
    const e = await load();
    expect(e.fromUtf8(e.utf8('Zürich ✓ 𝄞'))).toBe('Zürich ✓ 𝄞');
    expect(() => e.fromUtf8(Uint8Array.of(0xc3))).toThrow(TypeError);
    expect(() => e.fromUtf8(Uint8Array.of(0xff))).toThrow(TypeError);
  });
});

describe('byte helpers', () => {
  it('ok/concatBytes and bytesEqual', () => {
    expect(enc.concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(enc.concatBytes()).toEqual(new Uint8Array(0));
    expect(enc.bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(enc.bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(enc.bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });

  it('ok/toArrayBuffer copies exactly the view, not its whole buffer', () => {
    const view = BYTES.subarray(4, 8);
    const ab = enc.toArrayBuffer(view);
    expect(ab.byteLength).toBe(4);
    expect(new Uint8Array(ab)).toEqual(Uint8Array.of(4, 5, 6, 7));
    new Uint8Array(ab)[0] = 99;
    expect(BYTES[4]).toBe(4);
  });

  it('ok/colonHex prints as `openssl x509 -fingerprint` does', () => {
    expect(enc.colonHex('ab12cd34ef')).toBe('AB:12:CD:34:EF');
    expect(enc.colonHex('')).toBe('');
  });

  it('ok/groupColonHex cuts colonHex into groups of bytes that join back with colons', () => {
    expect(enc.groupColonHex('ab12cd34ef0167')).toEqual(['AB:12:CD:34', 'EF:01:67']);
    expect(enc.groupColonHex('ab12cd', 2)).toEqual(['AB:12', 'CD']);
    expect(enc.groupColonHex('')).toEqual([]);
    const fp = 'b1e611e4'.repeat(8);
    expect(enc.groupColonHex(fp).join(':')).toBe(enc.colonHex(fp));
  });
});
