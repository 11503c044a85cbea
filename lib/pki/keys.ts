/** Key pairs on WebCrypto: generation, PKCS#8 / SPKI export and import. */

import type { HashName, NamedCurve } from './algorithms';
import { TAG, children, expectTag, readOid, readRoot } from './der';
import * as OID from './oids';
import { getCrypto } from './crypto';

export type KeySpec = 'EC-P256' | 'EC-P384' | 'EC-P521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';

export interface KeySpecInfo {
  label: string;
  kind: 'EC' | 'RSA';
  curve?: NamedCurve;
  bits?: number;
}

export const KEY_SPECS: Record<KeySpec, KeySpecInfo> = {
  'EC-P256': { label: 'ECDSA P-256', kind: 'EC', curve: 'P-256' },
  'EC-P384': { label: 'ECDSA P-384', kind: 'EC', curve: 'P-384' },
  'EC-P521': { label: 'ECDSA P-521', kind: 'EC', curve: 'P-521' },
  'RSA-2048': { label: 'RSA 2048', kind: 'RSA', bits: 2048 },
  'RSA-3072': { label: 'RSA 3072', kind: 'RSA', bits: 3072 },
  'RSA-4096': { label: 'RSA 4096', kind: 'RSA', bits: 4096 },
};

export function isKeySpec(value: string): value is KeySpec {
  return Object.hasOwn(KEY_SPECS, value);
}

/** The WebCrypto import/generate parameters for a spec (RSA binds its hash at import). */
export function keyAlgorithmParams(spec: KeySpec, hash: HashName = 'SHA-256'): EcKeyImportParams | RsaHashedImportParams {
  const info = KEY_SPECS[spec];
  return info.kind === 'EC'
    ? { name: 'ECDSA', namedCurve: info.curve! }
    : { name: 'RSASSA-PKCS1-v1_5', hash };
}

export interface GenerateKeyOptions {
  /** Whether the private key may be exported. Default is true (it must be saved somewhere). */
  extractable?: boolean;
  hash?: HashName;
}

/**
 * Generates a signing key pair.
 * @param spec - the algorithm and size, e.g. 'EC-P384' (what `fx pki certify` makes)
 * @example const keys = await generateKeyPair('EC-P256');
 */
export async function generateKeyPair(
  spec: KeySpec,
  options: GenerateKeyOptions = {},
  crypto: Crypto = getCrypto(),
): Promise<CryptoKeyPair> {
  const info = KEY_SPECS[spec];
  const params =
    info.kind === 'EC'
      ? { name: 'ECDSA', namedCurve: info.curve! }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: info.bits!,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: options.hash ?? 'SHA-256',
        };
  return crypto.subtle.generateKey(params, options.extractable ?? true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function exportSpki(key: CryptoKey, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', key));
}

export async function exportPkcs8(key: CryptoKey, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', key));
}

/** Reads the key spec a PKCS#8 PrivateKeyInfo holds (RFC 5208 §5). */
export function pkcs8KeySpec(der: Uint8Array): KeySpec {
  const root = readRoot(der, TAG.SEQUENCE);
  const [, algNode, keyNode] = children(der, root);
  if (!algNode || !keyNode) throw new TypeError('bad PrivateKeyInfo');
  expectTag(algNode, TAG.SEQUENCE);
  const [algOid, params] = children(der, algNode);
  const alg = readOid(der, algOid!);
  if (alg === OID.id_ecPublicKey && params) {
    const curve = readOid(der, params);
    if (curve === OID.secp256r1) return 'EC-P256';
    if (curve === OID.secp384r1) return 'EC-P384';
    if (curve === OID.secp521r1) return 'EC-P521';
  }
  if (alg === OID.rsaEncryption) {
    // RSAPrivateKey ::= SEQUENCE { version, modulus, … }
    const inner = der.subarray(keyNode.contentStart, keyNode.end);
    const rsa = children(inner, readRoot(inner, TAG.SEQUENCE));
    const n = inner.subarray(rsa[1]!.contentStart, rsa[1]!.end);
    const bits = (n[0] === 0 ? n.length - 1 : n.length) * 8;
    if (bits <= 2048) return 'RSA-2048';
    if (bits <= 3072) return 'RSA-3072';
    return 'RSA-4096';
  }
  throw new TypeError(`unsupported private key algorithm ${alg}`);
}

/** Imports a PKCS#8 private key for signing; non-extractable unless asked. */
export async function importPkcs8(
  der: Uint8Array,
  options: { extractable?: boolean; hash?: HashName } = {},
  crypto: Crypto = getCrypto(),
): Promise<CryptoKey> {
  const spec = pkcs8KeySpec(der);
  return crypto.subtle.importKey('pkcs8', der as BufferSource, keyAlgorithmParams(spec, options.hash), options.extractable ?? false, ['sign']);
}

/** Imports an SPKI public key for verifying with a known spec. */
export async function importSpki(der: Uint8Array, spec: KeySpec, crypto: Crypto = getCrypto(), hash: HashName = 'SHA-256'): Promise<CryptoKey> {
  return crypto.subtle.importKey('spki', der as BufferSource, keyAlgorithmParams(spec, hash), true, ['verify']);
}

/** The spec of a CryptoKey (from its algorithm dictionary). */
export function keySpecOf(key: CryptoKey): KeySpec {
  const alg = key.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (alg.name === 'ECDSA') return `EC-${alg.namedCurve.replace('-', '')}` as KeySpec;
  return `RSA-${alg.modulusLength}` as KeySpec;
}
