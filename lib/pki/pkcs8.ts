/**
 * Password-protected private keys: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3) with
 * PBES2 (RFC 8018 §6.2): PBKDF2-HMAC-SHA256 and AES-256-CBC, built by pkijs. OpenSSL
 * reads the result with `openssl pkey -passin`, and so does any PKCS#8 library.
 */

import * as pkijs from 'pkijs';
import { getCrypto } from './crypto';
import { toArrayBuffer, utf8 } from './encoding';
import { pkiEngine } from './engine';

/** OWASP's 2023 floor for PBKDF2-HMAC-SHA256; ~0.16 s per key on the target machine. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError';
}

export interface EncryptKeyOptions {
  /** PBKDF2 iteration count. Default is 600,000. */
  iterations?: number;
}

/**
 * Encrypts a PKCS#8 PrivateKeyInfo.
 * @returns EncryptedPrivateKeyInfo DER (PEM label "ENCRYPTED PRIVATE KEY")
 */
export async function encryptPrivateKey(
  pkcs8: Uint8Array,
  password: string,
  options: EncryptKeyOptions = {},
  crypto: Crypto = getCrypto(),
): Promise<Uint8Array> {
  if (!password) throw new TypeError('a password is required');
  const engine = pkiEngine(crypto);
  const bag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(pkcs8)) });
  await bag.makeInternalValues(
    {
      password: toArrayBuffer(utf8(password)),
      // pkijs draws the IV itself; the type wants one to be present.
      contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256, iv: new Uint8Array(16) },
      hmacHashAlgorithm: 'SHA-256',
      iterationCount: options.iterations ?? DEFAULT_PBKDF2_ITERATIONS,
    },
    engine,
  );
  return new Uint8Array(bag.toSchema().toBER(false));
}

/**
 * Decrypts an EncryptedPrivateKeyInfo back to PKCS#8 DER.
 * @throws WrongPasswordError when the password does not open it
 */
export async function decryptPrivateKey(encrypted: Uint8Array, password: string, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  const engine = pkiEngine(crypto);
  const bag = pkijs.PKCS8ShroudedKeyBag.fromBER(toArrayBuffer(encrypted));
  const data = new pkijs.EncryptedData({
    encryptedContentInfo: new pkijs.EncryptedContentInfo({ contentEncryptionAlgorithm: bag.encryptionAlgorithm, encryptedContent: bag.encryptedData }),
  });
  try {
    const plain = await data.decrypt({ password: toArrayBuffer(utf8(password)) }, engine);
    // Parsing proves the plaintext is a PrivateKeyInfo, not padding that happened to fit.
    return new Uint8Array(pkijs.PrivateKeyInfo.fromBER(plain).toSchema().toBER(false));
  } catch {
    throw new WrongPasswordError('the password does not open this key');
  }
}
