/**
 * The "traditional" private-key encodings that step (and so `fx pki certify`) and
 * OpenFL's own `fx … generate-cert-request` write, derived from the PKCS#8 that
 * WebCrypto exports, with the strict DER codec:
 *
 *   PrivateKeyInfo ::= SEQUENCE {                      -- RFC 5208 §5
 *     version INTEGER, privateKeyAlgorithm AlgorithmIdentifier,
 *     privateKey OCTET STRING, attributes [0] IMPLICIT Attributes OPTIONAL }
 *   ECPrivateKey ::= SEQUENCE {                        -- RFC 5915 §3 (SEC1 "EC PRIVATE KEY")
 *     version INTEGER { ecPrivkeyVer1(1) }, privateKey OCTET STRING,
 *     parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
 *   RSAPrivateKey ::= SEQUENCE { version, modulus, … } -- RFC 8017 A.1.2 (PKCS#1 "RSA PRIVATE KEY")
 *
 * For RSA the PKCS#8 privateKey octets are the RSAPrivateKey itself. For EC, WebCrypto
 * leaves the curve out of the inner ECPrivateKey (it is in the AlgorithmIdentifier);
 * SEC1 files carry it in [0], as OpenSSL writes them.
 */

import { DerError, TAG, children, contentOf, expectTag, explicit, rawOf, readOid, readRoot, readSmallInteger, sequence, oid } from './der';
import * as OID from './oids';
import { toPem } from './pem';

export interface TraditionalKey {
  label: 'EC PRIVATE KEY' | 'RSA PRIVATE KEY';
  der: Uint8Array;
}

/** Converts a PKCS#8 PrivateKeyInfo (EC or RSA) to SEC1 or PKCS#1 DER. */
export function toTraditionalPrivateKey(pkcs8: Uint8Array): TraditionalKey {
  const root = readRoot(pkcs8, TAG.SEQUENCE);
  const [versionNode, algNode, keyNode] = children(pkcs8, root);
  if (!versionNode || !algNode || !keyNode) throw new DerError('bad PrivateKeyInfo');
  if (readSmallInteger(pkcs8, versionNode) > 1) throw new DerError('unsupported PrivateKeyInfo version');
  expectTag(keyNode, TAG.OCTET_STRING);
  const [algOidNode, paramsNode] = children(pkcs8, expectTag(algNode, TAG.SEQUENCE));
  const algorithm = readOid(pkcs8, algOidNode!);
  const inner = contentOf(pkcs8, keyNode);

  if (algorithm === OID.rsaEncryption) {
    readRoot(inner, TAG.SEQUENCE);
    return { label: 'RSA PRIVATE KEY', der: inner.slice() };
  }
  if (algorithm === OID.id_ecPublicKey) {
    if (!paramsNode) throw new DerError('EC key without a named curve');
    const curve = readOid(pkcs8, paramsNode);
    const parts = children(inner, readRoot(inner, TAG.SEQUENCE));
    const [ver, priv] = parts;
    if (!ver || !priv || readSmallInteger(inner, ver) !== 1) throw new DerError('bad ECPrivateKey');
    expectTag(priv, TAG.OCTET_STRING);
    const publicKey = parts.find((p) => p.tag === 0xa1);
    const der = sequence(rawOf(inner, ver), rawOf(inner, priv), explicit(0, oid(curve)), ...(publicKey ? [rawOf(inner, publicKey)] : []));
    return { label: 'EC PRIVATE KEY', der };
  }
  throw new DerError(`unsupported private key algorithm ${algorithm}`);
}

/** The PEM step writes for a key: SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY". */
export function traditionalPrivateKeyPem(pkcs8: Uint8Array): string {
  const key = toTraditionalPrivateKey(pkcs8);
  return toPem(key.der, key.label);
}
