import * as asn1js from 'asn1js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCertificate, subjectKeyIdOf, describeCertificate, findExtension, fingerprint } from '../pki/certificate';
import { CURVE_FIELD_BYTES, derToP1363 } from '../pki/ecdsa';
import { toArrayBuffer } from '../pki/encoding';
import { keyIdentifier } from '../pki/extensions/key-identifiers';
import { importPkcs8 } from '../pki/keys';
import { fromPem } from '../pki/pem';
import { WrongPasswordError, decryptPrivateKey } from '../pki/pkcs8';
import { importVerifyKey } from '../pki/spki';
import { signData } from '../pki/x509';
import * as OID from '../pki/oids';
import { NOW, TEST_ITERATIONS, TEST_PASSWORD, crossCheckCertificate, hex, makeFederation, pemLabelOf, type TestFederation } from '@/test/helpers/unit';
import { isCaError } from './errors';
import { CA_KEY_SPECS, createFederationPki, splitCaUrl, validateCaUrl, validateFederationId, type FederationPkiParams } from './federation';
import { ROOT_LIFETIME_SECONDS } from './profiles';
import { jwkThumbprint, type PublicEcJwk } from './token';
import type { CaKeyRecord } from './types';
import { DEFAULT_CERT_SECONDS } from './validity';

const TEN_YEARS_LATER = new Date(NOW.getTime() + 10 * 365 * 86400 * 1000);

function iterationCount(encryptedPem: string): number {
  const der = fromPem(encryptedPem, 'ENCRYPTED PRIVATE KEY')!;
  const seq = (b: asn1js.AsnType) => (b as asn1js.Sequence).valueBlock.value;
  const [alg] = seq(asn1js.fromBER(toArrayBuffer(der)).result);
  const [, pbes2] = seq(alg!);
  const [kdf] = seq(pbes2!);
  const [, params] = seq(kdf!);
  return (seq(params!)[1] as asn1js.Integer).valueBlock.valueDec;
}

async function keyMatchesCertificate(record: CaKeyRecord, certDer: Uint8Array): Promise<boolean> {
  const key = await importPkcs8(await decryptPrivateKey(fromPem(record.encryptedKey, 'ENCRYPTED PRIVATE KEY')!, TEST_PASSWORD));
  const cert = readCertificate(certDer);
  const data = new TextEncoder().encode('possession');
  const alg = cert.signatureAlgorithm!;
  const sig = await signData(data, alg, key);
  const verifyKey = await importVerifyKey(cert.publicKey, alg, crypto);
  const raw = alg.family === 'ECDSA' ? derToP1363(sig, CURVE_FIELD_BYTES[cert.publicKey.curve!]) : sig;
  const params = alg.family === 'ECDSA' ? { name: 'ECDSA', hash: alg.hash } : { name: 'RSASSA-PKCS1-v1_5' };
  return crypto.subtle.verify(params, verifyKey, raw as BufferSource, data as BufferSource);
}

describe.each([
  ['EC-P256', OID.ecdsa_with_SHA256, 'EC P-256'],
  ['EC-P384', OID.ecdsa_with_SHA384, 'EC P-384'],
  ['RSA-3072', OID.sha256WithRSAEncryption, 'RSA 3072'],
] as const)('createFederationPki %s', (keySpec, sigOid, keyText) => {
  let fed: TestFederation;
  let root: Uint8Array;
  let intermediate: Uint8Array;

  beforeAll(async () => {
    fed = await makeFederation({ keySpec, publicUrl: 'https://pki.example.org', defaultCertSeconds: 90 * 86400 });
    root = fed.keys.find((k) => k.purpose === 'root')!.certificate!;
    intermediate = fed.keys.find((k) => k.purpose === 'intermediate')!.certificate!;
  });

  it('ok/the root: self-signed, 10 years from now, CA pathlen 1, keyCertSign+cRLSign, SKI, no AKI', async () => {
    const { pkijs: theirs, peculiar } = await crossCheckCertificate(root, root);
    expect(peculiar.subject).toBe('O=Unit, CN=Unit Root CA');
    expect(peculiar.issuer).toBe(peculiar.subject);
    expect(theirs.signatureAlgorithm.algorithmId).toBe(sigOid);
    expect(theirs.notBefore.value).toEqual(NOW);
    expect(theirs.notAfter.value).toEqual(TEN_YEARS_LATER);
    expect(ROOT_LIFETIME_SECONDS).toBe(10 * 365 * 86400);
    const info = await describeCertificate(root);
    expect(info).toMatchObject({ basicConstraints: { ca: true, pathLength: 1 }, keyUsage: ['keyCertSign', 'cRLSign'], extendedKeyUsage: [], publicKey: keyText, selfSigned: true });
    expect(info.authorityKeyId).toBeUndefined();
    const fields = readCertificate(root);
    expect(fields.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.id_ce_keyUsage, true],
      [OID.id_ce_basicConstraints, true],
      [OID.id_ce_subjectKeyIdentifier, false],
    ]);
    expect(hex(subjectKeyIdOf(fields)!)).toBe(hex(await keyIdentifier(fields.publicKey.subjectPublicKey)));
    expect(fields.serialNumber).toMatch(/^(?!00)[0-7][0-9a-f]{31}$/);
  });

  it('ok/the intermediate: signed by the root, CA pathlen 0, AKI = root SKI, same 10 years', async () => {
    const { pkijs: theirs, peculiar } = await crossCheckCertificate(intermediate, root);
    expect(peculiar.subject).toBe('O=Unit, CN=Unit Intermediate CA');
    expect(peculiar.issuer).toBe('O=Unit, CN=Unit Root CA');
    expect(theirs.signatureAlgorithm.algorithmId).toBe(sigOid);
    expect(theirs.notBefore.value).toEqual(NOW);
    expect(theirs.notAfter.value).toEqual(TEN_YEARS_LATER);
    const info = await describeCertificate(intermediate);
    expect(info).toMatchObject({ basicConstraints: { ca: true, pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'], publicKey: keyText, selfSigned: false });
    const rootFields = readCertificate(root);
    const fields = readCertificate(intermediate);
    expect(info.authorityKeyId).toBe(hex(subjectKeyIdOf(rootFields)!));
    expect(fields.issuerDer).toEqual(rootFields.subjectDer);
    expect(hex(findExtension(fields, OID.id_ce_basicConstraints)!.value)).toBe('30060101ff020100');
    expect(fields.serialNumber).not.toBe(rootFields.serialNumber);
    expect(fields.publicKey.der).not.toEqual(rootFields.publicKey.der);
  });

  it('ok/the federation record', async () => {
    const f = fed.federation;
    const prov = fed.keys.find((k) => k.purpose === 'provisioner')!;
    expect(f).toMatchObject({
      id: 'unit',
      name: 'Unit',
      caUrl: 'ca.unit.test:9123',
      keySpec,
      status: 'active',
      publicUrl: 'https://pki.example.org',
      defaultCertSeconds: 90 * 86400,
      allowRenewAfterExpiry: false,
      provisionerName: 'fedpki:unit',
      createdAt: NOW,
      createdBy: 'test',
    });
    expect(f.rootFingerprint).toBe(await fingerprint(root));
    expect(f.provisionerKid).toBe(await jwkThumbprint(JSON.parse(prov.publicJwk!) as PublicEcJwk));
  });

  it('ok/three key records, each encrypted with the password and matching its certificate', async () => {
    expect(fed.keys.map((k) => [k.purpose, k.keySpec, k.active, k.federationId])).toEqual([
      ['root', keySpec, true, 'unit'],
      ['intermediate', keySpec, true, 'unit'],
      ['provisioner', 'EC-P256', true, 'unit'],
    ]);
    const [rootKey, intKey, provKey] = fed.keys as [CaKeyRecord, CaKeyRecord, CaKeyRecord];
    expect(rootKey.fingerprint).toBe(await fingerprint(root));
    expect(intKey.fingerprint).toBe(await fingerprint(intermediate));
    expect(rootKey.notAfter).toEqual(TEN_YEARS_LATER);
    expect(provKey.certificate).toBeNull();
    expect(JSON.parse(provKey.publicJwk!)).toMatchObject({ kty: 'EC', crv: 'P-256' });
    for (const k of fed.keys) {
      expect(pemLabelOf(k.encryptedKey)).toBe('ENCRYPTED PRIVATE KEY');
      expect(iterationCount(k.encryptedKey)).toBe(TEST_ITERATIONS);
      await expect(decryptPrivateKey(fromPem(k.encryptedKey, 'ENCRYPTED PRIVATE KEY')!, 'wrong password')).rejects.toBeInstanceOf(WrongPasswordError);
    }
    expect(await keyMatchesCertificate(rootKey, root)).toBe(true);
    expect(await keyMatchesCertificate(intKey, intermediate)).toBe(true);
    expect(await keyMatchesCertificate(intKey, root)).toBe(false);
  });

  it('ok/the provisioner key signs tokens the federation context verifies', async () => {
    const data = new TextEncoder().encode('header.claims');
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, await fed.ctx.provisioner.privateKey(), data);
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, fed.ctx.provisioner.publicKey, sig, data)).toBe(true);
  });
});

describe('createFederationPki defaults and validation', () => {
  const params = (p: Partial<FederationPkiParams> = {}): FederationPkiParams => ({
    id: 'unit',
    name: 'Unit',
    caUrl: 'localhost:9123',
    password: TEST_PASSWORD,
    createdBy: 'test',
    iterations: TEST_ITERATIONS,
    now: NOW,
    ...p,
  });

  it('ok/defaults: EC P-256, 365-day leaves, no public URL; the time is cut to the second', async () => {
    const { federation, keys } = await createFederationPki(params({ now: new Date(NOW.getTime() + 999) }));
    expect(federation).toMatchObject({ keySpec: 'EC-P256', defaultCertSeconds: DEFAULT_CERT_SECONDS, publicUrl: null });
    expect(readCertificate(keys[0]!.certificate!).notBefore).toEqual(NOW);
    expect(CA_KEY_SPECS).toEqual(['EC-P256', 'EC-P384', 'RSA-3072']);
  });

  it.each<[string, Partial<FederationPkiParams>, string]>([
    ['fail/id with capitals', { id: 'Unit' }, 'id'],
    ['fail/id starting with a hyphen', { id: '-unit' }, 'id'],
    ['fail/id of 49 characters', { id: 'a'.repeat(49) }, 'id'],
    ['fail/CA URL without a port', { caUrl: 'localhost' }, 'caUrl'],
    ['fail/CA URL with a scheme', { caUrl: 'https://localhost:9123' }, 'caUrl'],
    ['fail/CA URL with port 0', { caUrl: 'localhost:0' }, 'caUrl'],
    ['fail/CA URL with port 65536', { caUrl: 'localhost:65536' }, 'caUrl'],
    ['fail/CA URL with a path', { caUrl: 'localhost:9123/x' }, 'caUrl'],
    ['fail/empty name', { name: '  ' }, 'name'],
    ['fail/name of 49 characters', { name: 'n'.repeat(49) }, 'name'],
  ])('%s', async (_name, p, field) => {
    const e = await createFederationPki(params(p)).catch((x: unknown) => x);
    expect(isCaError(e)).toBe(true);
    expect(e).toMatchObject({ code: 'validation_failed', fieldErrors: { [field]: expect.any(Array) } });
  });

  it.each(['EC-P521', 'RSA-2048', 'RSA-4096'] as const)('fail/CA key spec %s is not offered', async (keySpec) => {
    await expect(createFederationPki(params({ keySpec }))).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('ok/CA URL forms', () => {
    for (const url of ['localhost:9123', 'ca.example.org:443', '10.0.0.1:1', '[::1]:65535', '[2001:db8::1]:9123']) expect(validateCaUrl(url)).toBe(url);
    expect(splitCaUrl('[2001:db8::1]:9123')).toEqual({ host: '2001:db8::1', port: 9123 });
    expect(splitCaUrl('ca.example.org:443')).toEqual({ host: 'ca.example.org', port: 443 });
    expect(validateFederationId('brain-tumor-study')).toBe('brain-tumor-study');
  });
});
