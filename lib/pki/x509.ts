/**
 * Certificate encoding (RFC 5280 §4.1):
 *
 *   Certificate ::= SEQUENCE {
 *     tbsCertificate       TBSCertificate,
 *     signatureAlgorithm   AlgorithmIdentifier,
 *     signatureValue       BIT STRING }
 *   TBSCertificate ::= SEQUENCE {
 *     version         [0] EXPLICIT Version DEFAULT v1,
 *     serialNumber         CertificateSerialNumber,
 *     signature            AlgorithmIdentifier,
 *     issuer               Name,
 *     validity             Validity,
 *     subject              Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     extensions      [3] EXPLICIT Extensions OPTIONAL }
 *
 * Every certificate FedPKI issues — roots, intermediates, leaves and its own TLS
 * certificates — goes through `encodeTbsCertificate` and `signCertificate`: one
 * signing path. Parts that never change for an issuer (its Name, algorithm, AKI) are
 * passed in pre-encoded, which keeps a leaf at a few microseconds of encoding.
 */

import { algorithmIdentifier, hashForCurve, signatureAlgorithmFor, webCryptoSignParams, type SignatureAlgorithm } from './algorithms';
import { getCrypto, randomBytes } from './crypto';
import { bitString, explicit, sequence, smallInteger, time, unsignedInteger } from './der';
import { p1363ToDer } from './ecdsa';

export interface TbsCertificateParams {
  /** Positive serial magnitude, big-endian. See `generateSerialNumber`. */
  serialNumber: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  /** The issuer's Name DER (for a self-signed certificate, the subject). */
  issuer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subject: Uint8Array;
  /** The SubjectPublicKeyInfo DER, copied unchanged from the request or key. */
  subjectPublicKeyInfo: Uint8Array;
  /** Complete Extension DERs, in the order they should appear. */
  extensions: readonly Uint8Array[];
}

const VERSION_3 = explicit(0, smallInteger(2));

export function encodeTbsCertificate(p: TbsCertificateParams): Uint8Array {
  const parts = [
    VERSION_3,
    unsignedInteger(p.serialNumber),
    algorithmIdentifier(p.signatureAlgorithm),
    p.issuer,
    sequence(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.subjectPublicKeyInfo,
  ];
  if (p.extensions.length) parts.push(explicit(3, sequence(...p.extensions)));
  return sequence(...parts);
}

/**
 * Serial numbers per RFC 5280 §4.1.2.2 and CA/B BR §7.1: positive, 16 random bytes
 * (127 bits of entropy once the sign bit is cleared), minimal encoding.
 */
export function generateSerialNumber(crypto: Crypto = getCrypto()): Uint8Array {
  const bytes = randomBytes(16, crypto);
  bytes[0]! &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01; // keep the full 16-byte length; costs < 1 bit
  return bytes;
}

/** The signature algorithm a CA key produces: SHA-256/384/512 by curve; SHA-256 for RSA. */
export function signatureAlgorithmForKey(key: CryptoKey): SignatureAlgorithm {
  const alg = key.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (alg.name === 'ECDSA') return signatureAlgorithmFor('ECDSA', hashForCurve(alg.namedCurve as 'P-256'));
  const hash = (alg.hash?.name ?? 'SHA-256') as 'SHA-256';
  return signatureAlgorithmFor('RSASSA-PKCS1-v1_5', hash);
}

/** Signs `data` with an X.509-style signature value (DER for ECDSA). */
export async function signData(
  data: Uint8Array,
  alg: SignatureAlgorithm,
  key: CryptoKey,
  crypto: Crypto = getCrypto(),
): Promise<Uint8Array> {
  const raw = new Uint8Array(await crypto.subtle.sign(webCryptoSignParams(alg), key, data as BufferSource));
  return alg.family === 'ECDSA' ? p1363ToDer(raw) : raw;
}

/** Wraps a signed TBS into the Certificate SEQUENCE. */
export function assembleSigned(tbs: Uint8Array, alg: SignatureAlgorithm, signatureValue: Uint8Array): Uint8Array {
  return sequence(tbs, algorithmIdentifier(alg), bitString(signatureValue));
}

/**
 * Encodes and signs a certificate.
 * @param params - the TBS fields; `signatureAlgorithm` must match `signingKey`
 * @param signingKey - the issuer's private key (for a root, its own)
 * @returns the certificate DER
 */
export async function signCertificate(
  params: TbsCertificateParams,
  signingKey: CryptoKey,
  crypto: Crypto = getCrypto(),
): Promise<Uint8Array> {
  const tbs = encodeTbsCertificate(params);
  const sig = await signData(tbs, params.signatureAlgorithm, signingKey, crypto);
  return assembleSigned(tbs, params.signatureAlgorithm, sig);
}
