/**
 * Basic constraints (RFC 5280 §4.2.1.9), id-ce-basicConstraints:
 *
 *   BasicConstraints ::= SEQUENCE {
 *     cA                 BOOLEAN DEFAULT FALSE,
 *     pathLenConstraint  INTEGER (0..MAX) OPTIONAL }
 *
 * Always marked critical here. For an end entity the DER is an empty SEQUENCE.
 */

import { boolean, sequence, smallInteger } from '../der';
import { id_ce_basicConstraints } from '../oids';
import { extension } from './extension';

export interface BasicConstraintsParams {
  ca: boolean;
  /** Only for CAs: how many intermediate CAs may follow this one. */
  pathLength?: number;
}

export function basicConstraints({ ca, pathLength }: BasicConstraintsParams): Uint8Array {
  const parts: Uint8Array[] = [];
  if (ca) {
    parts.push(boolean(true));
    if (pathLength !== undefined) parts.push(smallInteger(pathLength));
  }
  return extension(id_ce_basicConstraints, true, sequence(...parts));
}
