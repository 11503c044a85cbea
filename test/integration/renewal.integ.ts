/**
 * Renewal against a real server: over real mutual TLS with a certificate `fedpki
 * certify` wrote, with the x5c bearer token `step ca renew --mtls=false` sends, and
 * with `fedpki renew` (also --rekey). Revoked and expired certificates are refused;
 * renewal after expiry works once the federation allows it.
 */

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityType, auditEntry } from '@/lib/ca/audit';
import { signLeafRecord } from '@/lib/ca/issue';
import { createX5cToken } from '@/lib/ca/x5c-token';
import { certificatesFromPem } from '@/lib/pki/certificate';
import { parseCsr } from '@/lib/pki/csr';
import { importPkcs8 } from '@/lib/pki/keys';
import { toPem } from '@/lib/pki/pem';
import { readPrivateKeyPem } from '@/lib/pki/private-key';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { openssl, opensslVerify } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { baseEnv, runCli, startFedpki, type Fedpki } from '../helpers/server';

let srv: Fedpki;
let ca: TestCa;
let tmp: ReturnType<typeof tempDir>;

interface Files {
  dir: string;
  cert: string;
  key: string;
  root: string;
}

function enroll(name: string, extra: string[] = []): Files {
  const token = srv.mint(name, ['--san', name, '--san', `${name}.example.org`, ...extra]);
  const dir = join(tmp.path, name);
  const r = runCli(['certify', '-n', name, '-t', token, '-c', dir], baseEnv(srv.dataDir));
  expect(r.status, r.stderr).toBe(0);
  return { dir, cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), root: join(dir, 'root_ca.crt') };
}

const read = (f: string) => readFileSync(f, 'utf8');
const leafOf = (chainPem: string) => new X509Certificate(chainPem);
const renewCli = (f: Files, extra: string[] = []) => runCli(['renew', '-c', f.cert, '-k', f.key, '--ca-url', srv.caUrl, ...extra], baseEnv(srv.dataDir));

async function x5cToken(chainPem: string, keyPem: string, path = '/1.0/renew', csrDer?: Uint8Array): Promise<string> {
  const chain = certificatesFromPem(chainPem);
  const key = await importPkcs8(readPrivateKeyPem(keyPem).pkcs8);
  return createX5cToken({ chain, key, audience: `https://${srv.caUrl}${path}`, subject: new X509Certificate(chainPem).subject.replace(/^CN=/, ''), csrDer });
}

beforeAll(async () => {
  tmp = tempDir();
  srv = await startFedpki();
  ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
});

afterAll(async () => {
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

describe('renewal', () => {
  it('over real mutual TLS: same names, same key, new serial and validity; the old certificate stays valid', async () => {
    const f = enroll('mtls-renew');
    const old = leafOf(read(f.cert));
    const r = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, cert: read(f.cert), key: read(f.key) });
    expect(r.status, r.text).toBe(201);
    const body = r.json as { crt: string; ca: string; certChain: string[]; tlsOptions: unknown };
    expect(body.certChain).toHaveLength(2);
    expect(body.tlsOptions).toBeDefined();
    const renewed = leafOf(body.crt);
    expect(renewed.serialNumber).not.toBe(old.serialNumber);
    expect(renewed.subject).toBe(old.subject);
    expect(renewed.subjectAltName).toBe(old.subjectAltName);
    expect(renewed.subjectAltName).toContain('DNS:mtls-renew.example.org');
    expect(renewed.publicKey.export({ type: 'spki', format: 'der' }).equals(old.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(new Date(renewed.validFrom).getTime()).toBeGreaterThanOrEqual(new Date(old.validFrom).getTime());
    expect(opensslVerify(tmp.path, read(f.root), body.ca, body.crt).ok).toBe(true);
    expect(await ca.store.getCertificate(old.serialNumber.toLowerCase())).toMatchObject({ status: 'valid' });
    expect(await ca.store.getCertificate(renewed.serialNumber.toLowerCase())).toMatchObject({ source: 'renew', renewedFrom: old.serialNumber.toLowerCase() });
    // And the /1.0 path takes the same request.
    expect((await httpsRequest(`${srv.origin}/1.0/renew`, { method: 'POST', ca: srv.rootPem, cert: read(f.cert), key: read(f.key) })).status).toBe(201);
  });

  it('with the x5c bearer token `step ca renew --mtls=false` sends; the token works once', async () => {
    const f = enroll('token-renew');
    const token = await x5cToken(read(f.cert), read(f.key));
    const first = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, headers: { Authorization: `Bearer ${token}` } });
    expect(first.status, first.text).toBe(201);
    expect(leafOf((first.json as { crt: string }).crt).subject).toBe('CN=token-renew');
    const again = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, headers: { Authorization: `Bearer ${token}` } });
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ code: 'token_used' });
    const none = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem });
    expect(none.status).toBe(401);
    expect((none.json as { message: string }).message).toContain('mutual TLS');
  });

  it('`fedpki renew` over mTLS rewrites the certificate; --rekey makes a new key in the same format; --no-mtls uses a token', () => {
    const f = enroll('cli-renew');
    const before = leafOf(read(f.cert));
    const keyBefore = read(f.key);
    const r = renewCli(f);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('over mutual TLS');
    const after = leafOf(read(f.cert));
    expect(r.stdout.trim()).toBe(after.serialNumber.toLowerCase());
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(read(f.key)).toBe(keyBefore);
    const chain = read(f.cert);
    expect(opensslVerify(tmp.path, read(f.root), chain.slice(chain.indexOf('-----END CERTIFICATE-----') + 26), chain).ok).toBe(true);

    const rk = renewCli(f, ['--rekey']);
    expect(rk.status, rk.stderr).toBe(0);
    const newKey = read(f.key);
    expect(newKey).toContain('BEGIN EC PRIVATE KEY');
    expect(newKey).not.toBe(keyBefore);
    const rekeyed = leafOf(read(f.cert));
    expect(rekeyed.checkPrivateKey(createPrivateKey(newKey))).toBe(true);
    expect(openssl(['pkey', '-in', f.key, '-noout']).status).toBe(0);

    const tk = renewCli(f, ['--no-mtls']);
    expect(tk.status, tk.stderr).toBe(0);
    expect(tk.stderr).toContain('renewal token');
    expect(createPublicKey(newKey).export({ type: 'spki', format: 'der' }).equals(leafOf(read(f.cert)).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it('rekey over mTLS with a CSR for a new key', async () => {
    const f = enroll('api-rekey');
    const csr = await makeCsr('api-rekey', ['api-rekey'], 'EC-P384');
    const r = await httpsRequest(`${srv.origin}/1.0/rekey`, { body: { csr: csr.pem }, ca: srv.rootPem, cert: read(f.cert), key: read(f.key) });
    expect(r.status, r.text).toBe(201);
    const leaf = leafOf((r.json as { crt: string }).crt);
    expect(leaf.checkPrivateKey(createPrivateKey(await csr.keyPem()))).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:api-rekey.example.org');
    const noCsr = await httpsRequest(`${srv.origin}/1.0/rekey`, { body: {}, ca: srv.rootPem, cert: read(f.cert), key: read(f.key) });
    expect(noCsr.status).toBe(400);
  });

  it('refuses a revoked certificate (mTLS, token and CLI)', async () => {
    const f = enroll('revoked-renew');
    const serial = leafOf(read(f.cert)).serialNumber.toLowerCase();
    expect(srv.cli(['revoke', serial, '-p', srv.dataDir, '--password-file', srv.passwordFile]).status).toBe(0);
    const mtls = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, cert: read(f.cert), key: read(f.key) });
    expect(mtls.status).toBe(401);
    expect(mtls.json).toMatchObject({ code: 'certificate_revoked' });
    const token = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, headers: { Authorization: `Bearer ${await x5cToken(read(f.cert), read(f.key))}` } });
    expect(token.status).toBe(401);
    const cli = renewCli(f);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('revoked');
  });

  it('refuses a certificate from elsewhere', async () => {
    const key = join(tmp.path, 'self.key');
    const cert = join(tmp.path, 'self.crt');
    expect(openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=intruder', '-days', '1', '-keyout', key, '-out', cert]).status).toBe(0);
    const r = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, cert: read(cert), key: read(key) });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses an expired certificate until the federation allows renewal after expiry', async () => {
    const csr = await makeCsr('expired-node');
    const ctx = ca.ctx();
    const now = new Date();
    const record = await signLeafRecord({
      ctx,
      csr: parseCsr(csr.der),
      commonName: 'expired-node',
      sans: ['expired-node'],
      notBefore: new Date(now.getTime() - 3 * 86400_000),
      notAfter: new Date(now.getTime() - 86400_000),
      role: 'collaborator',
      source: 'csr',
      tokenJti: null,
      issuedBy: 'test',
      now,
    });
    await ca.store.recordIssuance({ certificate: record, now, audit: auditEntry(ActivityType.CSR_SIGNED, { at: now, actor: 'test', target: record.serial }) });
    const files: Files = { dir: tmp.path, cert: join(tmp.path, 'expired.crt'), key: join(tmp.path, 'expired.key'), root: join(tmp.path, 'root_ca.crt') };
    writeFileSync(files.cert, toPem(record.der, 'CERTIFICATE') + ctx.intermediate.pem);
    writeFileSync(files.key, await csr.keyPem());
    writeFileSync(files.root, ctx.root.pem);

    const refused = renewCli(files);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('renewal token'); // an expired certificate is renewed with a token, as step does
    expect(refused.stderr).toContain('expired');
    const allow = srv.cli(['federation', 'update', 'default', '--renew-after-expiry', 'on', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(allow.status, allow.stderr).toBe(0);
    // The running server picks the change up within seconds.
    await expect
      .poll(
        async () => {
          const token = await x5cToken(read(files.cert), read(files.key));
          return (await httpsRequest(`${srv.origin}/renew`, { method: 'POST', ca: srv.rootPem, headers: { Authorization: `Bearer ${token}` } })).status;
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe(201);
    const ok = renewCli(files);
    expect(ok.status, ok.stderr).toBe(0);
    expect(new Date(leafOf(read(files.cert)).validTo).getTime()).toBeGreaterThan(Date.now());
  });
});
