/**
 * Revocation against a real server, checked by openssl: leaves point at the CRL and
 * OCSP responder of the federation's public URL (here the plain-HTTP listener, as
 * RFC 5280 advises); `openssl ocsp` says good, then revoked; `openssl crl -verify`
 * accepts every CRL and `openssl verify -crl_check` refuses the revoked certificate;
 * step's POST /revoke works with a revoke token and with the certificate itself.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialToDecimal } from '@/lib/pki/certificate';
import { parseCrl } from '@/lib/pki/crl';
import { createCertId, createOcspRequest, parseOcspResponse } from '@/lib/pki/ocsp';
import { readCertificatePem } from '@/lib/pki/certificate';
import { openTestCa, type TestCa } from '../helpers/ca';
import { httpsRequest } from '../helpers/https';
import { openssl, x509Text } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { baseEnv, freePort, runCli, startFedpki, type Fedpki } from '../helpers/server';

let srv: Fedpki;
let ca: TestCa;
let tmp: ReturnType<typeof tempDir>;
let httpPort: number;
let publicUrl: string;

interface Node {
  name: string;
  dir: string;
  certFile: string;
  keyFile: string;
  leafFile: string;
  chain: string;
  leafPem: string;
  key: string;
  serial: string;
}

let intFile: string;
let rootFile: string;

function enroll(name: string): Node {
  const dir = join(tmp.path, name);
  const r = runCli(['certify', '-n', name, '-t', srv.mint(name), '-c', dir], baseEnv(srv.dataDir));
  expect(r.status, r.stderr).toBe(0);
  const chain = readFileSync(join(dir, `${name}.crt`), 'utf8');
  const end = chain.indexOf('-----END CERTIFICATE-----') + 26;
  const leafPem = chain.slice(0, end);
  const leafFile = join(dir, 'leaf.pem');
  writeFileSync(leafFile, leafPem);
  if (!intFile) {
    intFile = join(tmp.path, 'intermediate.pem');
    writeFileSync(intFile, chain.slice(end));
    rootFile = join(dir, 'root_ca.crt');
  }
  return {
    name,
    dir,
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
    leafFile,
    chain,
    leafPem,
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    serial: readCertificatePem(leafPem).serialNumber,
  };
}

function httpGet(url: string, o: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** `openssl ocsp` against the leaf's own AIA responder, verifying the answer against the root. */
function ocspStatus(node: Node): { ok: boolean; out: string } {
  const r = openssl(['ocsp', '-issuer', intFile, '-cert', node.leafFile, '-url', `${publicUrl}/ocsp/default`, '-CAfile', rootFile, '-resp_text']);
  return { ok: r.status === 0 && r.stderr.includes('Response verify OK'), out: r.stdout + r.stderr };
}

async function fetchCrl(path = '/crl'): Promise<{ der: Buffer; pemFile: string; number: number }> {
  const r = await httpsRequest(`${srv.origin}${path}`, { ca: srv.rootPem });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/pkix-crl');
  const file = join(tmp.path, `crl-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, r.body);
  const pem = await httpsRequest(`${srv.origin}${path}?pem`, { ca: srv.rootPem });
  expect(pem.status).toBe(200);
  expect(pem.text).toMatch(/^-----BEGIN X509 CRL-----/);
  const pemFile = file.replace(/\.der$/, '.pem');
  writeFileSync(pemFile, pem.text);
  return { der: r.body, pemFile, number: parseCrl(new Uint8Array(r.body)).number! };
}

function crlVerifies(file: string): boolean {
  const r = openssl(['crl', '-in', file, '-CAfile', intFile, '-verify', '-noout']);
  return r.status === 0 && r.stderr.includes('verify OK');
}

function verifyWithCrl(node: Node, crlPem: string): { ok: boolean; out: string } {
  const r = openssl(['verify', '-crl_check', '-CAfile', rootFile, '-untrusted', intFile, '-CRLfile', crlPem, node.leafFile]);
  return { ok: r.status === 0 && r.stdout.includes(': OK'), out: r.stdout + r.stderr };
}

const revoke = (body: unknown, o: { cert?: string; key?: string } = {}) => httpsRequest(`${srv.origin}/1.0/revoke`, { body, ca: srv.rootPem, ...o });

beforeAll(async () => {
  tmp = tempDir();
  httpPort = await freePort();
  publicUrl = `http://127.0.0.1:${httpPort}`;
  srv = await startFedpki({ httpPort, env: { FEDPKI_PUBLIC_URL: publicUrl, FEDPKI_LIFECYCLE_INTERVAL_SECONDS: '1' } });
  ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
});

afterAll(async () => {
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

describe('revocation with CRL and OCSP', () => {
  let good: Node;
  let bad: Node;

  beforeAll(() => {
    good = enroll('good-node');
    bad = enroll('bad-node');
  });

  it('leaves carry a CRL distribution point and AIA (OCSP, issuer) at the public URL, and both are served', async () => {
    const text = x509Text(good.leafPem);
    expect(text).toContain(`URI:${publicUrl}/crl/default`);
    expect(text).toContain(`OCSP - URI:${publicUrl}/ocsp/default`);
    expect(text).toContain(`CA Issuers - URI:${publicUrl}/intermediate/default.crt`);
    const issuer = await httpGet(`${publicUrl}/intermediate/default.crt`);
    expect(issuer.status).toBe(200);
    expect(issuer.headers['content-type']).toBe('application/pkix-cert');
    expect(issuer.body.equals(Buffer.from(ca.ctx().intermediate.der))).toBe(true);
    const crl = await httpGet(`${publicUrl}/crl/default`);
    expect(crl.status).toBe(200);
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
  });

  it('openssl: OCSP good, then revoked (time and reason) after `fedpki revoke`; the CRL follows and -crl_check refuses only the revoked one', async () => {
    const before = ocspStatus(bad);
    expect(before.ok, before.out).toBe(true);
    expect(before.out).toContain(`${bad.leafFile}: good`);
    const crl0 = await fetchCrl();
    expect(crlVerifies(crl0.pemFile)).toBe(true);
    expect(verifyWithCrl(bad, crl0.pemFile).ok).toBe(true);

    const r = srv.cli(['revoke', bad.serial, '--reason', 'keyCompromise', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Revoked .* reason keyCompromise/);

    const after = ocspStatus(bad);
    expect(after.ok, after.out).toBe(true);
    expect(after.out).toContain(`${bad.leafFile}: revoked`);
    expect(after.out).toContain('Reason: keyCompromise');
    expect(after.out).toMatch(/Revocation Time: \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT/);
    expect(ocspStatus(good).out).toContain(`${good.leafFile}: good`);

    const crl1 = await fetchCrl();
    expect(crl1.number).toBeGreaterThan(crl0.number);
    expect(crlVerifies(crl1.pemFile)).toBe(true);
    const refused = verifyWithCrl(bad, crl1.pemFile);
    expect(refused.ok).toBe(false);
    expect(refused.out).toContain('certificate revoked');
    expect(verifyWithCrl(good, crl1.pemFile).ok).toBe(true);
    // Published moments after the revocation: still not dated before it (RFC 5280 §5.1.2.4).
    const list = parseCrl(new Uint8Array(crl1.der));
    expect(list.entries.length).toBeGreaterThan(0);
    for (const e of list.entries) expect(e.revocationDate.getTime(), e.serialNumber).toBeLessThanOrEqual(list.thisUpdate.getTime());
    // The per-federation URL in the leaves serves the same list, also as PEM.
    const byId = await fetchCrl('/crl/default');
    expect(byId.number).toBeGreaterThanOrEqual(crl1.number);
    expect(crlVerifies(byId.pemFile)).toBe(true);

    const twice = srv.cli(['revoke', bad.serial, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain('already revoked');

    // fedpki list: a revoked certificate has no days left, a valid one its days.
    const listed = srv.cli(['list', '--json', '-p', srv.dataDir]).stdout.trim().split('\n').map((l) => JSON.parse(l) as { serial: string; state: string; daysLeft: number | null });
    expect(listed.find((c) => c.serial === bad.serial)).toMatchObject({ state: 'revoked', daysLeft: null });
    expect(listed.find((c) => c.serial === good.serial)?.daysLeft).toBeGreaterThan(0);
  });

  it('answers OCSP by GET (RFC 6960 A.1) and POST, with and without the federation in the path; garbage is malformedRequest', async () => {
    const int = ca.ctx().intermediate.fields;
    const id = (serial: string) => createCertId({ issuerName: int.subjectDer, issuerPublicKey: int.publicKey.subjectPublicKey, serialNumber: serial });
    const req = createOcspRequest([await id(good.serial), await id(bad.serial), await id('0badc0de')]);
    const b64 = Buffer.from(req).toString('base64');
    for (const url of [`${publicUrl}/ocsp/${encodeURIComponent(b64)}`, `${publicUrl}/ocsp/default/${encodeURIComponent(b64)}`, `${publicUrl}/ocsp/default/${b64}`]) {
      const r = await httpGet(url);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/ocsp-response');
      expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
      const parsed = parseOcspResponse(new Uint8Array(r.body));
      expect(parsed.responses.map((x) => x.status.status)).toEqual(['good', 'revoked', 'unknown']);
    }
    const post = await httpsRequest(`${srv.origin}/ocsp`, { raw: Buffer.from(req), headers: { 'Content-Type': 'application/ocsp-request' }, ca: srv.rootPem });
    expect(post.status).toBe(200);
    const answer = parseOcspResponse(new Uint8Array(post.body)).responses[1]!;
    expect(answer.status).toMatchObject({ status: 'revoked', reasonCode: 1 });
    // Not dated before the revocation it states (RFC 6960 §2.4), a few seconds old here.
    expect(answer.thisUpdate.getTime()).toBeGreaterThanOrEqual((answer.status as { revokedAt: Date }).revokedAt.getTime());
    // Nonces of 0 or more than 128 octets are malformed (RFC 8954 §2.1), not answered without one.
    for (const n of [0, 129]) {
      const r = await httpsRequest(`${srv.origin}/ocsp`, { raw: Buffer.from(createOcspRequest([await id(good.serial)], new Uint8Array(n))), headers: { 'Content-Type': 'application/ocsp-request' }, ca: srv.rootPem });
      expect(parseOcspResponse(new Uint8Array(r.body)).status, `${n} octets`).toBe('malformedRequest');
    }
    const garbage = await httpGet(`${publicUrl}/ocsp`, { method: 'POST', body: Buffer.from('hello'), headers: { 'Content-Type': 'application/ocsp-request' } });
    expect(garbage.status).toBe(200);
    expect(parseOcspResponse(new Uint8Array(garbage.body)).status).toBe('malformedRequest');
  });

  it('POST /revoke (step): a revoke token works once and only for its serial; the certificate itself over mTLS; nothing else', async () => {
    const a = enroll('token-node');
    const b = enroll('mtls-node');
    const minted = srv.cli(['get-token', '--revoke', a.serial, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(minted.status, minted.stderr).toBe(0);
    const ott = minted.stdout.trim();
    const claims = JSON.parse(Buffer.from(ott.split('.')[1]!, 'base64url').toString()) as { sub: string; aud: string };
    expect(claims).toMatchObject({ sub: serialToDecimal(a.serial), aud: `https://${srv.caUrl}/1.0/revoke` });

    const wrong = await revoke({ serial: serialToDecimal(b.serial), ott, reasonCode: 4, passive: true });
    expect(wrong.status).toBe(403);
    const ok = await revoke({ serial: serialToDecimal(a.serial), ott, reasonCode: 4, reason: 'replaced', passive: true });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ status: 'ok' });
    const again = await revoke({ serial: serialToDecimal(a.serial), ott, reasonCode: 4, passive: true });
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ code: 'token_used' });

    expect((await revoke({ serial: serialToDecimal(b.serial) })).status).toBe(401);
    expect((await revoke({ serial: serialToDecimal(a.serial) }, { cert: b.chain, key: b.key })).status).toBe(403);
    const self = await revoke({ serial: serialToDecimal(b.serial), reasonCode: 1 }, { cert: b.chain, key: b.key });
    expect(self.status, self.text).toBe(200);
    const twice = await revoke({ serial: `0x${b.serial}` }, { cert: b.chain, key: b.key });
    expect(twice.status).toBe(400);
    expect(twice.json).toMatchObject({ code: 'already_revoked' });
    expect((await revoke({ serial: 'not-a-number', ott })).status).toBe(400);
    expect((await revoke({ serial: serialToDecimal(a.serial), ott, reasonCode: 8 })).status).toBe(400);

    const audit = await ca.rows<{ actor: string; target: string; details: string | Record<string, unknown> }>("select actor, target, details from audit_log where action = 'CERT_REVOKED' order by id");
    const byTarget = new Map(audit.map((e) => [e.target, e]));
    expect(byTarget.get(bad.serial)).toMatchObject({ actor: 'cli' });
    expect(byTarget.get(a.serial)!.actor).toMatch(/^token:/);
    expect(detailsOf(byTarget.get(a.serial)!.details)).toMatchObject({ via: 'api-token', reasonCode: 4 });
    expect(byTarget.get(b.serial)).toMatchObject({ actor: `mtls:${b.serial}` });
    expect(audit).toHaveLength(3);

    const listed = srv.cli(['list', '--status', 'revoked', '-p', srv.dataDir]);
    expect(listed.status).toBe(0);
    for (const s of [bad.serial, a.serial, b.serial]) expect(listed.stdout).toContain(s);
    expect(listed.stdout).not.toContain(good.serial);
  });

  it('keyCompromise reaches the key: its other certificate is revoked too, and /sign refuses it from then on (the token stays usable with a new key)', async () => {
    const first = enroll('kc-1');
    const csrWithKey = (cn: string, keyFile: string) => {
      const out = join(tmp.path, `${cn}.csr`);
      const r = openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`, '-out', out]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(out, 'utf8');
    };
    const sign = async (cn: string, csr: string, jwt?: string) => {
      const ott = jwt ?? (await ca.authority.mintToken('default', { subject: cn }, { id: 'test' })).jwt;
      return { ott, r: await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr, ott }, ca: srv.rootPem }) };
    };
    const second = await sign('kc-2', csrWithKey('kc-2', first.keyFile));
    expect(second.r.status, second.r.text).toBe(201);
    const secondSerial = readCertificatePem((second.r.json as { crt: string }).crt).serialNumber;

    const revoked = srv.cli(['revoke', first.serial, '--reason', 'keyCompromise', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain(`Also revoked, for the same key: ${secondSerial} (kc-2, federation default)`);
    expect(revoked.stderr).toMatch(/The key is refused from now on/);
    expect(await ca.store.getCertificate(secondSerial)).toMatchObject({ status: 'revoked', revocationReason: 1 });

    const again = await sign('kc-3', csrWithKey('kc-3', first.keyFile));
    expect(again.r.status).toBe(403);
    expect(again.r.json).toMatchObject({ status: 403, code: 'policy_key_compromised', message: expect.stringMatching(/reported compromised/) });
    const pending = await ca.store.getToken(JSON.parse(Buffer.from(again.ott.split('.')[1]!, 'base64url').toString()).jti);
    expect(pending?.state).toBe('pending');
    const freshKey = join(tmp.path, 'kc-3-new.key');
    expect(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', freshKey]).status).toBe(0);
    const retry = await sign('kc-3', csrWithKey('kc-3', freshKey), again.ott);
    expect(retry.r.status, retry.r.text).toBe(201);
  });

  it('the server rebuilds a CRL that is older than a revocation it did not publish', async () => {
    const before = await fetchCrl();
    const c = enroll('quiet-node');
    const now = new Date();
    // As if a process had revoked and died before publishing.
    await ca.store.markRevoked(
      { serial: c.serial, federationId: 'default', reasonCode: 0, reason: null, revokedAt: now, expiresAt: new Date(now.getTime() + 86400_000), actor: 'test', via: 'cli' },
      { at: now, action: 'CERT_REVOKED', actor: 'test', sourceIp: null, federationId: 'default', target: c.serial, outcome: 'success', details: null },
    );
    await expect.poll(async () => parseCrl(new Uint8Array((await fetchCrl()).der)).entries.some((e) => e.serialNumber === c.serial), { timeout: 20_000, interval: 500 }).toBe(true);
    expect((await fetchCrl()).number).toBeGreaterThan(before.number);
  });
});

/** audit_log.details: JSON text on SQLite, a JSON value on PostgreSQL. */
function detailsOf(d: string | Record<string, unknown>): Record<string, unknown> {
  return typeof d === 'string' ? (JSON.parse(d) as Record<string, unknown>) : d;
}
