import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { csrFixture, fixtureText, flipBit, hex } from '@/test/helpers/unit';
import * as x509 from '@/test/helpers/x509';
import { algorithmIdentifier, signatureAlgorithmFor } from './algorithms';
import { MAX_CSR_BYTES, createCsr, parseCsr, parseCsrInput, verifyCsrSignature, type ParsedCsr } from './csr';
import { DerError, bitString, boolean, children, explicit, octetString, oid, rawOf, readRoot, sequence, set, smallInteger } from './der';
import { toArrayBuffer } from './encoding';
import { pkiEngine } from './engine';
import { generateKeyPair, type KeySpec } from './keys';
import { encodeName } from './name';
import * as OID from './oids';
import { toPem } from './pem';

/** CertificationRequest → its three parts, as raw TLVs. */
function split(der: Uint8Array) {
  const [info, alg, sig] = children(der, readRoot(der)).map((n) => rawOf(der, n));
  return { info: info!, alg: alg!, sig: sig! };
}

function infoParts(der: Uint8Array) {
  const info = split(der).info;
  return children(info, readRoot(info)).map((n) => rawOf(info, n));
}

const reassemble = (info: Uint8Array, alg: Uint8Array, sig: Uint8Array) => sequence(info, alg, sig);

/** Every field the strict parser reports, read again with pkijs. */
function expectAgreesWithPkijs(der: Uint8Array, parsed: ParsedCsr): pkijs.CertificationRequest {
  const theirs = pkijs.CertificationRequest.fromBER(toArrayBuffer(der));
  expect(parsed.version).toBe(theirs.version);
  expect(parsed.subject.attributes).toEqual(theirs.subject.typesAndValues.map((tv) => ({ type: tv.type, value: tv.value.valueBlock.value })));
  expect(hex(parsed.publicKey.der)).toBe(hex(new Uint8Array(theirs.subjectPublicKeyInfo.toSchema().toBER(false))));
  expect(hex(parsed.publicKey.subjectPublicKey)).toBe(hex(theirs.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView));
  expect(parsed.publicKey.algorithmOid).toBe(theirs.subjectPublicKeyInfo.algorithm.algorithmId);
  expect(parsed.signatureAlgorithmOid).toBe(theirs.signatureAlgorithm.algorithmId);
  expect(hex(parsed.signature)).toBe(hex(theirs.signatureValue.valueBlock.valueHexView));
  expect(hex(parsed.info)).toBe(hex(theirs.tbsView));
  const extAttr = theirs.attributes?.find((a) => a.type === OID.pkcs_9_at_extensionRequest);
  const theirExts = extAttr ? pkijs.Extensions.fromBER(extAttr.values[0]!.toBER(false)).extensions : [];
  expect(parsed.extensions.map((e) => ({ oid: e.oid, critical: e.critical, value: hex(e.value) }))).toEqual(
    theirExts.map((e) => ({ oid: e.extnID, critical: e.critical, value: hex(e.extnValue.valueBlock.valueHexView) })),
  );
  const altNames = theirExts.find((e) => e.extnID === OID.id_ce_subjectAltName);
  const names = altNames ? (altNames.parsedValue as pkijs.AltName).altNames : [];
  expect(parsed.sans.dns).toEqual(names.filter((n) => n.type === 2).map((n) => n.value));
  expect(parsed.sans.email).toEqual(names.filter((n) => n.type === 1).map((n) => n.value));
  expect(parsed.sans.uri).toEqual(names.filter((n) => n.type === 6).map((n) => n.value));
  expect(parsed.sans.ip.length).toBe(names.filter((n) => n.type === 7).length);
  return theirs;
}

describe('createCsr then parseCsr', () => {
  it.each<[KeySpec, string, string]>([
    ['EC-P256', OID.ecdsa_with_SHA256, 'EC P-256'],
    ['EC-P384', OID.ecdsa_with_SHA384, 'EC P-384'],
    ['EC-P521', OID.ecdsa_with_SHA512, 'EC P-521'],
    ['RSA-2048', OID.sha256WithRSAEncryption, 'RSA 2048'],
  ])('ok/%s: the strict parser agrees with pkijs on every field; pkijs, @peculiar/x509 and verifyCsrSignature verify it', async (spec, sigOid, _desc) => {
    const keys = await generateKeyPair(spec);
    const sans = ['collaborator1', 'collaborator1.fed.example', '10.0.0.7', '2001:db8::7', 'ops@fed.example', 'spiffe://fed/collaborator1'];
    const der = await createCsr({ keys, commonName: 'collaborator1', sans });
    const csr = parseCsr(der);
    expect(csr.version).toBe(0);
    expect(csr.subject.text).toBe('CN=collaborator1');
    expect(csr.signatureAlgorithmOid).toBe(sigOid);
    expect(csr.signatureAlgorithm?.oid).toBe(sigOid);
    expect(csr.sans).toEqual({
      dns: ['collaborator1', 'collaborator1.fed.example'],
      ip: ['10.0.0.7', '2001:db8::7'],
      email: ['ops@fed.example'],
      uri: ['spiffe://fed/collaborator1'],
      other: 0,
    });
    expect(csr.extensions).toHaveLength(1);
    expect(csr.extensions[0]).toMatchObject({ oid: OID.id_ce_subjectAltName, critical: false });

    const theirs = expectAgreesWithPkijs(der, csr);
    expect(await theirs.verify(pkiEngine(crypto))).toBe(true);
    expect(await new x509.Pkcs10CertificateRequest(toArrayBuffer(der)).verify()).toBe(true);
    expect(await verifyCsrSignature(csr)).toBe(true);
  });

  it('ok/subject is CN only, in UTF8String, as the step CLI request', async () => {
    const keys = await generateKeyPair('EC-P256');
    const csr = parseCsr(await createCsr({ keys, commonName: 'Zürich-1', sans: ['zurich-1'] }));
    expect(csr.subject.attributes).toEqual([{ type: OID.id_at_commonName, value: 'Zürich-1' }]);
    expect(infoParts(csr.der)[1]).toEqual(encodeName([{ type: OID.id_at_commonName, value: 'Zürich-1' }]));
  });

  it('ok/an explicit hash overrides the curve default', async () => {
    const keys = await generateKeyPair('EC-P256');
    const csr = parseCsr(await createCsr({ keys, commonName: 'n', hash: 'SHA-384' }));
    expect(csr.signatureAlgorithmOid).toBe(OID.ecdsa_with_SHA384);
    expect(await verifyCsrSignature(csr)).toBe(true);
  });

  it('ok/without SANs the request still carries the empty attributes [0] that RFC 2986 requires (Go refuses it otherwise)', async () => {
    const keys = await generateKeyPair('EC-P256');
    const der = await createCsr({ keys, commonName: 'n' });
    const parts = infoParts(der);
    expect(parts).toHaveLength(4);
    expect(hex(parts[3]!)).toBe('a000');
    const csr = parseCsr(der);
    expect(csr.extensions).toEqual([]);
    expect(csr.sans).toEqual({ dns: [], ip: [], email: [], uri: [], other: 0 });
    expectAgreesWithPkijs(der, csr);
    expect(await verifyCsrSignature(csr)).toBe(true);
  });
});

describe('parseCsr on requests made by other tools', () => {
  it('ok/the step CLI P-384 request (what fx pki certify sends) parses and verifies', async () => {
    const der = csrFixture('step/step-cli-p384.csr');
    const csr = parseCsr(der);
    expect(csr.subject.text).toBe('CN=collaborator1');
    expect(csr.publicKey).toMatchObject({ type: 'EC', curve: 'P-384' });
    expect(csr.signatureAlgorithmOid).toBe(OID.ecdsa_with_SHA384);
    expect(csr.sans).toEqual({ dns: ['collaborator1'], ip: [], email: [], uri: [], other: 0 });
    expect(csr.extensions.map((e) => [e.oid, e.critical])).toEqual([[OID.id_ce_subjectAltName, false]]);
    expectAgreesWithPkijs(der, csr);
    expect(await verifyCsrSignature(csr)).toBe(true);
  });

  it.each([
    ['p-256', 'EC', OID.ecdsa_with_SHA256],
    ['p-384', 'EC', OID.ecdsa_with_SHA384],
    ['p-521', 'EC', OID.ecdsa_with_SHA512],
    ['rsa-1024', 'RSA', OID.sha256WithRSAEncryption],
    ['rsa-2048', 'RSA', OID.sha256WithRSAEncryption],
  ])('ok/OpenSSL %s request verifies', async (name, type, sigOid) => {
    const der = csrFixture(name);
    const csr = parseCsr(der);
    expect(csr.publicKey.type).toBe(type);
    expect(csr.signatureAlgorithmOid).toBe(sigOid);
    expect(csr.subject.text).toBe('CN=node1');
    expect(csr.sans.dns).toEqual(['node1']);
    expectAgreesWithPkijs(der, csr);
    expect(await verifyCsrSignature(csr)).toBe(true);
  });

  it.each([
    ['rsa-2048-sha1', 'RSA', OID.sha1WithRSAEncryption],
    ['rsa-pss-2048', 'RSA-PSS', OID.id_RSASSA_PSS],
    ['ed25519', 'Ed25519', OID.id_Ed25519],
    ['dsa-2048', 'DSA', '2.16.840.1.101.3.4.3.2'],
  ])('ok/OpenSSL %s request parses, but its signature algorithm is not one FedPKI verifies', async (name, type, sigOid) => {
    const der = csrFixture(name);
    const csr = parseCsr(der);
    expect(csr.publicKey.type).toBe(type);
    expect(csr.signatureAlgorithmOid).toBe(sigOid);
    expect(csr.signatureAlgorithm).toBeUndefined();
    expectAgreesWithPkijs(der, csr);
    await expect(verifyCsrSignature(csr)).rejects.toThrow(DerError);
  });

  it('fail/secp256k1 request: the curve has no WebCrypto verifier', async () => {
    const csr = parseCsr(csrFixture('secp256k1'));
    expect(csr.publicKey).toMatchObject({ type: 'EC', curveOid: OID.secp256k1 });
    await expect(verifyCsrSignature(csr)).rejects.toThrow(DerError);
  });
});

describe('proof of possession failures', () => {
  it('fail/a flipped bit in the signature does not verify', async () => {
    for (const name of ['p-256', 'rsa-2048', 'step/step-cli-p384.csr']) {
      const der = csrFixture(name);
      const { info, alg, sig } = split(der);
      const tampered = reassemble(info, alg, flipBit(sig, sig.length - 5));
      expect(await verifyCsrSignature(parseCsr(tampered)), name).toBe(false);
    }
  });

  it('fail/a changed subject does not verify', async () => {
    const der = csrFixture('p-256');
    const { alg, sig } = split(der);
    const [version, , spki, attrs] = infoParts(der);
    const info = sequence(version!, encodeName([{ type: OID.id_at_commonName, value: 'node2' }]), spki!, attrs!);
    const csr = parseCsr(reassemble(info, alg, sig));
    expect(csr.subject.commonName).toBe('node2');
    expect(await verifyCsrSignature(csr)).toBe(false);
  });

  it('fail/an ECDSA signature value that is not DER does not verify', async () => {
    const { info, alg } = split(csrFixture('p-256'));
    expect(await verifyCsrSignature(parseCsr(reassemble(info, alg, bitString(new Uint8Array(64)))))).toBe(false);
  });

  it('fail/RSA algorithm on an EC key, and ECDSA on an RSA key, are refused', async () => {
    const ec = split(csrFixture('p-256'));
    const rsaAlg = algorithmIdentifier(signatureAlgorithmFor('RSASSA-PKCS1-v1_5', 'SHA-256'));
    await expect(verifyCsrSignature(parseCsr(reassemble(ec.info, rsaAlg, ec.sig)))).rejects.toThrow(/does not match the key/);
    const rsa = split(csrFixture('rsa-2048'));
    const ecAlg = algorithmIdentifier(signatureAlgorithmFor('ECDSA', 'SHA-256'));
    await expect(verifyCsrSignature(parseCsr(reassemble(rsa.info, ecAlg, rsa.sig)))).rejects.toThrow(/does not match the key/);
  });

  it('fail/the right family with another hash does not verify', async () => {
    const { info, sig } = split(csrFixture('p-256'));
    const sha384 = algorithmIdentifier(signatureAlgorithmFor('ECDSA', 'SHA-384'));
    expect(await verifyCsrSignature(parseCsr(reassemble(info, sha384, sig)))).toBe(false);
  });
});

describe('parseCsr strictness', () => {
  const der = csrFixture('p-256');
  const { info, alg, sig } = split(der);
  const [version, subject, spki] = infoParts(der);
  const sanExt = sequence(oid(OID.id_ce_subjectAltName), octetString(sequence(Uint8Array.of(0x82, 1, 0x61))));
  const extReq = (...values: Uint8Array[]) => explicit(0, sequence(oid(OID.pkcs_9_at_extensionRequest), set(...values)));
  const withInfo = (...parts: Uint8Array[]) => reassemble(sequence(...parts), alg, sig);

  it('ok/attributes other than extensionRequest are skipped', () => {
    const challenge = sequence(oid(OID.pkcs_9_at_challengePassword), set(Uint8Array.of(0x0c, 1, 0x78)));
    const csr = parseCsr(withInfo(version!, subject!, spki!, explicit(0, challenge)));
    expect(csr.extensions).toEqual([]);
  });

  it('ok/a critical requested extension is reported as critical', () => {
    const critical = sequence(oid(OID.id_ce_subjectAltName), boolean(true), octetString(sequence(Uint8Array.of(0x82, 1, 0x61))));
    const csr = parseCsr(withInfo(version!, subject!, spki!, extReq(sequence(critical))));
    expect(csr.extensions[0]).toMatchObject({ oid: OID.id_ce_subjectAltName, critical: true });
    expect(csr.sans.dns).toEqual(['a']);
  });

  it.each<[string, () => Uint8Array]>([
    ['fail/truncated', () => der.subarray(0, der.length - 1)],
    ['fail/truncated to its header', () => der.subarray(0, 3)],
    ['fail/extra bytes after the request', () => Uint8Array.of(...der, 0)],
    ['fail/an extra element', () => sequence(info, alg, sig, sig)],
    ['fail/no signature', () => sequence(info, alg)],
    ['fail/version 1', () => withInfo(smallInteger(1), subject!, spki!, explicit(0))],
    ['fail/no public key', () => withInfo(version!, subject!)],
    ['fail/an element after the attributes', () => withInfo(version!, subject!, spki!, explicit(0), explicit(1))],
    ['fail/attributes with the wrong tag', () => withInfo(version!, subject!, spki!, explicit(1))],
    ['fail/an attribute without values', () => withInfo(version!, subject!, spki!, explicit(0, sequence(oid(OID.pkcs_9_at_extensionRequest))))],
    ['fail/extensionRequest with two values', () => withInfo(version!, subject!, spki!, extReq(sequence(sanExt), sequence(sanExt)))],
    ['fail/the same extension twice', () => withInfo(version!, subject!, spki!, extReq(sequence(sanExt, sanExt)))],
    ['fail/an extension without a value', () => withInfo(version!, subject!, spki!, extReq(sequence(sequence(oid(OID.id_ce_subjectAltName)))))],
    ['fail/an extension value that is not an OCTET STRING', () => withInfo(version!, subject!, spki!, extReq(sequence(sequence(oid(OID.id_ce_subjectAltName), sequence()))))],
    ['fail/critical that is not DER TRUE', () => withInfo(version!, subject!, spki!, extReq(sequence(sequence(oid(OID.id_ce_subjectAltName), Uint8Array.of(1, 1, 1), octetString(sequence())))))],
    ['fail/malformed SAN value', () => withInfo(version!, subject!, spki!, extReq(sequence(sequence(oid(OID.id_ce_subjectAltName), octetString(Uint8Array.of(0x87, 1, 1))))))],
    ['fail/signature BIT STRING with unused bits', () => reassemble(info, alg, bitString(split(der).sig.subarray(3), 1))],
    ['fail/signature that is not a BIT STRING', () => reassemble(info, alg, octetString(new Uint8Array(8)))],
    ['fail/larger than the cap', () => sequence(info, alg, bitString(new Uint8Array(MAX_CSR_BYTES)))],
    ['fail/a certificate, not a request', () => sequence(sequence(explicit(0, smallInteger(2))), alg, sig)],
  ])('%s', (_name, make) => {
    expect(() => parseCsr(make())).toThrow(DerError);
  });
});

describe('parseCsrInput', () => {
  const der = csrFixture('p-256');
  it('ok/PEM, NEW CERTIFICATE REQUEST PEM, DER, and PEM as bytes', () => {
    const pem = fixtureText('csr/p-256.csr');
    expect(parseCsrInput(pem).der).toEqual(der);
    expect(parseCsrInput(toPem(der, 'NEW CERTIFICATE REQUEST')).der).toEqual(der);
    expect(parseCsrInput(der).der).toEqual(der);
    expect(parseCsrInput(new TextEncoder().encode(pem)).der).toEqual(der);
  });

  it('fail/no request block, or a certificate', () => {
    expect(() => parseCsrInput('hello')).toThrow(DerError);
    expect(() => parseCsrInput(toPem(der, 'CERTIFICATE'))).toThrow(DerError);
    expect(() => parseCsrInput(new Uint8Array(0))).toThrow(DerError);
  });
});
