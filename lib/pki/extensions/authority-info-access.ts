/**
 * Authority information access (RFC 5280 §4.2.2.1), id-pe-authorityInfoAccess:
 *
 *   AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 *   AccessDescription ::= SEQUENCE {
 *     accessMethod    OBJECT IDENTIFIER,   -- id-ad-ocsp or id-ad-caIssuers
 *     accessLocation  GeneralName }
 */

import { implicitPrimitive, oid, sequence } from '../der';
import { utf8 } from '../encoding';
import { id_ad_caIssuers, id_ad_ocsp, id_pe_authorityInfoAccess } from '../oids';
import { extension } from './extension';

export interface AuthorityInfoAccessParams {
  ocsp?: string;
  caIssuers?: string;
}

export function authorityInfoAccess({ ocsp, caIssuers }: AuthorityInfoAccessParams): Uint8Array {
  const entries: Uint8Array[] = [];
  if (ocsp) entries.push(sequence(oid(id_ad_ocsp), implicitPrimitive(6, utf8(ocsp))));
  if (caIssuers) entries.push(sequence(oid(id_ad_caIssuers), implicitPrimitive(6, utf8(caIssuers))));
  return extension(id_pe_authorityInfoAccess, false, sequence(...entries));
}
