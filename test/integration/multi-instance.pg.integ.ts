/**
 * Two FedPKI instances on two ports sharing one PostgreSQL database, behind a TCP
 * (TLS passthrough) proxy that owns the federation's CA URL port, as in a deployment
 * behind a load balancer. Each instance listens on the CA URL port plus its own
 * offset (FEDPKI_LISTEN_PORT_OFFSET), so both fit on this one machine.
 *
 * Shown: the same token raced at both instances yields exactly one certificate; a
 * federation disabled through one is refused by the other at once; a revocation made
 * through one is in the other's CRL and OCSP answers at once (checked with openssl);
 * CRL numbers only increase while both publish; killing one instance with SIGKILL in
 * the middle of many enrollments loses no certificate a client was given, duplicates
 * none, and leaves every consumed token with exactly one certificate.
 */

import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialToDecimal } from '@/lib/pki/certificate';
import { parseCrl } from '@/lib/pki/crl';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest, type Response } from '../helpers/https';
import { openssl } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { freePort, newTestPostgresUrl, startFedpki, type Fedpki } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

let a: Fedpki;
let b: Fedpki;
let lb: TcpProxy;
let ca: TestCa;
let rootPem: string;
let tmp: ReturnType<typeof tempDir>;
/** B's plain-HTTP listener (127.0.0.1), where `openssl ocsp -url` asks. */
let bHttpPort: number;

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

beforeAll(async () => {
  const databaseUrl = await newTestPostgresUrl();
  const [lbPort, pa, pb, ph] = (await distinctPorts(4)) as [number, number, number, number];
  const caUrl = `localhost:${lbPort}`;
  bHttpPort = ph;
  tmp = tempDir();
  // Both start at once on an empty database: one migrates and creates the CA, the other
  // waits on the migration lock and then unlocks what the first created.
  [a, b] = await Promise.all([
    startFedpki({ databaseUrl, caUrl, port: pa, listenPortOffset: pa - lbPort }),
    startFedpki({ databaseUrl, caUrl, port: pb, listenPortOffset: pb - lbPort, httpPort: ph }),
  ]);
  lb = await startTcpProxy(lbPort, [pa, pb]);
  ca = await openTestCa({ dataDir: a.dataDir, databaseUrl });
  rootPem = a.rootPem;
});

afterAll(async () => {
  await ca?.close();
  await lb?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  a?.cleanup();
  b?.cleanup();
  tmp?.remove();
});

const mint = async (subject: string) => ca.authority.mintToken('default', { subject }, { id: 'test' });

const post = (port: number, body: unknown): Promise<Response> => httpsRequest(`https://localhost:${port}/1.0/sign`, { body, ca: rootPem, timeoutMs: 60_000 });

/** The serial as FedPKI stores it: lowercase hex without leading zero bytes. */
function serialOf(crtPem: string): string {
  const der = Buffer.from(crtPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return new X509Certificate(der).serialNumber.toLowerCase().replace(/^(00)+/, '');
}

/** An instance's current CRL (GET /crl, DER), saved for openssl. */
async function crlAt(port: number): Promise<{ number: number; serials: string[]; file: string }> {
  const r = await httpsRequest(`https://localhost:${port}/crl`, { ca: rootPem });
  expect(r.status).toBe(200);
  const crl = parseCrl(new Uint8Array(r.body));
  const file = join(tmp.path, `crl-${port}-${crl.number}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, r.body);
  return { number: crl.number!, serials: crl.entries.map((e) => e.serialNumber), file };
}

describe('two instances, one PostgreSQL database', () => {
  it('both serve the same federation: one root, one CA URL, the proxy reaching either', async () => {
    expect(b.rootPem).toBe(a.rootPem);
    const federations = await ca.rows<{ id: string; ca_url: string }>('select id, ca_url from federations');
    expect(federations).toEqual([{ id: 'default', ca_url: `localhost:${lb.port}` }]);
    const fresh = new https.Agent({ keepAlive: false });
    for (let i = 0; i < 4; i++) {
      const r = await httpsRequest(`https://localhost:${lb.port}/health`, { ca: rootPem, agent: fresh });
      expect(r.status).toBe(200);
    }
    expect([...lb.forwarded.values()].every((n) => n >= 2)).toBe(true);
  });

  it('an enrollment through the proxy is recorded once, whichever instance served it', async () => {
    const minted = await mint('via-proxy');
    const r = await post(lb.port, { csr: (await makeCsr('via-proxy')).pem, ott: minted.jwt });
    expect(r.status, r.text).toBe(201);
    const rows = await ca.rows<{ n: string }>(`select count(*) n from certificates where token_jti = '${minted.record.jti}'`);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('the same token raced at both instances gives exactly one certificate; the rest are 401 token_used', async () => {
    for (let round = 0; round < 4; round++) {
      const subject = `raced-${round}`;
      const minted = await mint(subject);
      const csrs = await Promise.all(Array.from({ length: 8 }, () => makeCsr(subject)));
      const results = await Promise.all(csrs.map((csr, i) => post(i % 2 ? b.port : a.port, { csr: csr.pem, ott: minted.jwt })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, results.map((r) => r.text).join('\n')).toEqual([201, 401, 401, 401, 401, 401, 401, 401]);
      for (const r of results.filter((x) => x.status === 401)) expect((r.json as { code: string }).code).toBe('token_used');
      const certs = await ca.rows<{ serial: string }>(`select serial from certificates where token_jti = '${minted.record.jti}'`);
      expect(certs).toHaveLength(1);
      const [token] = await ca.rows<{ state: string; cert_serial: string }>(`select state, cert_serial from tokens where jti = '${minted.record.jti}'`);
      expect(token).toEqual({ state: 'used', cert_serial: certs[0]!.serial });
    }
  });

  it('a federation disabled through one instance is refused by the other at once, and works again when enabled', async () => {
    const minted = await mint('while-disabled');
    const csr = await makeCsr('while-disabled');
    const off = a.cli(['federation', 'disable', 'default', '--password-file', a.passwordFile]);
    expect(off.status, off.stderr).toBe(0);
    try {
      // B has not refreshed its records yet; the check inside the issuing transaction refuses.
      const r = await post(b.port, { csr: csr.pem, ott: minted.jwt });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect((r.json as { code: string }).code).toBe('federation_disabled');
    } finally {
      const on = a.cli(['federation', 'enable', 'default', '--password-file', a.passwordFile]);
      expect(on.status, on.stderr).toBe(0);
    }
    // Either instance may have cached "disabled" from its 5-second refresh in between
    // (A too: the CLI, not A, wrote the change): it then refuses until its next
    // refresh, never longer. Both must serve again before the next test.
    const servesAgain = async (port: number, job: { csr: string; ott: string }) => {
      let again = await post(port, job);
      for (let i = 0; i < 40 && again.status === 401 && (again.json as { code: string }).code === 'federation_disabled'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        again = await post(port, job);
      }
      expect(again.status, again.text).toBe(201);
    };
    await servesAgain(b.port, { csr: csr.pem, ott: minted.jwt });
    await servesAgain(a.port, { csr: (await makeCsr('after-enabled')).pem, ott: (await mint('after-enabled')).jwt });
  });

  it('a revocation made through A is in B\'s CRL and B\'s OCSP answer at once (openssl)', async () => {
    const minted = await mint('revoked-via-a');
    const issued = await post(a.port, { csr: (await makeCsr('revoked-via-a')).pem, ott: minted.jwt });
    expect(issued.status, issued.text).toBe(201);
    const { crt, ca: intermediatePem } = issued.json as { crt: string; ca: string };
    const serial = serialOf(crt);
    const files = { leaf: join(tmp.path, 'leaf.pem'), int: join(tmp.path, 'int.pem'), root: join(tmp.path, 'root.pem') };
    writeFileSync(files.leaf, crt);
    writeFileSync(files.int, intermediatePem);
    writeFileSync(files.root, rootPem);
    const ocspAtB = () => {
      const r = openssl(['ocsp', '-issuer', files.int, '-cert', files.leaf, '-url', `http://127.0.0.1:${bHttpPort}/ocsp/default`, '-CAfile', files.root, '-resp_text']);
      expect(r.stderr, r.stdout + r.stderr).toContain('Response verify OK');
      return r.stdout;
    };
    expect(ocspAtB()).toContain(`${files.leaf}: good`);
    const before = await crlAt(b.port);
    expect(before.serials).not.toContain(serial);

    const token = await ca.authority.mintRevokeToken({ serial }, { id: 'test' });
    const revoked = await httpsRequest(`https://localhost:${a.port}/1.0/revoke`, { body: { serial: serialToDecimal(serial), ott: token.jwt, reasonCode: 1 }, ca: rootPem });
    expect(revoked.status, revoked.text).toBe(200);

    // B did not make this CRL: it reads the one A stored.
    const after = await crlAt(b.port);
    expect(after.number).toBeGreaterThan(before.number);
    expect(after.serials).toContain(serial);
    const text = openssl(['crl', '-inform', 'DER', '-in', after.file, '-CAfile', files.int, '-verify', '-noout', '-text']);
    expect(text.stderr).toContain('verify OK');
    expect(text.stdout).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(text.stdout).toContain('Key Compromise');
    const pemFile = after.file.replace(/\.der$/, '.pem');
    writeFileSync(pemFile, openssl(['crl', '-inform', 'DER', '-in', after.file]).stdout);
    const verify = openssl(['verify', '-crl_check', '-CAfile', files.root, '-untrusted', files.int, '-CRLfile', pemFile, files.leaf]);
    expect(verify.status).not.toBe(0);
    expect(verify.stdout + verify.stderr).toContain('certificate revoked');

    const out = ocspAtB();
    expect(out).toContain(`${files.leaf}: revoked`);
    expect(out).toContain('Reason: keyCompromise');
  });

  it('CRL numbers only increase while both instances publish', async () => {
    // Eight certificates revoked four through each instance at once: every revocation publishes a CRL.
    const certs = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => (await ca.authority.signCsr({ federationId: 'default', csr: (await makeCsr(`crl-race-${i}`)).der }, { id: 'test' })).record.serial),
    );
    const tokens = await Promise.all(certs.map((serial) => ca.authority.mintRevokeToken({ serial }, { id: 'test' })));
    const seen: number[] = [];
    let revoking = true;
    // Meanwhile a client reads /crl from A, B, A, B…: the numbers it sees never go down.
    const reader = (async () => {
      for (let i = 0; revoking || i < 2; i++) seen.push((await crlAt(i % 2 ? b.port : a.port)).number);
    })();
    const answers = await Promise.all(
      certs.map((serial, i) =>
        httpsRequest(`https://localhost:${i % 2 ? b.port : a.port}/1.0/revoke`, { body: { serial: serialToDecimal(serial), ott: tokens[i]!.jwt }, ca: rootPem }),
      ),
    );
    revoking = false;
    await reader;
    for (const r of answers) expect(r.status, r.text).toBe(200);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));

    // Both now serve the same, newest list, holding all eight.
    const [atA, atB] = [await crlAt(a.port), await crlAt(b.port)];
    expect(atA.number).toBe(atB.number);
    for (const serial of certs) expect(atB.serials).toContain(serial);
    // Every CRL stored was numbered above the one before it, whichever instance built it
    // (in commit order, which is audit id order here: a build that lost writes no entry).
    const published = await ca.rows<{ target: string }>("select target from audit_log where action = 'CRL_PUBLISHED' order by id");
    const numbers = published.map((r) => Number(r.target.replace('crl:', '')));
    if (process.env.FEDPKI_TEST_VERBOSE) console.log(JSON.stringify({ seen, published: numbers }));
    expect(numbers.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]!);
    expect(numbers.at(-1)).toBe(atB.number);
    const [counter] = await ca.rows<{ last_number: string }>("select last_number from crl_counters where federation_id = 'default'");
    expect(Number(counter!.last_number)).toBeGreaterThanOrEqual(atB.number);
  });

  it('killing one instance (SIGKILL) mid-load loses no certificate a client was given and duplicates none', async () => {
    const COUNT = 48;
    const WORKERS = 6;
    const jobs = await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        const subject = `load-${i}`;
        const [minted, csr] = await Promise.all([mint(subject), makeCsr(subject)]);
        return { subject, jti: minted.record.jti, body: { csr: csr.pem, ott: minted.jwt } };
      }),
    );
    type Outcome = { jti: string; serial?: string; code?: string; networkErrors: number };
    const outcomes: Outcome[] = [];
    let issued = 0;
    let killedAt = -1;
    const killB = async () => {
      killedAt = issued;
      await b.kill('SIGKILL');
    };
    let cursor = 0;
    const worker = async () => {
      for (let job = jobs[cursor++]; job; job = jobs[cursor++]) {
        const outcome: Outcome = { jti: job.jti, networkErrors: 0 };
        // A client that loses its connection retries with the same token, as step does.
        for (let attempt = 0; attempt < 10; attempt++) {
          let r: Response;
          try {
            r = await post(lb.port, job.body);
          } catch {
            outcome.networkErrors++;
            await new Promise((res) => setTimeout(res, 100));
            continue;
          }
          if (r.status === 201) {
            outcome.serial = serialOf((r.json as { crt: string }).crt);
            issued++;
            if (issued === 12) void killB();
          } else outcome.code = (r.json as { code?: string } | undefined)?.code ?? `http_${r.status}`;
          break;
        }
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));

    expect(killedAt).toBeGreaterThanOrEqual(12);
    // B had been issuing before it was killed
    expect(b.logs().match(/certificate issued/g)?.length ?? 0).toBeGreaterThan(0);
    if (process.env.FEDPKI_TEST_VERBOSE) console.log(JSON.stringify({ killedAt, issued, retried: outcomes.filter((o) => o.networkErrors).map((o) => [o.code ?? 'ok', o.networkErrors]) }));
    expect(b.child.signalCode).toBe('SIGKILL');
    expect(outcomes).toHaveLength(COUNT);
    // the load went on after the kill, through the surviving instance
    expect(issued).toBeGreaterThan(killedAt);

    const certs = await ca.rows<{ serial: string; token_jti: string }>("select serial, token_jti from certificates where common_name like 'load-%'");
    const tokens = await ca.rows<{ jti: string; state: string; cert_serial: string | null }>("select jti, state, cert_serial from tokens where subject like 'load-%'");
    const audit = await ca.rows<{ target: string }>("select target from audit_log where action = 'CERT_ISSUED'");
    const certBySerial = new Map(certs.map((c) => [c.serial, c]));
    const tokenByJti = new Map(tokens.map((t) => [t.jti, t]));
    const audited = new Set(audit.map((x) => x.target));

    for (const o of outcomes) {
      const token = tokenByJti.get(o.jti)!;
      if (o.serial) {
        // every certificate a client was told about is recorded, bound to its token, audited
        expect(certBySerial.get(o.serial)?.token_jti).toBe(o.jti);
        expect(token).toMatchObject({ state: 'used', cert_serial: o.serial });
        expect(audited.has(o.serial)).toBe(true);
      } else if (o.code === 'token_used') {
        // the killed instance committed, then died before answering: the certificate exists
        expect(o.networkErrors).toBeGreaterThan(0);
        expect(token.state).toBe('used');
        expect(certBySerial.has(token.cert_serial!)).toBe(true);
      } else {
        expect.fail(`token ${o.jti.slice(0, 8)} ended with ${o.code ?? 'no answer'} after ${o.networkErrors} network errors`);
      }
    }
    // no duplicates: one certificate per consumed token, every consumed token has one
    expect(new Set(certs.map((c) => c.token_jti)).size).toBe(certs.length);
    const used = tokens.filter((t) => t.state === 'used');
    expect(used).toHaveLength(certs.length);
    for (const t of used) expect(certBySerial.get(t.cert_serial!)?.token_jti).toBe(t.jti);
    expect(tokens.filter((t) => t.state === 'pending')).toHaveLength(0);
  });
});
