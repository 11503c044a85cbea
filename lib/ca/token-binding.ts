/**
 * Token binding: a MAC over a minted token's exact bytes, stored with its record, so
 * that signing can recognise a token this CA minted without verifying its ES256
 * signature again (~90 µs of the ~300 µs of cryptography one enrollment needs).
 *
 * The signature stays in the token, for step's CLI and for tokens without a binding;
 * the binding is only ever a shortcut to the same answer. A token's bytes match its
 * record's binding only if they are the bytes this CA signed when it minted it, so the
 * signature check would pass as well. Anything else — another token's binding, a token
 * re-encoded or altered, a record from before bindings, a key that changed — falls
 * back to the full signature check (`verifyToken`), which decides as it always did.
 *
 * The MAC key is derived (HKDF-SHA-256) from the federation's intermediate private key,
 * which is decrypted in memory whenever the CA is unlocked. Someone who can write to
 * the database but holds no CA key can no more forge a binding than a signature, and
 * whoever holds the intermediate key can sign certificates outright.
 */

import { getCrypto } from '../pki/crypto';
import { utf8 } from '../pki/encoding';

const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;
const SALT = utf8('fedpki/token-binding/v1');

/**
 * The federation's binding key, from its intermediate's PKCS#8 bytes.
 * Non-extractable; it can sign (minting) and verify (signing).
 */
export async function deriveTokenBindingKey(intermediatePkcs8: Uint8Array, federationId: string, crypto: Crypto = getCrypto()): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', intermediatePkcs8 as BufferSource, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: SALT as BufferSource, info: utf8(federationId) as BufferSource }, ikm, 256);
  return crypto.subtle.importKey('raw', bits, HMAC, false, ['sign', 'verify']);
}

/** The binding of a token: HMAC-SHA-256 of its compact JWT. */
export async function bindToken(key: CryptoKey, jwt: string, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(jwt) as BufferSource));
}

/** True when `jwt` is, byte for byte, the token whose binding is `binding` (constant-time). */
export async function isBoundToken(key: CryptoKey, jwt: string, binding: Uint8Array, crypto: Crypto = getCrypto()): Promise<boolean> {
  return crypto.subtle.verify('HMAC', key, binding as BufferSource, utf8(jwt) as BufferSource);
}
