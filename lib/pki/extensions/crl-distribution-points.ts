/**
 * CRL distribution points (RFC 5280 §4.2.1.13), id-ce-cRLDistributionPoints:
 *
 *   CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 *   DistributionPoint ::= SEQUENCE {
 *     distributionPoint [0] DistributionPointName OPTIONAL, … }
 *   DistributionPointName ::= CHOICE {
 *     fullName                [0] GeneralNames, … }
 *
 * A tagged CHOICE is always explicit, so the URI sits inside two [0] wrappers.
 */

import { explicit, implicitPrimitive, sequence } from '../der';
import { utf8 } from '../encoding';
import { id_ce_cRLDistributionPoints } from '../oids';
import { extension } from './extension';

export function crlDistributionPoints(urls: readonly string[]): Uint8Array {
  const points = urls.map((url) => sequence(explicit(0, explicit(0, implicitPrimitive(6, utf8(url))))));
  return extension(id_ce_cRLDistributionPoints, false, sequence(...points));
}
