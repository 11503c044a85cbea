/**
 * Subject and authority key identifiers (RFC 5280 §4.2.1.2, §4.2.1.1):
 *
 *   SubjectKeyIdentifier ::= KeyIdentifier
 *   AuthorityKeyIdentifier ::= SEQUENCE {
 *     keyIdentifier             [0] KeyIdentifier           OPTIONAL,
 *     authorityCertIssuer       [1] GeneralNames            OPTIONAL,
 *     authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
 *   KeyIdentifier ::= OCTET STRING
 *
 * The identifier is the SHA-1 of the subjectPublicKey BIT STRING value (method 1 of
 * §4.2.1.2), as Go and OpenSSL compute it.
 */

import { digest, getCrypto } from '../crypto';
import { implicitPrimitive, octetString, sequence } from '../der';
import { id_ce_authorityKeyIdentifier, id_ce_subjectKeyIdentifier } from '../oids';
import { extension } from './extension';

export async function keyIdentifier(subjectPublicKey: Uint8Array, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  return digest('SHA-1', subjectPublicKey, crypto);
}

export function subjectKeyIdentifier(id: Uint8Array): Uint8Array {
  return extension(id_ce_subjectKeyIdentifier, false, octetString(id));
}

export function authorityKeyIdentifier(id: Uint8Array): Uint8Array {
  return extension(id_ce_authorityKeyIdentifier, false, sequence(implicitPrimitive(0, id)));
}
