/**
 * Private key files in the three forms nodes hold them, converted to and from the
 * PKCS#8 that WebCrypto imports:
 *
 *   PrivateKeyInfo ::= SEQUENCE {                    -- RFC 5208 §5, "PRIVATE KEY"
 *     version              INTEGER (0),
 *     privateKeyAlgorithm  AlgorithmIdentifier,      -- id-ecPublicKey + curve | rsaEncryption + NULL
 *     privateKey           OCTET STRING,             -- ECPrivateKey or RSAPrivateKey DER
 *     attributes       [0] IMPLICIT Attributes OPTIONAL }
 *   ECPrivateKey ::= SEQUENCE {                      -- RFC 5915 §3 / SEC1, "EC PRIVATE KEY"
 *     version        INTEGER (1),
 *     privateKey     OCTET STRING,
 *     parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *     publicKey  [1] BIT STRING OPTIONAL }
 *   RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, … }   -- RFC 8017 A.1.2, "RSA PRIVATE KEY"
 *
 * `step ca certificate` (and so `fx pki certify`) and `fedpki certify` write SEC1 or
 * PKCS#1; browsers and `openssl genpkey` write PKCS#8. Pure DER, so it runs in the
 * browser: the renewal page reads the key file here and never sends it anywhere.
 */

import { DerError, TAG, children, contentOf, explicit, expectTag, nullValue, octetString, oid, rawOf, readOid, readRoot, readSmallInteger, sequence, smallInteger } from './der';
import { pkcs8KeySpec, type KeySpec } from './keys';
import * as OID from './oids';
import { pemBlocks, toPem } from './pem';

export type PrivateKeyFormat = 'pkcs8' | 'sec1' | 'pkcs1';

export interface LoadedPrivateKey {
  /** PKCS#8 PrivateKeyInfo DER, ready for `crypto.subtle.importKey('pkcs8', …)`. */
  pkcs8: Uint8Array;
  /** The form the file held, to write a replacement key the same way. */
  format: PrivateKeyFormat;
  spec: KeySpec;
}

export class PrivateKeyFormatError extends Error {
  override name = 'PrivateKeyFormatError';
}

const CURVE_OIDS = new Set([OID.secp256r1, OID.secp384r1, OID.secp521r1]);

/** SEC1 ECPrivateKey → PKCS#8 (the curve moves from [0] into the AlgorithmIdentifier). */
export function sec1ToPkcs8(der: Uint8Array): Uint8Array {
  const parts = children(der, readRoot(der, TAG.SEQUENCE));
  const [version, key] = parts;
  if (!version || !key || readSmallInteger(der, version) !== 1) throw new DerError('bad ECPrivateKey');
  expectTag(key, TAG.OCTET_STRING);
  const params = parts.find((n) => n.tag === 0xa0);
  const publicKey = parts.find((n) => n.tag === 0xa1);
  if (!params) throw new DerError('the EC key does not name its curve');
  const [curveNode] = children(der, params);
  const curve = readOid(der, curveNode!);
  if (!CURVE_OIDS.has(curve)) throw new DerError(`unsupported curve ${curve}`);
  const inner = sequence(smallInteger(1), rawOf(der, key), ...(publicKey ? [rawOf(der, publicKey)] : []));
  return sequence(smallInteger(0), sequence(oid(OID.id_ecPublicKey), oid(curve)), octetString(inner));
}

/** PKCS#1 RSAPrivateKey → PKCS#8. */
export function pkcs1ToPkcs8(der: Uint8Array): Uint8Array {
  const parts = children(der, readRoot(der, TAG.SEQUENCE));
  if (parts.length < 9) throw new DerError('bad RSAPrivateKey');
  return sequence(smallInteger(0), sequence(oid(OID.rsaEncryption), nullValue()), octetString(der));
}

/** PKCS#8 → SEC1 ("EC PRIVATE KEY", with the curve) or PKCS#1 ("RSA PRIVATE KEY"). */
export function pkcs8ToTraditional(pkcs8: Uint8Array): { der: Uint8Array; label: 'EC PRIVATE KEY' | 'RSA PRIVATE KEY' } {
  const [, algNode, keyNode] = children(pkcs8, readRoot(pkcs8, TAG.SEQUENCE));
  if (!algNode || !keyNode) throw new DerError('bad PrivateKeyInfo');
  const [algOid, params] = children(pkcs8, expectTag(algNode, TAG.SEQUENCE));
  const alg = readOid(pkcs8, algOid!);
  const inner = contentOf(pkcs8, expectTag(keyNode, TAG.OCTET_STRING));
  if (alg === OID.rsaEncryption) return { der: inner.slice(), label: 'RSA PRIVATE KEY' };
  if (alg !== OID.id_ecPublicKey || !params) throw new DerError(`unsupported private key algorithm ${alg}`);
  const curve = rawOf(pkcs8, params);
  const parts = children(inner, readRoot(inner, TAG.SEQUENCE));
  const [version, key] = parts;
  if (!version || !key) throw new DerError('bad ECPrivateKey');
  const publicKey = parts.find((n) => n.tag === 0xa1);
  return {
    der: sequence(rawOf(inner, version), rawOf(inner, key), explicit(0, curve), ...(publicKey ? [rawOf(inner, publicKey)] : [])),
    label: 'EC PRIVATE KEY',
  };
}

/**
 * Reads a private key PEM in any of the three forms.
 * @throws PrivateKeyFormatError with a message a person can act on
 */
export function readPrivateKeyPem(pem: string): LoadedPrivateKey {
  let blocks;
  try {
    blocks = pemBlocks(pem);
  } catch {
    throw new PrivateKeyFormatError('The key file is not a readable PEM file.');
  }
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY') || /Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new PrivateKeyFormatError('The key is encrypted with a password. Decrypt a copy first, e.g. `openssl pkey -in KEY -out plain.key`.');
  }
  const block = blocks.find((b) => b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY' || b.label === 'RSA PRIVATE KEY');
  if (!block) throw new PrivateKeyFormatError('The file holds no private key (expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY").');
  try {
    const format: PrivateKeyFormat = block.label === 'PRIVATE KEY' ? 'pkcs8' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs1';
    const pkcs8 = format === 'pkcs8' ? block.der : format === 'sec1' ? sec1ToPkcs8(block.der) : pkcs1ToPkcs8(block.der);
    return { pkcs8, format, spec: pkcs8KeySpec(pkcs8) };
  } catch (e) {
    throw new PrivateKeyFormatError(`The private key could not be read: ${(e as Error).message}. FedPKI keys are EC P-256/P-384/P-521 or RSA.`);
  }
}

/** Writes a PKCS#8 key as PEM in the given form. */
export function privateKeyToPem(pkcs8: Uint8Array, format: PrivateKeyFormat): string {
  if (format === 'pkcs8') return toPem(pkcs8, 'PRIVATE KEY');
  const { der, label } = pkcs8ToTraditional(pkcs8);
  if ((format === 'sec1') !== (label === 'EC PRIVATE KEY')) return toPem(pkcs8, 'PRIVATE KEY');
  return toPem(der, label);
}
