/**
 * Signature algorithms: their AlgorithmIdentifier DER and the WebCrypto parameters
 * that produce or check them.
 */

import { nullValue, oid, sequence } from './der';
import * as OID from './oids';

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

export interface SignatureAlgorithm {
  oid: string;
  name: string;
  hash: HashName;
  family: 'ECDSA' | 'RSASSA-PKCS1-v1_5';
}

const table: SignatureAlgorithm[] = [
  { oid: OID.ecdsa_with_SHA256, name: 'ecdsa-with-SHA256', hash: 'SHA-256', family: 'ECDSA' },
  { oid: OID.ecdsa_with_SHA384, name: 'ecdsa-with-SHA384', hash: 'SHA-384', family: 'ECDSA' },
  { oid: OID.ecdsa_with_SHA512, name: 'ecdsa-with-SHA512', hash: 'SHA-512', family: 'ECDSA' },
  { oid: OID.sha256WithRSAEncryption, name: 'sha256WithRSAEncryption', hash: 'SHA-256', family: 'RSASSA-PKCS1-v1_5' },
  { oid: OID.sha384WithRSAEncryption, name: 'sha384WithRSAEncryption', hash: 'SHA-384', family: 'RSASSA-PKCS1-v1_5' },
  { oid: OID.sha512WithRSAEncryption, name: 'sha512WithRSAEncryption', hash: 'SHA-512', family: 'RSASSA-PKCS1-v1_5' },
];

const byOid = new Map(table.map((a) => [a.oid, a]));

/** The supported signature algorithm with this OID, or undefined (SHA-1, PSS, EdDSA …). */
export function signatureAlgorithmByOid(oidValue: string): SignatureAlgorithm | undefined {
  return byOid.get(oidValue);
}

export function signatureAlgorithmFor(family: SignatureAlgorithm['family'], hash: HashName): SignatureAlgorithm {
  const found = table.find((a) => a.family === family && a.hash === hash);
  if (!found) throw new Error(`no signature algorithm for ${family}/${hash}`);
  return found;
}

/**
 * AlgorithmIdentifier DER. ECDSA omits parameters (RFC 5758 §3.2); the RSA PKCS#1
 * algorithms carry an explicit NULL (RFC 4055 §5).
 */
export function algorithmIdentifier(alg: SignatureAlgorithm): Uint8Array {
  return alg.family === 'ECDSA' ? sequence(oid(alg.oid)) : sequence(oid(alg.oid), nullValue());
}

/** The WebCrypto `sign`/`verify` parameters for an algorithm. */
export function webCryptoSignParams(alg: SignatureAlgorithm): AlgorithmIdentifier | EcdsaParams {
  return alg.family === 'ECDSA' ? { name: 'ECDSA', hash: alg.hash } : { name: 'RSASSA-PKCS1-v1_5' };
}

/** The hash a CA key signs with: matched to the curve size, SHA-256 for RSA. */
export function hashForCurve(curve: NamedCurve): HashName {
  return curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
}
