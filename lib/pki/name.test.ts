import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { csrFixture, hex, unhex } from '@/test/helpers/unit';
import { DerError, children, oid, readRoot, rawOf, sequence, set, utf8String } from './der';
import { encodeName, formatName, parseName, simpleName } from './name';
import * as OID from './oids';

/** The same Name built by pkijs/asn1js: a SEQUENCE of one-attribute SETs. */
function pkijsName(attrs: [string, asn1js.BaseBlock][]): string {
  const rdns = attrs.map(([type, value]) => new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: value as never }).toSchema()] }));
  return hex(new Uint8Array(new asn1js.Sequence({ value: rdns }).toBER(false)));
}

/** The subject Name of a CSR (CertificationRequestInfo's second element). */
function csrSubject(der: Uint8Array): Uint8Array {
  const [info] = children(der, readRoot(der));
  return rawOf(der, children(der, info!)[1]!);
}

describe('encodeName', () => {
  it('ok/CN=node1 is exactly what OpenSSL put in the fixture CSRs', () => {
    const der = encodeName([{ type: OID.id_at_commonName, value: 'node1' }]);
    expect(hex(der)).toBe('3010310e300c06035504030c056e6f646531');
    expect(der).toEqual(csrSubject(csrFixture('p-256')));
    expect(der).toEqual(csrSubject(csrFixture('rsa-2048')));
  });

  it('ok/simpleName puts O before CN, one attribute per RDN, as UTF8String', () => {
    const der = simpleName('Unit Root CA', 'Unit');
    expect(hex(der)).toBe(
      pkijsName([
        [OID.id_at_organizationName, new asn1js.Utf8String({ value: 'Unit' })],
        [OID.id_at_commonName, new asn1js.Utf8String({ value: 'Unit Root CA' })],
      ]),
    );
    expect(simpleName('x')).toEqual(encodeName([{ type: OID.id_at_commonName, value: 'x' }]));
  });

  it('ok/countryName is a PrintableString, domainComponent and emailAddress IA5String', () => {
    const der = encodeName([
      { type: OID.id_at_countryName, value: 'DE' },
      { type: OID.id_domainComponent, value: 'org' },
      { type: OID.id_emailAddress, value: 'a@b.org' },
      { type: OID.id_at_organizationalUnitName, value: 'Ünit' },
    ]);
    expect(hex(der)).toBe(
      pkijsName([
        [OID.id_at_countryName, new asn1js.PrintableString({ value: 'DE' })],
        [OID.id_domainComponent, new asn1js.IA5String({ value: 'org' })],
        [OID.id_emailAddress, new asn1js.IA5String({ value: 'a@b.org' })],
        [OID.id_at_organizationalUnitName, new asn1js.Utf8String({ value: 'Ünit' })],
      ]),
    );
  });

  it('ok/an empty Name is an empty SEQUENCE', () => {
    expect(hex(encodeName([]))).toBe('3000');
  });
});

describe('parseName', () => {
  it('ok/round trip with the OpenSSL one-line text, in encoding order', () => {
    const attrs = [
      { type: OID.id_at_countryName, value: 'DE' },
      { type: OID.id_at_organizationName, value: 'Unit' },
      { type: OID.id_at_organizationalUnitName, value: 'Lab' },
      { type: OID.id_domainComponent, value: 'org' },
      { type: OID.id_emailAddress, value: 'a@b.org' },
      { type: '2.5.4.5', value: '42' },
      { type: OID.id_at_commonName, value: 'Unit Root CA' },
    ];
    const parsed = parseName(encodeName(attrs));
    expect(parsed.attributes).toEqual(attrs);
    expect(parsed.commonName).toBe('Unit Root CA');
    expect(parsed.text).toBe('C=DE, O=Unit, OU=Lab, DC=org, emailAddress=a@b.org, 2.5.4.5=42, CN=Unit Root CA');
    expect(formatName(attrs)).toBe(parsed.text);
  });

  it('ok/the step CLI subject (Go encoding) agrees with pkijs', () => {
    const subject = csrSubject(csrFixture('step/step-cli-p384.csr'));
    const parsed = parseName(subject);
    expect(parsed.text).toBe('CN=collaborator1');
    const rdn = pkijs.RelativeDistinguishedNames.fromBER(subject.slice().buffer);
    expect(rdn.typesAndValues.map((tv) => [tv.type, tv.value.valueBlock.value])).toEqual(parsed.attributes.map((a) => [a.type, a.value]));
  });

  it('ok/a multi-valued RDN yields each attribute; BMPString is decoded', () => {
    const der = sequence(
      set(sequence(oid(OID.id_at_organizationName), utf8String('A')), sequence(oid(OID.id_at_organizationalUnitName), unhex('1e0400e90042'))),
    );
    expect(parseName(der).attributes).toEqual([
      { type: OID.id_at_organizationName, value: 'A' },
      { type: OID.id_at_organizationalUnitName, value: 'éB' },
    ]);
    expect(parseName(der).commonName).toBeUndefined();
  });

  it.each([
    ['fail/empty RDN', sequence(set())],
    ['fail/RDN that is a SEQUENCE', sequence(sequence(sequence(oid(OID.id_at_commonName), utf8String('a'))))],
    ['fail/two common names', encodeName([{ type: OID.id_at_commonName, value: 'a' }, { type: OID.id_at_commonName, value: 'b' }])],
    ['fail/attribute without a value', sequence(set(sequence(oid(OID.id_at_commonName))))],
    ['fail/attribute with an extra element', sequence(set(sequence(oid(OID.id_at_commonName), utf8String('a'), utf8String('b'))))],
    ['fail/value that is not a string', sequence(set(sequence(oid(OID.id_at_commonName), unhex('020101'))))],
    ['fail/type that is not an OID', sequence(set(sequence(utf8String('CN'), utf8String('a'))))],
    ['fail/not a SEQUENCE', set()],
  ])('%s', (_name, der) => {
    expect(() => parseName(der)).toThrow(DerError);
  });
});
