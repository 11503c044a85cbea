import { describe, expect, it } from 'vitest';
import { hex, unhex } from '@/test/helpers/bytes';
import {
  DerError,
  TAG,
  bitString,
  boolean,
  children,
  contentOf,
  expectTag,
  explicit,
  ia5String,
  implicitPrimitive,
  nullValue,
  octetString,
  oid,
  printableString,
  rawOf,
  readBitString,
  readBoolean,
  readNode,
  readOid,
  readRoot,
  readSmallInteger,
  readString,
  readTime,
  readUnsignedInteger,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from './der';

const root = (h: string) => {
  const b = unhex(h);
  return { b, n: readRoot(b) };
};

describe('writer', () => {
  it.each([
    ['ok/length/0', 0, '0400'],
    ['ok/length/127 is short form', 127, '047f'],
    ['ok/length/128 takes 0x81', 128, '048180'],
    ['ok/length/255', 255, '0481ff'],
    ['ok/length/256 takes 0x82', 256, '04820100'],
    ['ok/length/65536 takes 0x83', 65536, '0483010000'],
  ])('%s', (_name, length, header) => {
    const encoded = tlv(TAG.OCTET_STRING, new Uint8Array(length));
    expect(hex(encoded.subarray(0, header.length / 2))).toBe(header);
    expect(encoded.length).toBe(header.length / 2 + length);
    const node = readRoot(encoded, TAG.OCTET_STRING);
    expect(node.end - node.contentStart).toBe(length);
  });

  it('ok/tlv concatenates its parts', () => {
    expect(hex(tlv(0x30, Uint8Array.of(1), Uint8Array.of(2, 3)))).toBe('3003010203');
    expect(hex(sequence())).toBe('3000');
    expect(hex(set(nullValue()))).toBe('31020500');
  });

  it.each([
    ['ok/integer/empty magnitude is zero', '', '020100'],
    ['ok/integer/zero', '00', '020100'],
    ['ok/integer/leading zeros are dropped', '000005', '020105'],
    ['ok/integer/0x7f needs no pad', '7f', '02017f'],
    ['ok/integer/high bit gets a 00 pad', '80', '02020080'],
    ['ok/integer/padded input stays minimal', '0080', '02020080'],
    ['ok/integer/16-byte serial', 'ff'.repeat(16), `021100${'ff'.repeat(16)}`],
  ])('%s', (_name, magnitude, expected) => {
    const encoded = unsignedInteger(unhex(magnitude));
    expect(hex(encoded)).toBe(expected);
    const back = readUnsignedInteger(encoded, readRoot(encoded));
    expect(hex(back)).toBe(hex(unhex(magnitude)).replace(/^(00)+/, '') || '00');
  });

  it.each([
    [0, '020100'],
    [127, '02017f'],
    [128, '02020080'],
    [256, '02020100'],
    [0x7fffffff, '02047fffffff'],
  ])('ok/smallInteger/%i', (n, expected) => {
    const encoded = smallInteger(n);
    expect(hex(encoded)).toBe(expected);
    expect(readSmallInteger(encoded, readRoot(encoded))).toBe(n);
  });

  it.each([-1, 1.5, 0x80000000, Number.NaN])('fail/smallInteger/%s', (n) => {
    expect(() => smallInteger(n)).toThrow(RangeError);
  });

  it.each([
    ['1.2.840.113549', '06062a864886f70d'],
    ['2.5.29.15', '0603551d0f'],
    ['1.2.840.10045.3.1.7', '06082a8648ce3d030107'],
    ['1.3.132.0.34', '06052b81040022'],
    ['0.9.2342.19200300.100.1.25', '060a0992268993f22c640119'],
    ['2.999.3', '0603883703'],
    ['1.3.6.1.4.1.37476.9000.64.1', '060c2b0601040182a464c6284001'],
  ])('ok/oid/%s', (dotted, expected) => {
    const encoded = oid(dotted);
    expect(hex(encoded)).toBe(expected);
    expect(readOid(encoded, readRoot(encoded))).toBe(dotted);
  });

  it.each(['', '1', '1.a', '1..2', '1.2.'])('fail/oid/%j', (dotted) => {
    expect(() => oid(dotted)).toThrow(DerError);
  });

  it.each([
    ['ok/time/UTCTime in 2026', '2026-03-01T12:00:00.000Z', '170d3236303330313132303030305a'],
    ['ok/time/milliseconds are dropped', '2026-03-01T12:00:00.999Z', '170d3236303330313132303030305a'],
    ['ok/time/UTCTime through 2049', '2049-12-31T23:59:59Z', `170d${hex(new TextEncoder().encode('491231235959Z'))}`],
    ['ok/time/GeneralizedTime from 2050', '2050-01-01T00:00:00Z', `180f${hex(new TextEncoder().encode('20500101000000Z'))}`],
    ['ok/time/UTCTime from 1950', '1950-01-01T00:00:00Z', `170d${hex(new TextEncoder().encode('500101000000Z'))}`],
    ['ok/time/GeneralizedTime before 1950', '1949-12-31T23:59:59Z', `180f${hex(new TextEncoder().encode('19491231235959Z'))}`],
  ])('%s', (_name, iso, expected) => {
    const encoded = time(new Date(iso));
    expect(hex(encoded)).toBe(expected);
    const back = readTime(encoded, readRoot(encoded));
    expect(back.toISOString()).toBe(new Date(Math.floor(new Date(iso).getTime() / 1000) * 1000).toISOString());
  });

  it('ok/primitives have their fixed encodings', () => {
    expect(hex(nullValue())).toBe('0500');
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(octetString(Uint8Array.of(1, 2)))).toBe('04020102');
    expect(hex(bitString(Uint8Array.of(0x80), 7))).toBe('03020780');
    expect(hex(bitString(new Uint8Array(0)))).toBe('030100');
    expect(hex(utf8String('é'))).toBe('0c02c3a9');
    expect(hex(ia5String('a@b'))).toBe('1603614062');
    expect(hex(printableString('DE'))).toBe('13024445');
    expect(hex(explicit(0, smallInteger(2)))).toBe('a003020102');
    expect(hex(explicit(3, sequence()))).toBe('a3023000');
    expect(hex(implicitPrimitive(2, new TextEncoder().encode('x')))).toBe('820178');
  });
});

describe('reader', () => {
  it('ok/walks a nested structure by offsets', () => {
    const der = sequence(smallInteger(5), sequence(oid('2.5.29.19'), boolean(true)), octetString(Uint8Array.of(9)));
    const top = readRoot(der, TAG.SEQUENCE);
    const [a, b, c] = children(der, top);
    expect(readSmallInteger(der, a!)).toBe(5);
    const [o, flag] = children(der, b!);
    expect(readOid(der, o!)).toBe('2.5.29.19');
    expect(readBoolean(der, flag!)).toBe(true);
    expect(hex(contentOf(der, c!))).toBe('09');
    expect(hex(rawOf(der, c!))).toBe('040109');
    expect(children(der, readRoot(sequence()))).toEqual([]);
  });

  it('ok/reads strings of each directory-string kind', () => {
    const read = (h: string) => readString(unhex(h), readRoot(unhex(h)));
    expect(read('0c03616263')).toBe('abc');
    expect(read('1303616263')).toBe('abc');
    expect(read('1603616263')).toBe('abc');
    expect(read('1403616263')).toBe('abc');
    expect(read('1e0400e90041')).toBe('éA');
  });

  it('ok/BIT STRING and BOOLEAN', () => {
    const { b, n } = root('03020780');
    expect(readBitString(b, n)).toEqual({ bytes: Uint8Array.of(0x80), unusedBits: 7 });
    const f = root('010100');
    expect(readBoolean(f.b, f.n)).toBe(false);
  });

  const failures: [string, string, (b: Uint8Array) => unknown][] = [
    ['fail/indefinite length', '308000000000', (b) => readRoot(b)],
    ['fail/non-minimal length/long form for a short value', '0481050000000000', (b) => readRoot(b)],
    ['fail/non-minimal length/leading zero byte', `048200${'80'}${'00'.repeat(128)}`, (b) => readRoot(b)],
    ['fail/length of five bytes', '04850000000001', (b) => readRoot(b)],
    ['fail/trailing bytes', '300000', (b) => readRoot(b)],
    ['fail/truncated content', '30050102', (b) => readRoot(b)],
    ['fail/truncated to one byte', '30', (b) => readRoot(b)],
    ['fail/truncated length bytes', '048201', (b) => readRoot(b)],
    ['fail/empty input', '', (b) => readRoot(b)],
    ['fail/high tag number', '1f0100', (b) => readRoot(b)],
    ['fail/high tag number, context class', 'bf1f0100', (b) => readRoot(b)],
    ['fail/child runs past its parent', '3003040201', (b) => children(b, readRoot(b))],
    ['fail/children of a primitive', '0400', (b) => children(b, readRoot(b))],
    ['fail/unexpected tag', '0400', (b) => readRoot(b, TAG.SEQUENCE)],
    ['fail/integer/negative', '020180', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/negative -1', '0201ff', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/non-minimal positive', '02020001', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/non-minimal negative', '0202ff80', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/empty', '0200', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/not an INTEGER', '0a0101', (b) => readUnsignedInteger(b, readRoot(b))],
    ['fail/integer/too large for a small integer', '020701000000000000', (b) => readSmallInteger(b, readRoot(b))],
    ['fail/oid/empty', '0600', (b) => readOid(b, readRoot(b))],
    ['fail/oid/non-minimal arc', '06028001', (b) => readOid(b, readRoot(b))],
    ['fail/oid/truncated arc', '06022a86', (b) => readOid(b, readRoot(b))],
    ['fail/bit string/empty', '0300', (b) => readBitString(b, readRoot(b))],
    ['fail/bit string/unused bits over 7', '03020880', (b) => readBitString(b, readRoot(b))],
    ['fail/bit string/unused bits without content', '030107', (b) => readBitString(b, readRoot(b))],
    ['fail/boolean/not 00 or ff', '010101', (b) => readBoolean(b, readRoot(b))],
    ['fail/boolean/two bytes', '0102ffff', (b) => readBoolean(b, readRoot(b))],
    ['fail/string/invalid UTF-8', '0c01ff', (b) => readString(b, readRoot(b))],
    ['fail/string/odd-length BMPString', '1e0100', (b) => readString(b, readRoot(b))],
    ['fail/string/UniversalString is not read', '1c0400000041', (b) => readString(b, readRoot(b))],
    ['fail/time/UTCTime without Z', '170c323630333031313230303030', (b) => readTime(b, readRoot(b))],
    ['fail/time/UTCTime with an offset', `1711${hex(new TextEncoder().encode('260301120000+0100'))}`, (b) => readTime(b, readRoot(b))],
    ['fail/time/GeneralizedTime with a fraction', `1811${hex(new TextEncoder().encode('20500101000000.5Z'))}`, (b) => readTime(b, readRoot(b))],
    ['fail/time/month 13', `170d${hex(new TextEncoder().encode('261301120000Z'))}`, (b) => readTime(b, readRoot(b))],
    ['fail/time/February 30', `170d${hex(new TextEncoder().encode('260230120000Z'))}`, (b) => readTime(b, readRoot(b))],
    ['fail/time/hour 24', `170d${hex(new TextEncoder().encode('260301240000Z'))}`, (b) => readTime(b, readRoot(b))],
    ['fail/time/not UTF-8', '170dff363033303131323030303030', (b) => readTime(b, readRoot(b))],
    ['fail/time/not a time', '0c0161', (b) => readTime(b, readRoot(b))],
  ];

  it.each(failures)('%s', (_name, h, read) => {
    expect(() => read(unhex(h))).toThrow(DerError);
  });

  it('fail/expectTag names both tags', () => {
    const { n } = root('0400');
    expect(() => expectTag(n, TAG.SEQUENCE)).toThrow('expected tag 0x30, found 0x4');
  });

  it('ok/readNode honours an explicit limit', () => {
    const b = unhex('0401aa0401bb');
    const first = readNode(b, 0, 3);
    expect(first).toEqual({ tag: 4, start: 0, contentStart: 2, end: 3 });
    expect(() => readNode(b, 3, 4)).toThrow(DerError);
    expect(readNode(b, 3).end).toBe(6);
  });
});
