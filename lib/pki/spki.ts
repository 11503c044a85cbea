/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7):
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     algorithm         AlgorithmIdentifier,
 *     subjectPublicKey  BIT STRING }
 *
 * Parsed without pkijs so the CSR check on the signing path stays cheap.
 */

import type { NamedCurve, SignatureAlgorithm } from './algorithms';
import { TAG, DerError, children, expectTag, readBitString, readNode, readOid, readRoot, readUnsignedInteger, type DerNode } from './der';
import { toHex } from './encoding';
import * as OID from './oids';

export type KeyType = 'EC' | 'RSA' | 'Ed25519' | 'Ed448' | 'DSA' | 'RSA-PSS' | 'unknown';

export interface PublicKeyInfo {
  /** The whole SubjectPublicKeyInfo TLV, as it appeared. */
  der: Uint8Array;
  type: KeyType;
  algorithmOid: string;
  /** For EC keys: the named curve OID, and its WebCrypto name when supported. */
  curveOid?: string;
  curve?: NamedCurve;
  /** For RSA keys: the modulus size in bits. */
  rsaBits?: number;
  /** For RSA keys: the public exponent, and whether the modulus is odd (an even one is no RSA key). */
  rsaExponent?: bigint;
  rsaModulusOdd?: boolean;
  /** The BIT STRING payload (the EC point, or the RSAPublicKey DER). */
  subjectPublicKey: Uint8Array;
}

const CURVES: Record<string, NamedCurve> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

const POINT_BYTES: Record<NamedCurve, number> = { 'P-256': 65, 'P-384': 97, 'P-521': 133 };

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/** Parses the SPKI TLV at `node` of `buf` (or the whole of `buf`). */
export function parseSpki(buf: Uint8Array, node: DerNode = readRoot(buf)): PublicKeyInfo {
  expectTag(node, TAG.SEQUENCE);
  const [algNode, keyNode, ...extra] = children(buf, node);
  if (!algNode || !keyNode || extra.length) throw new DerError('bad SubjectPublicKeyInfo');
  expectTag(algNode, TAG.SEQUENCE);
  const algParts = children(buf, algNode);
  if (!algParts[0]) throw new DerError('bad AlgorithmIdentifier');
  const algorithmOid = readOid(buf, algParts[0]);
  const { bytes, unusedBits } = readBitString(buf, keyNode);
  if (unusedBits !== 0) throw new DerError('public key BIT STRING has unused bits');
  const info: PublicKeyInfo = {
    der: buf.subarray(node.start, node.end),
    type: 'unknown',
    algorithmOid,
    subjectPublicKey: bytes,
  };
  switch (algorithmOid) {
    case OID.id_ecPublicKey: {
      info.type = 'EC';
      const param = algParts[1];
      if (!param || param.tag !== TAG.OID) throw new DerError('EC key without a named curve');
      info.curveOid = readOid(buf, param);
      const curve = CURVES[info.curveOid];
      if (curve) {
        info.curve = curve;
        if (bytes.length !== POINT_BYTES[curve] || bytes[0] !== 0x04) {
          throw new DerError('EC public key is not an uncompressed point of its curve');
        }
      }
      break;
    }
    case OID.rsaEncryption: {
      info.type = 'RSA';
      const rsaKey = readRoot(bytes, TAG.SEQUENCE);
      const [n, e] = children(bytes, rsaKey);
      if (!n || !e) throw new DerError('bad RSAPublicKey');
      const modulus = readUnsignedInteger(bytes, n);
      info.rsaBits = bitLength(modulus);
      info.rsaModulusOdd = (modulus[modulus.length - 1]! & 1) === 1;
      info.rsaExponent = BigInt(`0x${toHex(readUnsignedInteger(bytes, e))}`);
      break;
    }
    case OID.id_RSASSA_PSS:
      info.type = 'RSA-PSS';
      break;
    case OID.id_Ed25519:
      info.type = 'Ed25519';
      break;
    case OID.id_Ed448:
      info.type = 'Ed448';
      break;
    case OID.id_dsa:
      info.type = 'DSA';
      break;
  }
  return info;
}

/** "EC P-384", "RSA 3072", "Ed25519", or the algorithm OID. */
export function describePublicKey(info: PublicKeyInfo): string {
  if (info.type === 'EC') return `EC ${info.curve ?? info.curveOid}`;
  if (info.type === 'RSA') return `RSA ${info.rsaBits}`;
  if (info.type === 'unknown') return `unknown key (${info.algorithmOid})`;
  return info.type;
}

/**
 * Imports a public key for verifying one signature algorithm. EC points go through
 * the 'raw' format, which Node imports ~3× faster than 'spki'.
 */
export async function importVerifyKey(info: PublicKeyInfo, alg: SignatureAlgorithm, crypto: Crypto): Promise<CryptoKey> {
  if (alg.family === 'ECDSA') {
    if (info.type !== 'EC' || !info.curve) throw new DerError('signature algorithm does not match the key');
    return crypto.subtle.importKey('raw', info.subjectPublicKey as BufferSource, { name: 'ECDSA', namedCurve: info.curve }, false, ['verify']);
  }
  if (info.type !== 'RSA') throw new DerError('signature algorithm does not match the key');
  return crypto.subtle.importKey('spki', info.der as BufferSource, { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash }, false, ['verify']);
}

/** Reads the AlgorithmIdentifier OID at `node`. */
export function readAlgorithmOid(buf: Uint8Array, node: DerNode): string {
  expectTag(node, TAG.SEQUENCE);
  const first = readNode(buf, node.contentStart, node.end);
  return readOid(buf, first);
}
