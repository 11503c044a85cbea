/**
 * Byte and text encodings shared by the server, the CLI and the browser.
 * Node's Buffer is used when present because it is much faster than atob/btoa on
 * the signing hot path; the fallbacks keep this module usable in the browser.
 */

type BufferLike = {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(enc: string): string };
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer ? bytes : new Uint8Array(bytes)).toString('hex');
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string');
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(hex, 'hex'));
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE_RE = /[\r\n\t ]/;

/** Strict standard base64 (padding optional); throws on any other character. */
export function fromBase64(text: string): Uint8Array {
  const clean = WHITESPACE_RE.test(text) ? text.replace(/[\r\n\t ]/g, '') : text;
  if (!BASE64_RE.test(clean) || clean.length % 4 === 1) throw new TypeError('invalid base64');
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(clean, 'base64'));
  const bin = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

export function fromBase64Url(text: string): Uint8Array {
  if (!BASE64URL_RE.test(text) || text.length % 4 === 1) throw new TypeError('invalid base64url');
  // Checked above, so Node's decoder (which would skip stray characters) sees only base64url.
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(text, 'base64url'));
  return fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing on malformed input instead of inserting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** A fresh ArrayBuffer holding exactly these bytes (WebCrypto and pkijs want one). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/**
 * Hex as OpenSSL prints fingerprints and serials (`openssl x509 -fingerprint -sha256`):
 * uppercase, a colon between bytes. The portal, the enrollment page and the CLI all
 * show fingerprints this way, so a person comparing two of them sees the same text.
 * @example colonHex('b1e611e4') // 'B1:E6:11:E4'
 */
export function colonHex(hex: string): string {
  return (hex.match(/.{1,2}/g) ?? []).join(':').toUpperCase();
}

/**
 * A fingerprint for reading aloud: `colonHex` cut into groups of `size` bytes, each
 * group without its trailing colon, so joining them with ':' gives `colonHex` back.
 * @example groupColonHex('b1e611e40a', 2) // ['B1:E6', '11:E4', '0A']
 */
export function groupColonHex(hex: string, size = 4): string[] {
  const bytes = colonHex(hex).split(':').filter(Boolean);
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += size) groups.push(bytes.slice(i, i + size).join(':'));
  return groups;
}
