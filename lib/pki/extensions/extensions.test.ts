/**
 * Exact DER of each extension FedPKI writes, against hand-derived vectors and against
 * @peculiar/x509's encoders (an independent ASN.1 implementation) for the same value.
 */

import { describe, expect, it } from 'vitest';
import { certFixture, hex } from '@/test/helpers/unit';
import * as x509 from '@/test/helpers/x509';
import { readCertificate, subjectKeyIdOf, findExtension } from '../certificate';
import * as OID from '../oids';
import { authorityInfoAccess } from './authority-info-access';
import { basicConstraints } from './basic-constraints';
import { crlDistributionPoints } from './crl-distribution-points';
import { extKeyUsage } from './ext-key-usage';
import { extension } from './extension';
import { authorityKeyIdentifier, keyIdentifier, subjectKeyIdentifier } from './key-identifiers';
import { KEY_USAGE_BITS, keyUsage, keyUsageBits, type KeyUsageName } from './key-usage';

const peculiar = (ext: x509.Extension) => hex(new Uint8Array(ext.rawData));

describe('extension', () => {
  it('ok/critical FALSE is omitted (DER DEFAULT), TRUE is written', () => {
    expect(hex(extension('2.5.29.15', false, Uint8Array.of(5, 0)))).toBe('30090603551d0f04020500');
    expect(hex(extension('2.5.29.15', true, Uint8Array.of(5, 0)))).toBe('300c0603551d0f0101ff04020500');
  });
});

describe('keyUsage', () => {
  const F = x509.KeyUsageFlags;
  it.each<[string, KeyUsageName[], string, number]>([
    ['ok/digitalSignature', ['digitalSignature'], '03020780', F.digitalSignature],
    ['ok/digitalSignature+keyEncipherment (RSA leaves)', ['digitalSignature', 'keyEncipherment'], '030205a0', F.digitalSignature | F.keyEncipherment],
    ['ok/keyCertSign+cRLSign (CAs)', ['keyCertSign', 'cRLSign'], '03020106', F.keyCertSign | F.cRLSign],
    ['ok/cRLSign alone', ['cRLSign'], '03020102', F.cRLSign],
    ['ok/encipherOnly fills the first byte', ['encipherOnly'], '03020001', F.encipherOnly],
    ['ok/decipherOnly needs a second byte', ['decipherOnly'], '0303070080', F.decipherOnly],
    ['ok/digitalSignature+decipherOnly', ['digitalSignature', 'decipherOnly'], '0303078080', F.digitalSignature | F.decipherOnly],
    ['ok/order of the list does not matter', ['cRLSign', 'keyCertSign'], '03020106', F.keyCertSign | F.cRLSign],
  ])('%s', (_name, usages, bits, flags) => {
    expect(hex(keyUsageBits(usages))).toBe(bits);
    const ext = keyUsage(usages);
    expect(hex(ext)).toBe(`30${(10 + bits.length / 2).toString(16).padStart(2, '0')}0603551d0f0101ff04${(bits.length / 2).toString(16).padStart(2, '0')}${bits}`);
    expect(hex(ext)).toBe(peculiar(new x509.KeyUsagesExtension(flags, true)));
  });

  it('ok/no usage is an empty BIT STRING', () => {
    expect(hex(keyUsageBits([]))).toBe('030100');
  });

  it('ok/digitalSignature is exactly 03 02 07 80 inside the extension, critical', () => {
    expect(hex(keyUsage(['digitalSignature']))).toBe('300e0603551d0f0101ff040403020780');
  });

  it('ok/every named bit is where RFC 5280 puts it', () => {
    for (const [name, bit] of Object.entries(KEY_USAGE_BITS)) {
      const bits = keyUsageBits([name as KeyUsageName]);
      const ext = new x509.KeyUsagesExtension(keyUsage([name as KeyUsageName]).slice().buffer);
      expect(ext.usages, name).toBe(1 << bit);
      expect(bits[2], name).toBe(7 - (bit & 7));
    }
  });
});

describe('basicConstraints', () => {
  it.each([
    ['ok/end entity: an empty SEQUENCE', { ca: false }, '3000', [false, undefined]],
    ['ok/end entity ignores a path length', { ca: false, pathLength: 3 }, '3000', [false, undefined]],
    ['ok/root: CA pathlen 1', { ca: true, pathLength: 1 }, '30060101ff020101', [true, 1]],
    ['ok/intermediate: CA pathlen 0', { ca: true, pathLength: 0 }, '30060101ff020100', [true, 0]],
    ['ok/CA without a path length', { ca: true }, '30030101ff', [true, undefined]],
  ] as const)('%s', (_name, params, value, [ca, pathLength]) => {
    const ext = basicConstraints(params);
    expect(hex(ext)).toBe(`30${(10 + value.length / 2).toString(16).padStart(2, '0')}0603551d130101ff04${(value.length / 2).toString(16).padStart(2, '0')}${value}`);
    expect(hex(ext)).toBe(peculiar(new x509.BasicConstraintsExtension(ca, pathLength, true)));
  });

  it('fail/a negative or fractional path length', () => {
    expect(() => basicConstraints({ ca: true, pathLength: -1 })).toThrow(RangeError);
    expect(() => basicConstraints({ ca: true, pathLength: 0.5 })).toThrow(RangeError);
  });
});

describe('extKeyUsage', () => {
  it('ok/serverAuth+clientAuth, not critical', () => {
    const ext = extKeyUsage([OID.id_kp_serverAuth, OID.id_kp_clientAuth]);
    expect(hex(ext)).toBe('301d0603551d250416301406082b0601050507030106082b06010505070302');
    expect(hex(ext)).toBe(peculiar(new x509.ExtendedKeyUsageExtension([OID.id_kp_serverAuth, OID.id_kp_clientAuth], false)));
  });

  it('ok/serverAuth only, critical when asked', () => {
    expect(hex(extKeyUsage([OID.id_kp_serverAuth], true))).toBe(peculiar(new x509.ExtendedKeyUsageExtension([OID.id_kp_serverAuth], true)));
  });
});

describe('key identifiers', () => {
  const ID = '0043c557625e5451d7a06ec5f7bf99dfdfe7a37e';

  it('ok/SKI and AKI match @peculiar/x509', () => {
    const id = Buffer.from(ID, 'hex');
    expect(hex(subjectKeyIdentifier(id))).toBe(`301d0603551d0e04160414${ID}`);
    expect(hex(subjectKeyIdentifier(id))).toBe(peculiar(new x509.SubjectKeyIdentifierExtension(ID)));
    expect(hex(authorityKeyIdentifier(id))).toBe(`301f0603551d23041830168014${ID}`);
    expect(hex(authorityKeyIdentifier(id))).toBe(peculiar(new x509.AuthorityKeyIdentifierExtension(ID)));
  });

  it.each([
    ['step/step-ca-root.crt', 'root'],
    ['step/step-ca-leaf-p384.crt', 'leaf'],
  ])('ok/keyIdentifier reproduces the SKI Go wrote in %s (SHA-1 of the key bits, RFC 5280 method 1)', async (file) => {
    const cert = readCertificate(certFixture(file));
    expect(hex(await keyIdentifier(cert.publicKey.subjectPublicKey))).toBe(hex(subjectKeyIdOf(cert)!));
  });

  it('ok/the step leaf AKI is the SKI of its issuer, in the [0] form written here', () => {
    const leaf = readCertificate(certFixture('step/step-ca-leaf-p384.crt'));
    const aki = findExtension(leaf, OID.id_ce_authorityKeyIdentifier)!;
    const keyId = '130a97ed5bf7fd40918cec0aa27802206de6eef5'; // as `openssl x509 -text` prints it
    expect(hex(aki.value)).toBe(`30168014${keyId}`);
    expect(aki.critical).toBe(false);
    expect(authorityKeyIdentifier(Buffer.from(keyId, 'hex'))).toEqual(extension(OID.id_ce_authorityKeyIdentifier, false, aki.value));
  });
});

describe('revocation pointers', () => {
  const CRL = 'https://pki.example.org/crl/unit';
  const OCSP = 'https://pki.example.org/ocsp/unit';
  const ISSUER = 'https://pki.example.org/intermediate/unit.crt';

  it('ok/CRL distribution point: one fullName URI, as @peculiar/x509 writes it', () => {
    expect(hex(crlDistributionPoints([CRL]))).toBe(peculiar(new x509.CRLDistributionPointsExtension([CRL])));
    expect(hex(crlDistributionPoints([CRL]))).toContain(`a0${(CRL.length + 4).toString(16)}a0${(CRL.length + 2).toString(16)}86${CRL.length.toString(16)}`);
  });

  it('ok/AIA: OCSP then caIssuers, as @peculiar/x509 writes it', () => {
    expect(hex(authorityInfoAccess({ ocsp: OCSP, caIssuers: ISSUER }))).toBe(peculiar(new x509.AuthorityInfoAccessExtension({ ocsp: OCSP, caIssuers: ISSUER })));
    expect(hex(authorityInfoAccess({ caIssuers: ISSUER }))).toBe(peculiar(new x509.AuthorityInfoAccessExtension({ caIssuers: ISSUER })));
  });
});
