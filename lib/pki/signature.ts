/**
 * Checking X.509-style signatures (certificates, CRLs, OCSP responses): the signed
 * bytes, the AlgorithmIdentifier and the signatureValue BIT STRING, against the
 * signer's SubjectPublicKeyInfo. ECDSA values are DER `Ecdsa-Sig-Value`s here
 * (RFC 5480 §2.2.3); WebCrypto wants them as r‖s.
 */

import type { SignatureAlgorithm } from './algorithms';
import { getCrypto } from './crypto';
import { DerError } from './der';
import { CURVE_FIELD_BYTES, derToP1363 } from './ecdsa';
import { importVerifyKey, type PublicKeyInfo } from './spki';

export interface SignedData {
  /** The bytes the signature covers (a TBSCertificate, TBSCertList …). */
  data: Uint8Array;
  /** Undefined when the algorithm is not one FedPKI verifies: such a signature never verifies. */
  algorithm: SignatureAlgorithm | undefined;
  signature: Uint8Array;
}

/**
 * @returns true when `signer` made the signature; false for a wrong signature, an
 * unsupported algorithm or one that does not fit the key
 */
export async function verifySignedData(signed: SignedData, signer: PublicKeyInfo, crypto: Crypto = getCrypto()): Promise<boolean> {
  const alg = signed.algorithm;
  if (!alg) return false;
  let key: CryptoKey;
  try {
    key = await importVerifyKey(signer, alg, crypto);
  } catch (e) {
    if (e instanceof DerError || (e as Error)?.name === 'DataError' || (e as Error)?.name === 'NotSupportedError') return false;
    throw e;
  }
  if (alg.family === 'ECDSA') {
    let raw: Uint8Array;
    try {
      raw = derToP1363(signed.signature, CURVE_FIELD_BYTES[signer.curve!]);
    } catch {
      return false;
    }
    return crypto.subtle.verify({ name: 'ECDSA', hash: alg.hash }, key, raw as BufferSource, signed.data as BufferSource);
  }
  return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, signed.signature as BufferSource, signed.data as BufferSource);
}
