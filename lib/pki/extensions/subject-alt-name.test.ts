import { describe, expect, it } from 'vitest';
import { hex, unhex } from '@/test/helpers/bytes';
import * as x509 from '@/test/helpers/x509';
import { DerError, explicit, implicitPrimitive, oid, sequence } from '../der';
import {
  emptySans,
  formatIp,
  generalNames,
  parseGeneralNames,
  parseIp,
  parseIpv4,
  parseIpv6,
  sanCount,
  sansToList,
  splitSans,
  subjectAltName,
} from './subject-alt-name';

/** WHATWG URL serialises IPv6 hosts the RFC 5952 way: an independent formatter. */
const whatwg = (ip: string) => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

describe('IPv4 literals', () => {
  it.each([
    ['1.2.3.4', '01020304'],
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['10.0.0.1', '0a000001'],
  ])('ok/%s', (text, bytes) => {
    expect(hex(parseIpv4(text)!)).toBe(bytes);
    expect(formatIp(parseIpv4(text)!)).toBe(text);
  });

  it.each(['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '00.0.0.0', ' 1.2.3.4', '1.2.3.-4', '1e1.1.1.1', '1.2.3.4/24', '', 'localhost'])(
    'fail/%j (Go net.ParseIP refuses it too)',
    (text) => {
      expect(parseIpv4(text)).toBeUndefined();
    },
  );
});

describe('IPv6 literals', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::A', '2001:db8::a'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['[::1]', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:1:0:0', '2001:db8::1:0:0'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80::1:2', 'fe80::1:2'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ])('ok/%s → %s (RFC 5952)', (text, canonical) => {
    const bytes = parseIpv6(text)!;
    expect(bytes).toHaveLength(16);
    expect(formatIp(bytes)).toBe(canonical);
    expect(formatIp(bytes)).toBe(whatwg(text.replace(/^\[|\]$/g, '')));
  });

  it.each([
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':::',
    '1::2::3',
    '12345::',
    'g::',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '1.2.3.4::',
    '::1.2.3',
    '::1.2.3.4:5',
    '::01.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6:7::8',
    'fe80::1%eth0',
    '[::1',
    '1.2.3.4',
    'node1',
  ])('fail/%j', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it('fail/formatIp wants 4 or 16 bytes', () => {
    expect(() => formatIp(new Uint8Array(5))).toThrow(DerError);
  });
});

describe('parseIp', () => {
  it('ok/IPv4-mapped IPv6 becomes the IPv4 address, as Go encodes it (net.IP.To4)', () => {
    expect(hex(parseIp('::ffff:1.2.3.4')!)).toBe('01020304');
    expect(hex(parseIp('::FFFF:102:304')!)).toBe('01020304');
    expect(hex(parseIp('0:0:0:0:0:ffff:a00:1')!)).toBe('0a000001');
  });

  it('ok/other IPv6 stays 16 bytes', () => {
    expect(parseIp('::1')).toHaveLength(16);
    expect(parseIp('::1.2.3.4')).toHaveLength(16);
    expect(parseIp('::fffe:1.2.3.4')).toHaveLength(16);
    expect(parseIp('1.2.3.4')).toHaveLength(4);
    expect(parseIp('node1')).toBeUndefined();
  });
});

describe('splitSans (step x509util.SplitSANs)', () => {
  it.each<[string, string[], Partial<ReturnType<typeof emptySans>>]>([
    ['ok/a plain name is a DNS name', ['node1'], { dns: ['node1'] }],
    ['ok/an FQDN and a wildcard are DNS names', ['a.example.org', '*.example.org'], { dns: ['a.example.org', '*.example.org'] }],
    ['ok/an IPv4 literal is an IP', ['10.0.0.1'], { ip: ['10.0.0.1'] }],
    ['ok/an IPv6 literal is an IP, canonicalised', ['2001:DB8:0::1'], { ip: ['2001:db8::1'] }],
    ['ok/IPv4-mapped IPv6 is the IPv4 address', ['::ffff:10.0.0.1'], { ip: ['10.0.0.1'] }],
    ['ok/a value with @ is an e-mail address', ['ops@example.org'], { email: ['ops@example.org'] }],
    ['ok/a value with a scheme is a URI', ['spiffe://fed/node1'], { uri: ['spiffe://fed/node1'] }],
    ['ok/a URI with @ is still a URI (scheme first, as Go checks it)', ['mailto:ops@example.org', 'https://user@host.example/'], { uri: ['mailto:ops@example.org', 'https://user@host.example/'] }],
    ['ok/host:port parses as a URI in Go too', ['localhost:9123'], { uri: ['localhost:9123'] }],
    ['ok/a digit cannot start a scheme', ['1host:80'], { dns: ['1host:80'] }],
    ['ok/duplicates are dropped, blanks skipped, values trimmed', ['node1', ' node1 ', '', '  ', '10.0.0.1', '10.0.0.1'], { dns: ['node1'], ip: ['10.0.0.1'] }],
    ['ok/the same address written twice is one IP', ['::1', '0:0:0:0:0:0:0:1', '1.2.3.4', '::ffff:1.2.3.4'], { ip: ['::1', '1.2.3.4'] }],
    ['ok/mixed, each kind in input order', ['b', '2.2.2.2', 'a', '1.1.1.1', 'x@y', 'urn:a'], { dns: ['b', 'a'], ip: ['2.2.2.2', '1.1.1.1'], email: ['x@y'], uri: ['urn:a'] }],
    ['ok/nothing', [], {}],
  ])('%s', (_name, input, expected) => {
    expect(splitSans(input)).toEqual({ ...emptySans(), ...expected });
  });

  it('ok/sansToList and sanCount', () => {
    const sans = splitSans(['b', '1.1.1.1', 'x@y', 'urn:a', 'a']);
    expect(sansToList(sans)).toEqual(['b', 'a', '1.1.1.1', 'x@y', 'urn:a']);
    expect(sanCount(sans)).toBe(5);
    expect(sanCount(emptySans())).toBe(0);
  });
});

describe('GeneralNames DER', () => {
  it('ok/exact bytes: [1] e-mail, [2] DNS, [6] URI, [7] IP in that order', () => {
    const sans = { dns: ['a'], ip: ['1.2.3.4', '::1'], email: ['e@x'], uri: ['urn:x'] };
    const der = generalNames(sans);
    expect(hex(der)).toBe(`302781036540788201618605${hex(new TextEncoder().encode('urn:x'))}870401020304871000000000000000000000000000000001`);
    const ext = subjectAltName(sans);
    const theirs = new x509.SubjectAlternativeNameExtension([
      { type: 'email', value: 'e@x' },
      { type: 'dns', value: 'a' },
      { type: 'url', value: 'urn:x' },
      { type: 'ip', value: '1.2.3.4' },
      { type: 'ip', value: '::1' },
    ]);
    expect(hex(ext)).toBe(hex(new Uint8Array(theirs.rawData)));
  });

  it('ok/round trip through parseGeneralNames', () => {
    const sans = splitSans(['node1', 'node1.example.org', '10.0.0.1', '2001:db8::1', 'ops@example.org', 'spiffe://fed/node1']);
    expect(parseGeneralNames(generalNames(sans))).toEqual({ ...sans, other: 0 });
  });

  it('ok/kinds FedPKI does not issue are counted, not read', () => {
    const der = sequence(
      explicit(0, oid('1.3.6.1.4.1.311.20.2.3'), explicit(0, unhex('0c0161'))), // otherName (UPN)
      explicit(4, sequence()), // directoryName
      implicitPrimitive(8, unhex('2a03')), // registeredID
      implicitPrimitive(2, new TextEncoder().encode('node1')),
    );
    expect(parseGeneralNames(der)).toEqual({ ...emptySans(), dns: ['node1'], other: 3 });
  });

  it('ok/a 16-byte IPv4-mapped address reads as the IPv4 address (Go compares them equal)', () => {
    const der = sequence(implicitPrimitive(7, unhex('00000000000000000000ffff0a000007')), implicitPrimitive(7, unhex('20010db8000000000000000000000007')));
    expect(parseGeneralNames(der).ip).toEqual(['10.0.0.7', '2001:db8::7']);
  });

  it('fail/an IP literal that is not one', () => {
    expect(() => generalNames({ ...emptySans(), ip: ['node1'] })).toThrow(DerError);
  });

  it.each([
    ['fail/iPAddress of 5 bytes', sequence(implicitPrimitive(7, new Uint8Array(5)))],
    ['fail/iPAddress with a netmask (8 bytes, a name-constraints form)', sequence(implicitPrimitive(7, new Uint8Array(8)))],
    ['fail/DNS name with a control character', sequence(implicitPrimitive(2, Uint8Array.of(0x61, 0x07)))],
    ['fail/DNS name with non-ASCII bytes', sequence(implicitPrimitive(2, Uint8Array.of(0xc3, 0xa9)))],
    ['fail/e-mail with a NUL', sequence(implicitPrimitive(1, Uint8Array.of(0x61, 0x00)))],
    ['fail/not a SEQUENCE', implicitPrimitive(2, Uint8Array.of(0x61))],
    ['fail/trailing bytes', Uint8Array.of(...sequence(), 0)],
  ])('%s', (_name, der) => {
    expect(() => parseGeneralNames(der)).toThrow(DerError);
  });
});
