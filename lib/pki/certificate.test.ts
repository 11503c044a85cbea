import { describe, expect, it } from 'vitest';
import { signLeaf } from '@/lib/ca/profiles';
import { NOW, certFixture, fixtureText, hex, makeFederation, pkijsCertificate } from '@/test/helpers/unit';
import * as x509 from '@/test/helpers/x509';
import {
  certificatesFromPem,
  describeCertificate,
  findExtension,
  fingerprint,
  normalizeSerial,
  readCertificate,
  readCertificatePem,
  sansOf,
  serialToDecimal,
  subjectKeyIdOf,
} from './certificate';
import { DerError, bitString, children, explicit, rawOf, readRoot, sequence, smallInteger, unsignedInteger } from './der';
import { toArrayBuffer } from './encoding';
import { splitSans } from './extensions/subject-alt-name';
import { exportSpki, generateKeyPair } from './keys';
import * as OID from './oids';
import { toPem } from './pem';
import { parseSpki } from './spki';

const ROOT = certFixture('step/step-ca-root.crt');
const LEAF = certFixture('step/step-ca-leaf-p384.crt');

describe('readCertificate on the step-ca vectors', () => {
  it('ok/the root', () => {
    const c = readCertificate(ROOT);
    expect(c.version).toBe(3);
    expect(c.serialNumber).toBe('856a23ff50deef65cc11985ededaf630');
    expect(c.subject.text).toBe('O=Anchors Reference CA, CN=Anchors Reference CA Root CA');
    expect(c.issuer.text).toBe(c.subject.text);
    expect(c.subjectDer).toEqual(c.issuerDer);
    expect(c.notBefore.toISOString()).toBe('2026-11-26T10:43:12.000Z');
    expect(c.notAfter.toISOString()).toBe('2036-11-23T10:43:12.000Z');
    expect(c.publicKey).toMatchObject({ type: 'EC', curve: 'P-256' });
    expect(c.signatureAlgorithm?.name).toBe('ecdsa-with-SHA256');
    expect(c.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.id_ce_keyUsage, true],
      [OID.id_ce_basicConstraints, true],
      [OID.id_ce_subjectKeyIdentifier, false],
    ]);
    expect(hex(subjectKeyIdOf(c)!)).toBe('0043c557625e5451d7a06ec5f7bf99dfdfe7a37e');
    expect(hex(findExtension(c, OID.id_ce_basicConstraints)!.value)).toBe('30060101ff020101');
    expect(sansOf(c)).toEqual({ dns: [], ip: [], email: [], uri: [] });
  });

  it('ok/the leaf step-ca issued for the step CLI request', () => {
    const c = readCertificate(LEAF);
    expect(c.serialNumber).toBe('3cee54f3e686e08fad93971a87da9772');
    expect(c.subject.text).toBe('CN=collaborator1');
    expect(c.subject.commonName).toBe('collaborator1');
    expect(c.issuer.text).toBe('O=Anchors Reference CA, CN=Anchors Reference CA Intermediate CA');
    expect(c.notBefore.toISOString()).toBe('2026-11-26T11:06:04.000Z');
    expect(c.notAfter.toISOString()).toBe('2026-11-27T11:07:04.000Z');
    expect(c.publicKey).toMatchObject({ type: 'EC', curve: 'P-384' });
    expect(c.extensions.map((e) => e.oid)).toEqual([
      OID.id_ce_keyUsage,
      OID.id_ce_extKeyUsage,
      OID.id_ce_subjectKeyIdentifier,
      OID.id_ce_authorityKeyIdentifier,
      OID.id_ce_subjectAltName,
      OID.step_provisioner,
    ]);
    expect(hex(findExtension(c, OID.id_ce_keyUsage)!.value)).toBe('03020780');
    expect(sansOf(c)).toEqual({ dns: ['collaborator1'], ip: [], email: [], uri: [] });
    expect(findExtension(c, OID.id_ce_basicConstraints)).toBeUndefined();
  });

  it('ok/the root verifies its own signature (independently, with @peculiar/x509)', async () => {
    const root = new x509.X509Certificate(toArrayBuffer(ROOT));
    expect(await root.verify({ signatureOnly: true })).toBe(true);
  });

  it('ok/fingerprints are what `openssl x509 -fingerprint` prints', async () => {
    expect(await fingerprint(ROOT)).toBe('28e1d248e8ea6fa423dc265dce3d0e17af9ef262b5d3ade200daa6ca25b59eb2');
    expect(await fingerprint(ROOT, 'SHA-1')).toBe('0e8c1208676cfaa92234ac9fed7d0e2338e04fc9');
    expect(await fingerprint(LEAF)).toBe('10bf688cb7e4adb2232b0adbf723c91e304230d3f4553545a68577dedb7fcc2d');
  });
});

describe('describeCertificate (pkijs) agrees with readCertificate (strict DER)', () => {
  it('ok/the step-ca root', async () => {
    const info = await describeCertificate(ROOT);
    expect(info).toMatchObject({
      serialNumber: '856a23ff50deef65cc11985ededaf630',
      subject: 'O=Anchors Reference CA, CN=Anchors Reference CA Root CA',
      commonName: 'Anchors Reference CA Root CA',
      basicConstraints: { ca: true, pathLength: 1 },
      keyUsage: ['keyCertSign', 'cRLSign'],
      extendedKeyUsage: [],
      subjectKeyId: '0043c557625e5451d7a06ec5f7bf99dfdfe7a37e',
      publicKey: 'EC P-256',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      fingerprintSha256: '28e1d248e8ea6fa423dc265dce3d0e17af9ef262b5d3ade200daa6ca25b59eb2',
      fingerprintSha1: '0e8c1208676cfaa92234ac9fed7d0e2338e04fc9',
      selfSigned: true,
    });
    expect(info.authorityKeyId).toBeUndefined();
  });

  it('ok/the step-ca leaf', async () => {
    const info = await describeCertificate(LEAF);
    const fields = readCertificate(LEAF);
    expect(info).toMatchObject({
      serialNumber: fields.serialNumber,
      subject: 'CN=collaborator1',
      issuer: fields.issuer.text,
      sans: ['DNS:collaborator1'],
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      authorityKeyId: '130a97ed5bf7fd40918cec0aa27802206de6eef5',
      subjectKeyId: hex(subjectKeyIdOf(fields)!),
      publicKey: 'EC P-384',
      selfSigned: false,
    });
    expect(info.basicConstraints).toBeUndefined();
    expect(info.notBefore.getTime()).toBe(fields.notBefore.getTime());
    expect(info.notAfter.getTime()).toBe(fields.notAfter.getTime());
  });

  it('ok/a FedPKI leaf with every extension, RSA key, IP SANs, CDP and AIA', async () => {
    const fed = await makeFederation({ publicUrl: 'https://pki.example.org/' });
    const keys = await generateKeyPair('RSA-2048');
    const der = await signLeaf(fed.ctx.leaf, {
      serialNumber: Uint8Array.of(0x7f, ...new Uint8Array(15).fill(0xab)),
      notBefore: new Date(NOW.getTime() - 60_000),
      notAfter: new Date('2051-03-01T12:00:00Z'),
      commonName: 'node1',
      sans: splitSans(['node1', '10.0.0.1', '2001:db8::1', 'ops@example.org', 'spiffe://unit/node1']),
      publicKey: parseSpki(await exportSpki(keys.publicKey)),
    });
    const info = await describeCertificate(der);
    const fields = readCertificate(der);
    expect(info.serialNumber).toBe(`7f${'ab'.repeat(15)}`);
    expect(info.serialNumber).toBe(fields.serialNumber);
    expect(hex(pkijsCertificate(der).serialNumber.valueBlock.valueHexView)).toBe(fields.serialNumber);
    expect(info.sans).toEqual(['email:ops@example.org', 'DNS:node1', 'URI:spiffe://unit/node1', 'IP:10.0.0.1', 'IP:2001:db8::1']);
    expect(sansOf(fields)).toEqual({ dns: ['node1'], ip: ['10.0.0.1', '2001:db8::1'], email: ['ops@example.org'], uri: ['spiffe://unit/node1'] });
    expect(info.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(info.basicConstraints).toEqual({ ca: false });
    expect(info.crlDistributionPoints).toEqual(['https://pki.example.org/crl/unit']);
    expect(info.ocsp).toEqual(['https://pki.example.org/ocsp/unit']);
    expect(info.caIssuers).toEqual(['https://pki.example.org/intermediate/unit.crt']);
    expect(info.authorityKeyId).toBe(hex(fed.ctx.intermediate.keyId));
    expect(info.notAfter.toISOString()).toBe('2051-03-01T12:00:00.000Z');
    expect(fields.notAfter.toISOString()).toBe('2051-03-01T12:00:00.000Z');
    expect(info.publicKey).toBe('RSA 2048');
    expect(info.issuer).toBe('O=Unit, CN=Unit Intermediate CA');
  });
});

describe('PEM helpers', () => {
  it('ok/readCertificatePem and certificatesFromPem skip other blocks', () => {
    const bundle = fixtureText('step/step-ca-leaf-p384.crt') + toPem(Uint8Array.of(1, 2), 'PUBLIC KEY') + fixtureText('step/step-ca-root.crt');
    // The leaf file is step's certChain: the leaf, then its intermediate.
    const [leaf, intermediate, root, ...more] = certificatesFromPem(bundle);
    expect([leaf, root, more]).toEqual([LEAF, ROOT, []]);
    expect(readCertificate(intermediate!).subject.text).toBe('O=Anchors Reference CA, CN=Anchors Reference CA Intermediate CA');
    expect(readCertificatePem(bundle).serialNumber).toBe('3cee54f3e686e08fad93971a87da9772');
    expect(() => readCertificatePem(toPem(Uint8Array.of(1), 'PUBLIC KEY'))).toThrow(DerError);
  });
});

describe('readCertificate strictness', () => {
  const [tbs, alg, sig] = children(LEAF, readRoot(LEAF)).map((n) => rawOf(LEAF, n)) as [Uint8Array, Uint8Array, Uint8Array];
  const tbsParts = children(tbs, readRoot(tbs)).map((n) => rawOf(tbs, n));
  const withTbs = (...parts: Uint8Array[]) => sequence(sequence(...parts), alg, sig);

  it('ok/a v1 certificate without the version field', () => {
    const c = readCertificate(withTbs(...tbsParts.slice(1, 7)));
    expect(c.version).toBe(1);
    expect(c.extensions).toEqual([]);
  });

  it.each<[string, () => Uint8Array]>([
    ['fail/truncated', () => LEAF.subarray(0, LEAF.length - 1)],
    ['fail/trailing bytes', () => Uint8Array.of(...LEAF, 0)],
    ['fail/no signature', () => sequence(tbs, alg)],
    ['fail/an extra element', () => sequence(tbs, alg, sig, sig)],
    ['fail/outer and inner algorithms disagree', () => sequence(tbs, sequence(...children(alg, readRoot(alg)).map((n) => rawOf(alg, n)).slice(0, 0), Uint8Array.of(6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 3)), sig)],
    ['fail/negative serial', () => withTbs(tbsParts[0]!, Uint8Array.of(2, 1, 0xff), ...tbsParts.slice(2))],
    ['fail/non-minimal serial', () => withTbs(tbsParts[0]!, Uint8Array.of(2, 2, 0, 1), ...tbsParts.slice(2))],
    ['fail/missing subject public key info', () => withTbs(...tbsParts.slice(0, 6))],
    ['fail/version with two values', () => withTbs(explicit(0, smallInteger(2), smallInteger(2)), ...tbsParts.slice(1))],
    ['fail/validity with one time', () => withTbs(...tbsParts.slice(0, 4), sequence(unsignedInteger(Uint8Array.of(1))), ...tbsParts.slice(5))],
    ['fail/signature with unused bits', () => sequence(tbs, alg, bitString(new Uint8Array(0), 1))],
    ['fail/an empty extensions wrapper', () => withTbs(...tbsParts.slice(0, 7), explicit(3))],
  ])('%s', (_name, make) => {
    expect(() => readCertificate(make())).toThrow(DerError);
  });
});

describe('serial numbers', () => {
  it.each<[string, string, 10 | 16 | undefined, string | undefined]>([
    ['ok/bare hex', '3cee54f3e686e08fad93971a87da9772', undefined, '3cee54f3e686e08fad93971a87da9772'],
    ['ok/uppercase hex', '3CEE54F3', undefined, '3cee54f3'],
    ['ok/odd length gets a leading zero', 'abc', undefined, '0abc'],
    ['ok/leading zero bytes are dropped', '000102', undefined, '0102'],
    ['ok/0x prefix is always hex', '0x1F', 10, '1f'],
    ['ok/colon form (OpenSSL) is always hex', '3C:EE:54:F3', 10, '3cee54f3'],
    ['ok/space form is hex', '3c ee 54', undefined, '3cee54'],
    ['ok/decimal in base 10 (step revoke)', '256', 10, '0100'],
    ['ok/digits in base 16 are hex', '256', 16, '0256'],
    ['ok/surrounding blanks', '  0x10 ', undefined, '10'],
    ['fail/zero', '0', undefined, undefined],
    ['fail/0x0', '0x00', undefined, undefined],
    ['fail/negative', '-5', 10, undefined],
    ['fail/not hex', 'xyz', undefined, undefined],
    ['ok/mixed separators', '3c:ee 54', undefined, '3cee54'],
    ['fail/empty', '', undefined, undefined],
    ['ok/hex letters in base 10 without a prefix are still hex', 'ff', 10, 'ff'],
  ])('%s', (_name, input, base, expected) => {
    expect(normalizeSerial(input, base)).toBe(expected);
  });

  it('ok/serialToDecimal', () => {
    expect(serialToDecimal('3cee54f3e686e08fad93971a87da9772')).toBe(BigInt('0x3cee54f3e686e08fad93971a87da9772').toString());
    expect(serialToDecimal('ff')).toBe('255');
    expect(serialToDecimal('')).toBe('0');
  });
});
