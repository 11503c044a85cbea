/**
 * The WebCrypto seam. Every function in lib/pki and lib/ca that needs crypto takes it
 * as a trailing defaulted parameter (`crypto = getCrypto()`), so the same code runs on
 * Node's webcrypto, in the browser, and on any provider built with webcrypto-core
 * (lib/crypto/node-crypto.ts is one: node:crypto underneath, synchronously, and the
 * seam for putting CA keys behind another backend).
 */

export function getCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) {
    throw new Error(
      'WebCrypto is not available here. Browsers only offer it on secure origins: open this page over https:// or http://localhost.',
    );
  }
  return c;
}

export async function sha256(data: Uint8Array, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

export async function digest(
  hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512',
  data: Uint8Array,
  crypto: Crypto = getCrypto(),
): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data as BufferSource));
}

export function randomBytes(n: number, crypto: Crypto = getCrypto()): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
