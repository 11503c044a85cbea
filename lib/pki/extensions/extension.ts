/**
 * Extension (RFC 5280 §4.1):
 *
 *   Extension ::= SEQUENCE {
 *     extnID     OBJECT IDENTIFIER,
 *     critical   BOOLEAN DEFAULT FALSE,
 *     extnValue  OCTET STRING }
 *
 * DER omits `critical` when it is FALSE.
 */

import { boolean, octetString, oid, sequence } from '../der';

export function extension(extnId: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(oid(extnId), boolean(true), octetString(value))
    : sequence(oid(extnId), octetString(value));
}
