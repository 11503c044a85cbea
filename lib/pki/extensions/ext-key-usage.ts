/**
 * Extended key usage (RFC 5280 §4.2.1.12), id-ce-extKeyUsage:
 *
 *   ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
 *   KeyPurposeId ::= OBJECT IDENTIFIER
 *
 * Not critical, as step-ca issues it: OpenFL's gRPC peers need serverAuth on the
 * aggregator/director and clientAuth on collaborators/envoys, and one leaf serves both.
 */

import { oid, sequence } from '../der';
import { id_ce_extKeyUsage } from '../oids';
import { extension } from './extension';

export function extKeyUsage(purposes: readonly string[], critical = false): Uint8Array {
  return extension(id_ce_extKeyUsage, critical, sequence(...purposes.map(oid)));
}
