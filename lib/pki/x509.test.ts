import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { crossCheckCertificate, hex, pkijsCertificate, unhex } from '@/test/helpers/unit';
import { algorithmIdentifier, hashForCurve, signatureAlgorithmByOid, signatureAlgorithmFor, webCryptoSignParams } from './algorithms';
import { readCertificate } from './certificate';
import { children, readRoot, readUnsignedInteger } from './der';
import { toArrayBuffer } from './encoding';
import { basicConstraints } from './extensions/basic-constraints';
import { keyUsage } from './extensions/key-usage';
import { exportSpki, generateKeyPair, type KeySpec } from './keys';
import { simpleName } from './name';
import * as OID from './oids';
import { assembleSigned, encodeTbsCertificate, generateSerialNumber, signCertificate, signData, signatureAlgorithmForKey, type TbsCertificateParams } from './x509';

const SERIAL = unhex('0102030405060708090a0b0c0d0e0f10');
const NOT_BEFORE = new Date('2026-03-01T11:59:00Z');

async function selfSignedParams(spec: KeySpec, notAfter = new Date('2036-02-28T12:00:00Z')) {
  const keys = await generateKeyPair(spec);
  const spki = await exportSpki(keys.publicKey);
  const name = simpleName('Unit Root CA', 'Unit');
  const params: TbsCertificateParams = {
    serialNumber: SERIAL,
    signatureAlgorithm: signatureAlgorithmForKey(keys.privateKey),
    issuer: name,
    subject: name,
    notBefore: NOT_BEFORE,
    notAfter,
    subjectPublicKeyInfo: spki,
    extensions: [keyUsage(['keyCertSign', 'cRLSign']), basicConstraints({ ca: true, pathLength: 1 })],
  };
  return { keys, spki, params };
}

/** The same TBSCertificate built with pkijs's own classes. */
function pkijsTbs(p: TbsCertificateParams, timeTypes: [number, number] = [0, 0]): Uint8Array {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: toArrayBuffer(p.serialNumber) });
  cert.signature = new pkijs.AlgorithmIdentifier({
    algorithmId: p.signatureAlgorithm.oid,
    ...(p.signatureAlgorithm.family === 'ECDSA' ? {} : { algorithmParams: new asn1js.Null() }),
  });
  // pkijs would put both attributes in one multi-valued RDN; build one SET per attribute.
  const rdn = () =>
    pkijs.RelativeDistinguishedNames.fromBER(
      new asn1js.Sequence({
        value: [
          new pkijs.AttributeTypeAndValue({ type: OID.id_at_organizationName, value: new asn1js.Utf8String({ value: 'Unit' }) }),
          new pkijs.AttributeTypeAndValue({ type: OID.id_at_commonName, value: new asn1js.Utf8String({ value: 'Unit Root CA' }) }),
        ].map((atv) => new asn1js.Set({ value: [atv.toSchema()] })),
      }).toBER(false),
    );
  cert.issuer = rdn();
  cert.subject = rdn();
  cert.notBefore = new pkijs.Time({ type: timeTypes[0], value: p.notBefore });
  cert.notAfter = new pkijs.Time({ type: timeTypes[1], value: p.notAfter });
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(p.subjectPublicKeyInfo));
  const ku = new asn1js.BitString({ valueHex: Uint8Array.of(0x06).buffer, unusedBits: 1 });
  cert.extensions = [
    new pkijs.Extension({ extnID: OID.id_ce_keyUsage, critical: true, extnValue: ku.toBER(false) }),
    new pkijs.Extension({ extnID: OID.id_ce_basicConstraints, critical: true, extnValue: new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 1 }).toSchema().toBER(false) }),
  ];
  return new Uint8Array(cert.encodeTBS().toBER(false));
}

describe('encodeTbsCertificate', () => {
  it('ok/the same bytes pkijs builds from the same fields (P-256, UTCTime)', async () => {
    const { params } = await selfSignedParams('EC-P256');
    expect(hex(encodeTbsCertificate(params))).toBe(hex(pkijsTbs(params)));
  });

  it('ok/RSA algorithm carries NULL parameters; notAfter from 2050 is a GeneralizedTime', async () => {
    const { params } = await selfSignedParams('RSA-2048', new Date('2051-01-01T00:00:00Z'));
    const tbs = encodeTbsCertificate(params);
    expect(hex(tbs)).toBe(hex(pkijsTbs(params, [0, 1])));
    expect(hex(tbs)).toContain('300d06092a864886f70d01010b0500');
    expect(hex(tbs)).toContain(`180f${hex(new TextEncoder().encode('20510101000000Z'))}`);
  });

  it('ok/no extensions means no [3] field', async () => {
    const { params } = await selfSignedParams('EC-P256');
    const tbs = encodeTbsCertificate({ ...params, extensions: [] });
    const cert = readCertificate(assembleSigned(tbs, params.signatureAlgorithm, new Uint8Array(8)));
    expect(cert.extensions).toEqual([]);
    expect(children(tbs, readRoot(tbs)).map((n) => n.tag)).toEqual([0xa0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30]);
  });
});

describe('signCertificate', () => {
  it.each<[KeySpec, string]>([
    ['EC-P256', OID.ecdsa_with_SHA256],
    ['EC-P384', OID.ecdsa_with_SHA384],
    ['EC-P521', OID.ecdsa_with_SHA512],
    ['RSA-2048', OID.sha256WithRSAEncryption],
  ])('ok/%s: parsed by pkijs and verified by pkijs and @peculiar/x509', async (spec, sigOid) => {
    const { keys, spki, params } = await selfSignedParams(spec);
    const der = await signCertificate(params, keys.privateKey);
    const { pkijs: theirs, peculiar } = await crossCheckCertificate(der, der);
    expect(theirs.signatureAlgorithm.algorithmId).toBe(sigOid);
    expect(theirs.signature.algorithmId).toBe(sigOid);
    expect(hex(theirs.serialNumber.valueBlock.valueHexView)).toBe(hex(SERIAL));
    expect(theirs.notBefore.value.toISOString()).toBe(NOT_BEFORE.toISOString());
    expect(theirs.notAfter.value.toISOString()).toBe('2036-02-28T12:00:00.000Z');
    expect(peculiar.subject).toBe('O=Unit, CN=Unit Root CA');
    expect(peculiar.serialNumber).toBe(hex(SERIAL));
    expect(hex(new Uint8Array(theirs.subjectPublicKeyInfo.toSchema().toBER(false)))).toBe(hex(spki));
    const mine = readCertificate(der);
    expect(hex(mine.tbs)).toBe(hex(encodeTbsCertificate(params)));
    expect(mine.signatureAlgorithmOid).toBe(sigOid);
  });

  it('fail/the certificate does not verify under another key', async () => {
    const { keys, params } = await selfSignedParams('EC-P256');
    const der = await signCertificate(params, keys.privateKey);
    const other = await signCertificate((await selfSignedParams('EC-P256')).params, (await generateKeyPair('EC-P256')).privateKey);
    expect(await pkijsCertificate(der).verify(pkijsCertificate(other))).toBe(false);
  });

  it('ok/signData gives DER for ECDSA and the raw value for RSA', async () => {
    const data = new TextEncoder().encode('tbs');
    const ec = await generateKeyPair('EC-P256');
    const ecSig = await signData(data, signatureAlgorithmFor('ECDSA', 'SHA-256'), ec.privateKey);
    expect(ecSig[0]).toBe(0x30);
    expect(() => readRoot(ecSig)).not.toThrow();
    const rsa = await generateKeyPair('RSA-2048');
    const rsaSig = await signData(data, signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-256'), rsa.privateKey);
    expect(rsaSig).toHaveLength(256);
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', rsa.publicKey, rsaSig as BufferSource, data)).toBe(true);
  });
});

describe('generateSerialNumber', () => {
  it('ok/positive, 16 bytes, first byte below 0x80, minimal as an INTEGER, all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const serial = generateSerialNumber();
      expect(serial).toHaveLength(16);
      expect(serial[0]).toBeGreaterThan(0);
      expect(serial[0]).toBeLessThan(0x80);
      const der = Uint8Array.of(0x02, 16, ...serial);
      expect(readUnsignedInteger(der, readRoot(der))).toEqual(serial);
      seen.add(hex(serial));
    }
    expect(seen.size).toBe(2000);
  });

  it.each([
    [0x00, '01000000000000000000000000000000'],
    [0xff, `7f${'ff'.repeat(15)}`],
    [0x80, `01${'80'.repeat(15)}`],
  ])('ok/with every random byte 0x%s the serial stays positive and 16 bytes long', (fill, expected) => {
    const stub = { getRandomValues: <T extends ArrayBufferView>(a: T) => (new Uint8Array(a.buffer).fill(fill), a) } as unknown as Crypto;
    expect(hex(generateSerialNumber(stub))).toBe(expected);
  });
});

describe('algorithms', () => {
  it.each<[KeySpec, string]>([
    ['EC-P256', 'ecdsa-with-SHA256'],
    ['EC-P384', 'ecdsa-with-SHA384'],
    ['EC-P521', 'ecdsa-with-SHA512'],
    ['RSA-2048', 'sha256WithRSAEncryption'],
  ])('ok/signatureAlgorithmForKey(%s) is %s', async (spec, name) => {
    expect(signatureAlgorithmForKey((await generateKeyPair(spec)).privateKey).name).toBe(name);
  });

  it('ok/an RSA key bound to SHA-384 signs with sha384WithRSAEncryption', async () => {
    const keys = await generateKeyPair('RSA-2048', { hash: 'SHA-384' });
    expect(signatureAlgorithmForKey(keys.privateKey).oid).toBe(OID.sha384WithRSAEncryption);
  });

  it('ok/AlgorithmIdentifier DER: no parameters for ECDSA (RFC 5758), NULL for RSA (RFC 4055)', () => {
    expect(hex(algorithmIdentifier(signatureAlgorithmFor('ECDSA', 'SHA-384')))).toBe('300a06082a8648ce3d040303');
    expect(hex(algorithmIdentifier(signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-512')))).toBe('300d06092a864886f70d01010d0500');
  });

  it('ok/lookups, hash per curve and WebCrypto parameters', () => {
    expect(signatureAlgorithmByOid(OID.ecdsa_with_SHA1)).toBeUndefined();
    expect(signatureAlgorithmByOid(OID.sha1WithRSAEncryption)).toBeUndefined();
    expect(signatureAlgorithmByOid(OID.id_RSASSA_PSS)).toBeUndefined();
    expect(signatureAlgorithmByOid(OID.ecdsa_with_SHA256)?.hash).toBe('SHA-256');
    expect([hashForCurve('P-256'), hashForCurve('P-384'), hashForCurve('P-521')]).toEqual(['SHA-256', 'SHA-384', 'SHA-512']);
    expect(webCryptoSignParams(signatureAlgorithmFor('ECDSA', 'SHA-384'))).toEqual({ name: 'ECDSA', hash: 'SHA-384' });
    expect(webCryptoSignParams(signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-256'))).toEqual({ name: 'RSASSA-PKCS1-v1_5' });
    expect(() => signatureAlgorithmFor('ECDSA', 'SHA-1' as 'SHA-256')).toThrow();
  });

});
