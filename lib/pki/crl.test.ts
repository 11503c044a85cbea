import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIssuer, type TestIssuer } from '@/test/helpers/pki';
import { CRL_REASONS, crlReasonName, encodeRevokedEntry, parseCrl, signCrl, type RevokedCertificateEntry } from './crl';
import { DerError, enumerated, sequence, sequenceOf, time, unsignedInteger } from './der';
import { extension } from './extensions/extension';
import { id_ce_cRLReasons } from './oids';
import { toArrayBuffer } from './encoding';
import { pkiEngine } from './engine';
import { toPem } from './pem';
import { verifySignedData } from './signature';

let issuer: TestIssuer;
let dir: string;

beforeAll(async () => {
  issuer = await makeIssuer();
  dir = mkdtempSync(join(tmpdir(), 'fedpki-crl-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const thisUpdate = new Date('2026-11-20T10:00:00Z');
const nextUpdate = new Date('2026-11-21T10:00:00Z');

async function makeCrl(entries: RevokedCertificateEntry[], number = 7) {
  return signCrl(
    { signatureAlgorithm: issuer.algorithm, issuer: issuer.name, authorityKeyId: issuer.keyId, thisUpdate, nextUpdate, number, entries },
    issuer.keys.privateKey,
  );
}

describe('signCrl / parseCrl', () => {
  const entries: RevokedCertificateEntry[] = [
    { serialNumber: '0a1b2c', revocationDate: new Date('2026-11-19T08:00:00Z'), reasonCode: CRL_REASONS.keyCompromise },
    { serialNumber: 'ff00ff00ff00ff00ff00ff00ff00ff00', revocationDate: new Date('2026-11-19T09:00:00Z'), reasonCode: 0 },
    { serialNumber: '7', revocationDate: new Date('2026-11-19T09:30:00Z'), reasonCode: CRL_REASONS.superseded },
  ];

  it('ok/round-trip: entries, reasons (absent when unspecified), number, AKI, times', async () => {
    const crl = parseCrl(await makeCrl(entries, 4242));
    expect(crl.version).toBe(2);
    expect(crl.number).toBe(4242);
    expect(crl.thisUpdate).toEqual(thisUpdate);
    expect(crl.nextUpdate).toEqual(nextUpdate);
    expect(crl.authorityKeyId).toBe(Buffer.from(issuer.keyId).toString('hex'));
    expect(crl.entries).toEqual([
      { serialNumber: '0a1b2c', revocationDate: entries[0]!.revocationDate, reasonCode: 1 },
      { serialNumber: 'ff00ff00ff00ff00ff00ff00ff00ff00', revocationDate: entries[1]!.revocationDate },
      { serialNumber: '07', revocationDate: entries[2]!.revocationDate, reasonCode: 4 },
    ]);
  });

  it('ok/signature verifies with the issuer key (our verifier and pkijs)', async () => {
    const der = await makeCrl(entries);
    const parsed = parseCrl(der);
    expect(await verifySignedData({ data: parsed.tbs, algorithm: parsed.signatureAlgorithm, signature: parsed.signature }, issuer.publicKey)).toBe(true);
    pkiEngine();
    const crl = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(issuer.der));
    expect(await crl.verify({ issuerCertificate: cert })).toBe(true);
    expect(crl.revokedCertificates).toHaveLength(3);
  });

  it('ok/openssl crl -verify accepts it and prints the reasons', async () => {
    const crlFile = join(dir, 'a.crl');
    const caFile = join(dir, 'ca.pem');
    writeFileSync(crlFile, toPem(await makeCrl(entries), 'X509 CRL'));
    writeFileSync(caFile, issuer.pem);
    const r = spawnSync('openssl', ['crl', '-in', crlFile, '-CAfile', caFile, '-verify', '-noout', '-text'], { encoding: 'utf8' });
    expect(r.stderr).toContain('verify OK');
    expect(r.stdout).toContain('X509v3 CRL Number');
    expect(r.stdout).toMatch(/Serial Number: 0A1B2C[\s\S]*Key Compromise/);
    expect(r.stdout).toMatch(/Serial Number: 07[\s\S]*Superseded/);
  });

  it('ok/an empty CRL leaves revokedCertificates out', async () => {
    const crl = parseCrl(await makeCrl([]));
    expect(crl.entries).toEqual([]);
    expect(crl.number).toBe(7);
  });

  it('fail/a tampered CRL does not verify', async () => {
    const der = await makeCrl(entries);
    const parsed = parseCrl(der);
    const tbs = parsed.tbs.slice();
    tbs[tbs.length - 1]! ^= 1;
    expect(await verifySignedData({ data: tbs, algorithm: parsed.signatureAlgorithm, signature: parsed.signature }, issuer.publicKey)).toBe(false);
  });

  it('fail/garbage is a DerError', () => {
    expect(() => parseCrl(Uint8Array.of(0x30, 0x03, 1, 2))).toThrow(DerError);
  });
});

describe('reasons and large lists', () => {
  it('the fast entry encoder gives the bytes of the generic one', () => {
    const generic = (e: RevokedCertificateEntry) => {
      const serial = unsignedInteger(Buffer.from(e.serialNumber.length % 2 ? `0${e.serialNumber}` : e.serialNumber, 'hex'));
      const parts = [serial, time(e.revocationDate)];
      if (e.reasonCode) parts.push(sequence(extension(id_ce_cRLReasons, false, enumerated(e.reasonCode))));
      return Buffer.from(sequence(...parts)).toString('hex');
    };
    const cases: RevokedCertificateEntry[] = [
      { serialNumber: '7f', revocationDate: new Date('2026-01-02T03:04:05Z') },
      { serialNumber: '80', revocationDate: new Date('1999-12-31T23:59:59Z'), reasonCode: 1 },
      { serialNumber: '000001', revocationDate: new Date('2049-12-31T23:59:59Z'), reasonCode: 10 },
      { serialNumber: 'ff'.repeat(20), revocationDate: new Date('2030-06-15T12:00:00Z'), reasonCode: 4 },
      { serialNumber: 'ab'.repeat(30), revocationDate: new Date('2030-06-15T12:00:00Z'), reasonCode: 4 },
      { serialNumber: '1234', revocationDate: new Date('2050-01-01T00:00:00Z'), reasonCode: 2 },
      { serialNumber: 'abc', revocationDate: new Date('1950-01-01T00:00:00Z') },
    ];
    for (const c of cases) expect(Buffer.from(encodeRevokedEntry(c)).toString('hex')).toBe(generic(c));
  });

  it('names reason codes as RFC 5280 does', () => {
    expect(crlReasonName(1)).toBe('keyCompromise');
    expect(crlReasonName(7)).toBeUndefined();
  });

  it('sequenceOf takes more elements than a spread argument list can', () => {
    const list = Array.from({ length: 200_000 }, () => Uint8Array.of(5, 0));
    const seq = sequenceOf(list);
    expect(seq.length).toBe(400_000 + 5);
    expect([...seq.subarray(0, 5)]).toEqual([0x30, 0x83, 0x06, 0x1a, 0x80]);
  });
});
