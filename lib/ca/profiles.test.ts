import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeCertificate, findExtension, readCertificate, subjectKeyIdOf } from '../pki/certificate';
import { verifyChain } from '../pki/chain';
import { toArrayBuffer } from '../pki/encoding';
import { extKeyUsage } from '../pki/extensions/ext-key-usage';
import { keyIdentifier } from '../pki/extensions/key-identifiers';
import { parseIp, splitSans, type SubjectAltNames } from '../pki/extensions/subject-alt-name';
import { exportSpki, generateKeyPair, type KeySpec } from '../pki/keys';
import * as OID from '../pki/oids';
import { parseSpki, type PublicKeyInfo } from '../pki/spki';
import { NOW, crossCheckCertificate, hex, makeFederation, unhex, type TestFederation } from '@/test/helpers/unit';
import { createLeafTemplate, intermediateExtensions, revocationUrls, rootExtensions, signLeaf, type LeafParams } from './profiles';

const SERIAL = unhex('5a'.repeat(16));
const NOT_BEFORE = new Date(NOW.getTime() - 60_000);
const NOT_AFTER = new Date(NOW.getTime() + 365 * 86400_000);
const SANS = ['collaborator1', 'collaborator1.fed.example', '10.0.0.7', '2001:db8::7', 'ops@fed.example', 'spiffe://fed/collaborator1'];

let plain: TestFederation;
let published: TestFederation;
const keys: Partial<Record<KeySpec, PublicKeyInfo>> = {};

beforeAll(async () => {
  [plain, published] = await Promise.all([makeFederation(), makeFederation({ id: 'pub', name: 'Pub', caUrl: 'ca.pub.test:443', publicUrl: 'https://pki.example.org//' })]);
  for (const spec of ['EC-P256', 'EC-P384', 'RSA-2048'] as const) keys[spec] = parseSpki(await exportSpki((await generateKeyPair(spec)).publicKey));
});

const leafParams = (p: Partial<LeafParams> = {}): LeafParams => ({
  serialNumber: SERIAL,
  notBefore: NOT_BEFORE,
  notAfter: NOT_AFTER,
  commonName: 'collaborator1',
  sans: splitSans(SANS),
  publicKey: keys['EC-P256']!,
  ...p,
});

/** The same leaf TBSCertificate, built from the same inputs with pkijs's own classes. */
async function pkijsLeafTbs(fed: TestFederation, p: LeafParams): Promise<Uint8Array> {
  const t = fed.ctx.leaf;
  const ext = (extnID: string, critical: boolean, value: asn1js.BaseBlock | pkijs.PkiObject) =>
    new pkijs.Extension({ extnID, critical, extnValue: ('toSchema' in value ? value.toSchema() : value).toBER(false) });
  const gn = (type: number, value: unknown) => new pkijs.GeneralName({ type: type as 1, value: value as string });
  const sans: SubjectAltNames = p.sans;
  const extensions = [
    ext(OID.id_ce_keyUsage, true, new asn1js.BitString({ valueHex: Uint8Array.of(p.publicKey.type === 'RSA' ? 0xa0 : 0x80).buffer, unusedBits: p.publicKey.type === 'RSA' ? 5 : 7 })),
    ext(OID.id_ce_extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.id_kp_serverAuth, OID.id_kp_clientAuth] })),
    ext(OID.id_ce_basicConstraints, true, new pkijs.BasicConstraints({})),
    ext(OID.id_ce_subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: toArrayBuffer(await keyIdentifier(p.publicKey.subjectPublicKey)) })),
    ext(OID.id_ce_authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(fed.ctx.intermediate.keyId) }) })),
  ];
  const altNames = [
    ...sans.email.map((v) => gn(1, v)),
    ...sans.dns.map((v) => gn(2, v)),
    ...sans.uri.map((v) => gn(6, v)),
    ...sans.ip.map((v) => gn(7, new asn1js.OctetString({ valueHex: toArrayBuffer(parseIp(v)!) }))),
  ];
  if (altNames.length) extensions.push(ext(OID.id_ce_subjectAltName, false, new pkijs.AltName({ altNames })));
  if (fed.federation.publicUrl) {
    const id = fed.federation.id;
    extensions.push(
      ext(OID.id_ce_cRLDistributionPoints, false, new pkijs.CRLDistributionPoints({ distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [gn(6, `https://pki.example.org/crl/${id}`)] })] })),
      ext(
        OID.id_pe_authorityInfoAccess,
        false,
        new pkijs.InfoAccess({
          accessDescriptions: [
            new pkijs.AccessDescription({ accessMethod: OID.id_ad_ocsp, accessLocation: gn(6, `https://pki.example.org/ocsp/${id}`) }),
            new pkijs.AccessDescription({ accessMethod: OID.id_ad_caIssuers, accessLocation: gn(6, `https://pki.example.org/intermediate/${id}.crt`) }),
          ],
        }),
      ),
    );
  }
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(p.serialNumber) }),
    signature: new pkijs.AlgorithmIdentifier({ algorithmId: t.signatureAlgorithm.oid }),
    issuer: pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(t.issuerName)),
    notBefore: new pkijs.Time({ type: 0, value: p.notBefore }),
    notAfter: new pkijs.Time({ type: 0, value: p.notAfter }),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(toArrayBuffer(p.publicKey.der)),
    extensions,
  });
  cert.subject = pkijs.RelativeDistinguishedNames.fromBER(
    new asn1js.Sequence({ value: [new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type: OID.id_at_commonName, value: new asn1js.Utf8String({ value: p.commonName }) as never }).toSchema()] })] }).toBER(false),
  );
  return new Uint8Array(cert.encodeTBS().toBER(false));
}

describe('signLeaf', () => {
  it.each<[string, () => TestFederation, KeySpec]>([
    ['ok/EC P-256 key, no public URL', () => plain, 'EC-P256'],
    ['ok/EC P-384 key, with CDP and AIA', () => published, 'EC-P384'],
    ['ok/RSA key (keyEncipherment added)', () => plain, 'RSA-2048'],
  ])('%s: the TBS is byte for byte what pkijs builds from the same inputs', async (_name, fed, spec) => {
    const p = leafParams({ publicKey: keys[spec]! });
    const der = await signLeaf(fed().ctx.leaf, p);
    expect(hex(readCertificate(der).tbs)).toBe(hex(await pkijsLeafTbs(fed(), p)));
    await crossCheckCertificate(der, fed().ctx.intermediate.der);
    const chain = await verifyChain({ leaf: der, intermediates: [fed().ctx.intermediate.der], root: fed().ctx.root.der, checkDate: NOW });
    expect(chain).toEqual({ ok: true, message: '' });
  });

  it('ok/every field of the leaf profile, read back by both parsers', async () => {
    const der = await signLeaf(plain.ctx.leaf, leafParams());
    const fields = readCertificate(der);
    const info = await describeCertificate(der);
    expect(fields.subject.attributes).toEqual([{ type: OID.id_at_commonName, value: 'collaborator1' }]);
    expect(fields.issuerDer).toEqual(readCertificate(plain.ctx.intermediate.der).subjectDer);
    expect(fields.serialNumber).toBe('5a'.repeat(16));
    expect(fields.notBefore).toEqual(NOT_BEFORE);
    expect(fields.notAfter).toEqual(NOT_AFTER);
    expect(fields.signatureAlgorithmOid).toBe(OID.ecdsa_with_SHA256);
    expect(fields.publicKey.der).toEqual(keys['EC-P256']!.der);
    expect(fields.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.id_ce_keyUsage, true],
      [OID.id_ce_extKeyUsage, false],
      [OID.id_ce_basicConstraints, true],
      [OID.id_ce_subjectKeyIdentifier, false],
      [OID.id_ce_authorityKeyIdentifier, false],
      [OID.id_ce_subjectAltName, false],
    ]);
    expect(hex(findExtension(fields, OID.id_ce_keyUsage)!.value)).toBe('03020780');
    expect(hex(findExtension(fields, OID.id_ce_basicConstraints)!.value)).toBe('3000');
    expect(hex(subjectKeyIdOf(fields)!)).toBe(hex(await keyIdentifier(keys['EC-P256']!.subjectPublicKey)));
    expect(info).toMatchObject({
      commonName: 'collaborator1',
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      basicConstraints: { ca: false },
      authorityKeyId: hex(plain.ctx.intermediate.keyId),
      sans: ['email:ops@fed.example', 'DNS:collaborator1', 'DNS:collaborator1.fed.example', 'URI:spiffe://fed/collaborator1', 'IP:10.0.0.7', 'IP:2001:db8::7'],
      crlDistributionPoints: [],
      ocsp: [],
      caIssuers: [],
    });
  });

  it('ok/RSA leaves add keyEncipherment (03 02 05 a0)', async () => {
    const fields = readCertificate(await signLeaf(plain.ctx.leaf, leafParams({ publicKey: keys['RSA-2048']! })));
    expect(hex(findExtension(fields, OID.id_ce_keyUsage)!.value)).toBe('030205a0');
  });

  it('ok/CN is the exact name, case and underscores kept', async () => {
    const fields = readCertificate(await signLeaf(plain.ctx.leaf, leafParams({ commonName: 'Collaborator_1', sans: splitSans(['Collaborator_1']) })));
    expect(fields.subject.commonName).toBe('Collaborator_1');
    expect(fields.subject.text).toBe('CN=Collaborator_1');
  });

  it('ok/IP literals become iPAddress entries (4 and 16 bytes), not DNS names', async () => {
    const fields = readCertificate(await signLeaf(plain.ctx.leaf, leafParams({ sans: splitSans(['10.0.0.7', '::1']) })));
    const san = hex(findExtension(fields, OID.id_ce_subjectAltName)!.value);
    expect(san).toBe(`3018${'87040a000007'}${'8710'}${'00'.repeat(15)}01`);
  });

  it('ok/no SAN extension when there are no names', async () => {
    const fields = readCertificate(await signLeaf(plain.ctx.leaf, leafParams({ sans: splitSans([]) })));
    expect(findExtension(fields, OID.id_ce_subjectAltName)).toBeUndefined();
  });

  it('ok/CDP and AIA only with a public URL, pointing at the federation', async () => {
    const info = await describeCertificate(await signLeaf(published.ctx.leaf, leafParams()));
    expect(info.crlDistributionPoints).toEqual(['https://pki.example.org/crl/pub']);
    expect(info.ocsp).toEqual(['https://pki.example.org/ocsp/pub']);
    expect(info.caIssuers).toEqual(['https://pki.example.org/intermediate/pub.crt']);
    const fields = readCertificate(await signLeaf(published.ctx.leaf, leafParams()));
    expect(fields.extensions.slice(-2).map((e) => [e.oid, e.critical])).toEqual([
      [OID.id_ce_cRLDistributionPoints, false],
      [OID.id_pe_authorityInfoAccess, false],
    ]);
  });

  it('ok/the EKU can be narrowed (FedPKI own TLS certificates: serverAuth only)', async () => {
    const info = await describeCertificate(await signLeaf(plain.ctx.leaf, leafParams({ extKeyUsage: extKeyUsage([OID.id_kp_serverAuth]) })));
    expect(info.extendedKeyUsage).toEqual(['serverAuth']);
  });

  it('ok/a P-384 intermediate signs with ecdsa-with-SHA384', async () => {
    const fed = await makeFederation({ id: 'p384', keySpec: 'EC-P384' });
    const der = await signLeaf(fed.ctx.leaf, leafParams());
    expect(readCertificate(der).signatureAlgorithmOid).toBe(OID.ecdsa_with_SHA384);
    await crossCheckCertificate(der, fed.ctx.intermediate.der);
  });
});

describe('templates and CA profiles', () => {
  it('ok/revocationUrls trims trailing slashes', () => {
    expect(revocationUrls('https://pki.example.org///', 'f1')).toEqual({
      crl: 'https://pki.example.org/crl/f1',
      ocsp: 'https://pki.example.org/ocsp/f1',
      caIssuers: 'https://pki.example.org/intermediate/f1.crt',
    });
  });

  it('ok/createLeafTemplate without a public URL has no revocation extensions', () => {
    const t = createLeafTemplate({ ...plain.ctx.leaf, issuerKeyId: plain.ctx.intermediate.keyId, federationId: 'unit', publicUrl: null });
    expect(t.revocation).toEqual([]);
    expect(hex(t.basicConstraints)).toBe('300c0603551d130101ff04023000');
    expect(hex(t.authorityKeyId)).toBe(`301f0603551d23041830168014${hex(plain.ctx.intermediate.keyId)}`);
    expect(t.issuerNotAfter).toEqual(plain.ctx.intermediate.fields.notAfter);
  });

  it('ok/root and intermediate extension lists', () => {
    const ski = unhex('11'.repeat(20));
    const rootSki = unhex('22'.repeat(20));
    expect(rootExtensions(ski).map(hex)).toEqual([
      '300e0603551d0f0101ff040403020106',
      '30120603551d130101ff040830060101ff020101',
      `301d0603551d0e04160414${'11'.repeat(20)}`,
    ]);
    expect(intermediateExtensions(ski, rootSki).map(hex)).toEqual([
      '300e0603551d0f0101ff040403020106',
      '30120603551d130101ff040830060101ff020100',
      `301d0603551d0e04160414${'11'.repeat(20)}`,
      `301f0603551d23041830168014${'22'.repeat(20)}`,
    ]);
  });
});
