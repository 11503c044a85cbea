/**
 * Key usage (RFC 5280 §4.2.1.3), id-ce-keyUsage:
 *
 *   KeyUsage ::= BIT STRING {
 *     digitalSignature (0), nonRepudiation (1), keyEncipherment (2),
 *     dataEncipherment (3), keyAgreement (4), keyCertSign (5),
 *     cRLSign (6), encipherOnly (7), decipherOnly (8) }
 *
 * DER drops trailing zero bits of a named bit list (X.690 §11.2.2). Marked critical.
 */

import { bitString } from '../der';
import { id_ce_keyUsage } from '../oids';
import { extension } from './extension';

export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export type KeyUsageName = keyof typeof KEY_USAGE_BITS;

/** The BIT STRING value alone (also what a CSR or certificate parser compares). */
export function keyUsageBits(usages: readonly KeyUsageName[]): Uint8Array {
  let highest = -1;
  const bytes = new Uint8Array(2);
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    highest = Math.max(highest, bit);
  }
  if (highest < 0) return bitString(new Uint8Array(0));
  const length = (highest >> 3) + 1;
  return bitString(bytes.subarray(0, length), 7 - (highest & 7));
}

export function keyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  return extension(id_ce_keyUsage, true, keyUsageBits(usages));
}
