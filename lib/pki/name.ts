/**
 * Distinguished names (RFC 5280 §4.1.2.4):
 *
 *   Name ::= CHOICE { rdnSequence RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }
 *
 * FedPKI writes one attribute per RDN, as UTF8String except countryName
 * (PrintableString) and domainComponent / emailAddress (IA5String).
 */

import { TAG, DerError, children, expectTag, ia5String, oid, printableString, readOid, readRoot, readString, sequence, set, utf8String, type DerNode } from './der';
import * as OID from './oids';

export interface NameAttribute {
  type: string;
  value: string;
}

const SHORT: Record<string, string> = {
  [OID.id_at_commonName]: 'CN',
  [OID.id_at_organizationName]: 'O',
  [OID.id_at_organizationalUnitName]: 'OU',
  [OID.id_at_countryName]: 'C',
  [OID.id_domainComponent]: 'DC',
  [OID.id_emailAddress]: 'emailAddress',
};

export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  return sequence(
    ...attributes.map(({ type, value }) => {
      const encoded =
        type === OID.id_at_countryName
          ? printableString(value)
          : type === OID.id_domainComponent || type === OID.id_emailAddress
            ? ia5String(value)
            : utf8String(value);
      return set(sequence(oid(type), encoded));
    }),
  );
}

/** Shorthand for the names FedPKI makes: optional O, then CN. */
export function simpleName(commonName: string, organization?: string): Uint8Array {
  const attrs: NameAttribute[] = [];
  if (organization) attrs.push({ type: OID.id_at_organizationName, value: organization });
  attrs.push({ type: OID.id_at_commonName, value: commonName });
  return encodeName(attrs);
}

/** A Name with several common names: well-formed DER, but not a name FedPKI can stand behind. */
export class MultipleCommonNamesError extends DerError {
  constructor(readonly count: number) {
    super(`${count} common names`);
  }
}

export interface ParsedName {
  attributes: NameAttribute[];
  commonName?: string;
  /** OpenSSL-style one-line form, in encoding order: "O=Acme, CN=Acme Root CA". */
  text: string;
}

export function formatName(attributes: readonly NameAttribute[]): string {
  return attributes.map((a) => `${SHORT[a.type] ?? a.type}=${a.value}`).join(', ');
}

export function parseName(buf: Uint8Array, node: DerNode = readRoot(buf)): ParsedName {
  expectTag(node, TAG.SEQUENCE);
  const attributes: NameAttribute[] = [];
  for (const rdn of children(buf, node)) {
    expectTag(rdn, TAG.SET);
    const atvs = children(buf, rdn);
    if (atvs.length === 0) throw new DerError('empty RDN');
    for (const atv of atvs) {
      expectTag(atv, TAG.SEQUENCE);
      const [typeNode, valueNode, ...extra] = children(buf, atv);
      if (!typeNode || !valueNode || extra.length) throw new DerError('bad AttributeTypeAndValue');
      attributes.push({ type: readOid(buf, typeNode), value: readString(buf, valueNode) });
    }
  }
  const cns = attributes.filter((a) => a.type === OID.id_at_commonName);
  if (cns.length > 1) throw new MultipleCommonNamesError(cns.length);
  return { attributes, commonName: cns[0]?.value, text: formatName(attributes) };
}
