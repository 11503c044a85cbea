import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIssuer, type TestIssuer } from '@/test/helpers/pki';
import { digest } from './crypto';
import { DerError, explicit, sequence } from './der';
import { extension } from './extensions/extension';
import * as OID from './oids';
import { toArrayBuffer, toHex } from './encoding';
import { pkiEngine } from './engine';
import {
  createCertId,
  createOcspRequest,
  ocspErrorResponse,
  parseOcspRequest,
  parseOcspResponse,
  signOcspResponse,
} from './ocsp';
import { verifySignedData } from './signature';

let issuer: TestIssuer;
let dir: string;

beforeAll(async () => {
  issuer = await makeIssuer();
  dir = mkdtempSync(join(tmpdir(), 'fedpki-ocsp-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const certIdFor = (serial: string, hash?: 'SHA-1' | 'SHA-256') =>
  createCertId({ hash, issuerName: issuer.name, issuerPublicKey: issuer.publicKey.subjectPublicKey, serialNumber: serial });

describe('OCSP requests', () => {
  it('ok/round-trip with a nonce', async () => {
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const req = parseOcspRequest(createOcspRequest([await certIdFor('01ab'), await certIdFor('02', 'SHA-256')], nonce));
    expect(req.requests.map((r) => [r.hash, r.serialNumber])).toEqual([
      ['SHA-1', '01ab'],
      ['SHA-256', '02'],
    ]);
    expect(toHex(req.requests[0]!.issuerNameHash)).toBe(toHex(await digest('SHA-1', issuer.name)));
    expect(toHex(req.requests[1]!.issuerKeyHash)).toBe(toHex(await digest('SHA-256', issuer.publicKey.subjectPublicKey)));
    // The extension value is the DER of the nonce OCTET STRING, as OpenSSL sends it.
    expect([...req.nonce!]).toEqual([0x04, 16, ...nonce]);
    expect(req.signed).toBe(false);
  });

  it('ok/reads the request `openssl ocsp` builds', async () => {
    const caFile = join(dir, 'ca.pem');
    const out = join(dir, 'req.der');
    writeFileSync(caFile, issuer.pem);
    const r = spawnSync('openssl', ['ocsp', '-issuer', caFile, '-serial', '0x1234abcd', '-reqout', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const req = parseOcspRequest(new Uint8Array(readFileSync(out)));
    expect(req.requests).toHaveLength(1);
    expect(req.requests[0]).toMatchObject({ hash: 'SHA-1', serialNumber: '1234abcd' });
    expect(toHex(req.requests[0]!.issuerKeyHash)).toBe(toHex(await digest('SHA-1', issuer.publicKey.subjectPublicKey)));
    expect(req.nonce).toBeDefined();
  });

  it('ok/nonces of 1 and 128 octets are read; 0, 129 octets or one that is not an OCTET STRING are malformed (RFC 8954 §2.1)', async () => {
    const id = await certIdFor('01');
    for (const n of [1, 32, 128]) expect(parseOcspRequest(createOcspRequest([id], new Uint8Array(n).fill(7))).nonce?.length, `${n}`).toBe(n + (n > 127 ? 3 : 2));
    for (const n of [0, 129, 1000]) expect(() => parseOcspRequest(createOcspRequest([id], new Uint8Array(n))), `${n}`).toThrow(DerError);
    // The extension holding raw bytes instead of the Nonce OCTET STRING.
    const raw = sequence(sequence(sequence(sequence(id)), explicit(2, sequence(extension(OID.id_pkix_ocsp_nonce, false, Uint8Array.of(1, 2, 3))))));
    expect(() => parseOcspRequest(raw)).toThrow(DerError);
  });

  it('fail/garbage, an empty list, trailing bytes', () => {
    expect(() => parseOcspRequest(Uint8Array.of(1, 2, 3))).toThrow(DerError);
    expect(() => parseOcspRequest(createOcspRequest([]))).toThrow(DerError);
    const good = createOcspRequest([Uint8Array.of(0x30, 0)]);
    expect(() => parseOcspRequest(Uint8Array.of(...good, 0))).toThrow(DerError);
  });
});

describe('OCSP responses', () => {
  const thisUpdate = new Date('2026-11-20T10:00:00Z');
  const nextUpdate = new Date('2026-11-20T11:00:00Z');
  const revokedAt = new Date('2026-11-19T12:34:56Z');

  async function respond(nonce?: Uint8Array, certs?: Uint8Array[]) {
    const good = await certIdFor('0a');
    const revoked = await certIdFor('0b');
    const unknown = await certIdFor('0c');
    return signOcspResponse(
      {
        signatureAlgorithm: issuer.algorithm,
        responderKeyHash: issuer.keyId,
        producedAt: thisUpdate,
        nonce,
        certs,
        responses: [
          { certId: good, status: { status: 'good' }, thisUpdate, nextUpdate },
          { certId: revoked, status: { status: 'revoked', revokedAt, reasonCode: 1 }, thisUpdate, nextUpdate },
          { certId: unknown, status: { status: 'unknown' }, thisUpdate },
        ],
      },
      issuer.keys.privateKey,
    );
  }

  it('ok/round-trip: statuses, times, reason, echoed nonce', async () => {
    const nonceExt = Uint8Array.of(0x04, 2, 0xbe, 0xef);
    const res = parseOcspResponse(await respond(nonceExt));
    expect(res.status).toBe('successful');
    expect(res.producedAt).toEqual(thisUpdate);
    expect(res.responses.map((r) => [r.certId.serialNumber, r.status])).toEqual([
      ['0a', { status: 'good' }],
      ['0b', { status: 'revoked', revokedAt, reasonCode: 1 }],
      ['0c', { status: 'unknown' }],
    ]);
    expect(res.responses[0]!.nextUpdate).toEqual(nextUpdate);
    expect(res.responses[2]!.nextUpdate).toBeUndefined();
    expect([...res.nonce!]).toEqual([...nonceExt]);
    expect(await verifySignedData({ data: res.tbs!, algorithm: res.signatureAlgorithm, signature: res.signature! }, issuer.publicKey)).toBe(true);
  });

  it('ok/pkijs reads it (with the signer certificate attached) and verifies the signature against the issuer', async () => {
    pkiEngine();
    const der = await respond(undefined, [issuer.der]);
    expect(parseOcspResponse(der).certs).toHaveLength(1);
    const resp = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
    expect(resp.responseStatus.valueBlock.valueDec).toBe(0);
    const basic = new pkijs.BasicOCSPResponse({ schema: pkijs.BasicOCSPResponse.fromBER(toArrayBuffer(resp.responseBytes!.response.valueBlock.valueHexView)).toSchema() });
    expect(basic.tbsResponseData.responses).toHaveLength(3);
    expect(await basic.verify({ trustedCerts: [pkijs.Certificate.fromBER(toArrayBuffer(issuer.der))] })).toBe(true);
  });

  it('ok/error responses carry only a status', () => {
    expect(parseOcspResponse(ocspErrorResponse('malformedRequest'))).toMatchObject({ status: 'malformedRequest', responses: [] });
    expect(parseOcspResponse(ocspErrorResponse('unauthorized')).status).toBe('unauthorized');
  });
});
