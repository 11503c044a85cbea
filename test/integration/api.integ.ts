/**
 * The CA core over real HTTPS and a real database file: enrollment with `fedpki
 * certify`, with the step CLI's own CSR, with an openssl CSR; every certificate checked
 * by openssl; every refusal shown with its status and message, and shown to leave no
 * certificate behind and the token untouched.
 */

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '@/lib/pki/encoding';
import { sha256 } from '@/lib/pki/crypto';
import { toHex } from '@/lib/pki/encoding';
import { fromPem } from '@/lib/pki/pem';
import { bitString, explicit, nullValue, octetString, oid, sequence, unsignedInteger } from '@/lib/pki/der';
import { encodeName } from '@/lib/pki/name';
import * as OID from '@/lib/pki/oids';
import { CertificateAuthority } from '@/lib/ca/authority';
import { openDatabase } from '@/db/client';
import { SqliteCaStore } from '@/db/store';
import { defaultSigningThreads } from '@/server/signing-pool';
import { forgeToken, openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { openssl, opensslVerify, x509Text } from '../helpers/openssl';
import { FIXTURES, ROOT, tempDir } from '../helpers/paths';
import { startFedpki, runCli, baseEnv, type Fedpki } from '../helpers/server';

let srv: Fedpki;
let ca: TestCa;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  srv = await startFedpki();
  ca = await openTestCa(srv);
  tmp = tempDir();
});

afterAll(async () => {
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

const sign = (body: unknown, o: { raw?: string; headers?: Record<string, string> } = {}) =>
  httpsRequest(`${srv.origin}/1.0/sign`, { body: o.raw === undefined ? body : undefined, raw: o.raw, headers: o.headers, ca: srv.rootPem });

function mint(name: string, extra: string[] = []): string {
  const token = srv.mint(name, extra);
  expect(token.split('.')).toHaveLength(2);
  return token;
}

const jwtOf = (token: string) => Buffer.from(token.split('.')[0]!, 'base64').toString('utf8');

describe('the step-compatible read API', () => {
  it('answers /health, /version, /roots, /root/{sha}, /provisioners at / and /1.0', async () => {
    for (const prefix of ['', '/1.0']) {
      const health = await httpsRequest(`${srv.origin}${prefix}/health`, { ca: srv.rootPem });
      expect(health.status).toBe(200);
      expect(health.json).toEqual({ status: 'ok' });
      const roots = await httpsRequest(`${srv.origin}${prefix}/roots`, { ca: srv.rootPem });
      expect(roots.status).toBe(201);
      const fp = toHex(await sha256(fromPem(srv.rootPem)!));
      const root = await httpsRequest(`${srv.origin}${prefix}/root/${fp}`, { ca: srv.rootPem });
      expect(root.status).toBe(200);
      expect((root.json as { ca: string }).ca).toBe(srv.rootPem);
      const provs = await httpsRequest(`${srv.origin}${prefix}/provisioners`, { ca: srv.rootPem });
      expect(provs.status).toBe(200);
      const list = (provs.json as { provisioners: { type: string; key: { kid: string; alg: string } }[] }).provisioners;
      expect(list).toHaveLength(1);
      expect(list[0]!.type).toBe('JWK');
      expect(list[0]!.key.alg).toBe('ES256');
    }
    const missing = await httpsRequest(`${srv.origin}/root/${'0'.repeat(64)}`, { ca: srv.rootPem });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 404 });
    const badLimit = await httpsRequest(`${srv.origin}/provisioners?limit=abc`, { ca: srv.rootPem });
    expect(badLimit.status).toBe(400);
  });

  it('answers a method a route does not take with 405 and an Allow header, as step-ca\'s router does', async () => {
    for (const [method, path, allow] of [
      ['GET', '/1.0/sign', 'POST'],
      ['PUT', '/sign', 'POST'],
      ['OPTIONS', '/revoke', 'POST'],
      ['POST', '/roots', 'GET, HEAD'],
      ['PUT', '/crl', 'GET, HEAD'],
      ['DELETE', '/ocsp', 'GET, HEAD, POST'],
    ] as const) {
      const r = await httpsRequest(`${srv.origin}${path}`, { method, ca: srv.rootPem });
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow, `${method} ${path}`).toBe(allow);
      expect(r.json).toMatchObject({ status: 405, code: 'method_not_allowed', message: `The request could not be completed: ${method} is not allowed on ${path.replace('/1.0', '')}.` });
    }
  });

  it('answers malformed percent-encoding in a path with 400 bad_request, not a server error, and keeps serving', async () => {
    // The step API's paths, then the portal's (Next.js would answer those with a bare 500).
    for (const path of ['/root/%', '/1.0/root/%zz', '/crl/%', '/crl/%E0%A4%A.crl', '/intermediate/%.crt', '/federations/%ZZ', '/certificates/%E0%A4%A', '/api/certificates/%E0/x', '/enroll/%']) {
      const r = await httpsRequest(`${srv.origin}${path}`, { ca: srv.rootPem });
      expect(r.status, path).toBe(400);
      expect(r.json, path).toMatchObject({ status: 400, code: 'bad_request', message: expect.stringMatching(/not validly percent-encoded/) });
    }
    expect((await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem })).status).toBe(200);
  });

  it('serves a TLS certificate that chains to the federation root, for localhost and 127.0.0.1', async () => {
    const byName = await httpsRequest(`https://localhost:${srv.port}/health`, { ca: srv.rootPem });
    expect(byName.status).toBe(200);
    const byIp = await httpsRequest(`https://127.0.0.1:${srv.port}/health`, { ca: srv.rootPem });
    expect(byIp.status).toBe(200);
  });
});

describe('enrollment', () => {
  it('fedpki certify writes root_ca.crt, NAME.crt (leaf + intermediate) and a 0600 NAME.key that openssl accepts', () => {
    const token = mint('collaborator1');
    const certs = join(tmp.path, 'cert-col1');
    const r = runCli(['certify', '-n', 'collaborator1', '-t', token, '-c', certs], baseEnv(srv.dataDir));
    expect(r.status, r.stderr).toBe(0);
    const chain = readFileSync(join(certs, 'collaborator1.crt'), 'utf8');
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const verify = openssl(['verify', '-CAfile', join(certs, 'root_ca.crt'), '-untrusted', join(certs, 'collaborator1.crt'), join(certs, 'collaborator1.crt')]);
    expect(verify.stdout).toContain(': OK');
    const key = readFileSync(join(certs, 'collaborator1.key'), 'utf8');
    expect(key).toContain('BEGIN EC PRIVATE KEY');
    // the key matches the certificate
    const fromKey = openssl(['pkey', '-in', join(certs, 'collaborator1.key'), '-pubout']).stdout;
    const fromCert = openssl(['x509', '-in', join(certs, 'collaborator1.crt'), '-noout', '-pubkey']).stdout;
    expect(fromKey).toBe(fromCert);
    expect(statSync(join(certs, 'collaborator1.key')).mode & 0o777).toBe(0o600);

    const text = x509Text(chain);
    expect(text).toMatch(/Subject: CN ?= ?collaborator1\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Subject Key Identifier/);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:collaborator1\n/);
    expect(text).toMatch(/Public-Key: \(384 bit\)/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    const serial = text.match(/Serial Number:\s+([0-9a-f:]+)/)![1]!;
    expect(serial.replace(/:/g, '').length).toBeGreaterThanOrEqual(16);
    const nb = new Date(text.match(/Not Before: (.+)/)![1]!);
    const na = new Date(text.match(/Not After : (.+)/)![1]!);
    expect(Math.round((na.getTime() - nb.getTime()) / 1000)).toBe(365 * 86400 + 60);
    expect(nb.getTime()).toBeLessThanOrEqual(Date.now() - 55_000);
  });

  it('accepts the step CLI CSR vector as `fx pki certify` sends it, bootstrapping trust from the token sha', async () => {
    const token = mint('collaborator1');
    const [jwtB64, rootB64] = token.split('.') as [string, string];
    const jwt = Buffer.from(jwtB64, 'base64').toString();
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { aud: string; sha: string };
    expect(Buffer.from(rootB64, 'base64').toString()).toBe(srv.rootPem);
    // step: GET /root/{sha} without verification, check the fingerprint, then pin it.
    const origin = new URL(claims.aud).origin;
    const boot = await httpsRequest(`${origin}/root/${claims.sha}`, { insecure: true });
    const pinned = (boot.json as { ca: string }).ca;
    expect(toHex(await sha256(fromPem(pinned)!))).toBe(claims.sha);
    const csr = readFileSync(join(FIXTURES, 'step', 'step-cli-p384.csr'), 'utf8');
    const r = await httpsRequest(`${origin}/sign`, { body: { csr, ott: jwt, notBefore: '', notAfter: '' }, ca: pinned });
    expect(r.status, r.text).toBe(201);
    const body = r.json as { crt: string; ca: string; certChain: string[]; tlsOptions: unknown };
    expect(body.certChain).toEqual([body.crt, body.ca]);
    expect(body.tlsOptions).toBeTruthy();
    expect(opensslVerify(tmp.path, srv.rootPem, body.ca, body.crt).ok).toBe(true);
    // the leaf carries the vector's public key
    const vectorKey = openssl(['req', '-in', join(FIXTURES, 'step', 'step-cli-p384.csr'), '-noout', '-pubkey']).stdout;
    expect(openssl(['x509', '-noout', '-pubkey'], body.crt).stdout).toBe(vectorKey);
  });

  it('signs a CSR made by `openssl req` and posted to /sign', async () => {
    const token = mint('agg.example.org', ['--role', 'aggregator', '--san', 'agg.example.org', '--san', '10.1.2.3']);
    const key = join(tmp.path, 'agg.key');
    const csrFile = join(tmp.path, 'agg.csr');
    const req = openssl(['req', '-new', '-newkey', 'rsa:3072', '-nodes', '-keyout', key, '-out', csrFile, '-subj', '/CN=agg.example.org', '-addext', 'subjectAltName=DNS:agg.example.org,IP:10.1.2.3']);
    expect(req.status, req.stderr).toBe(0);
    const r = await sign({ csr: readFileSync(csrFile, 'utf8'), ott: jwtOf(token) });
    expect(r.status, r.text).toBe(201);
    const { crt, ca: intermediate } = r.json as { crt: string; ca: string };
    expect(opensslVerify(tmp.path, srv.rootPem, intermediate, crt).ok).toBe(true);
    const text = x509Text(crt);
    expect(text).toMatch(/Digital Signature, Key Encipherment/);
    expect(text).toMatch(/DNS:agg.example.org, IP Address:10.1.2.3/);
  });

  it('records the certificate, consumes the token and writes the audit entry', async () => {
    const before = (await ca.counts());
    const token = mint('audited-node');
    const { pem } = await makeCsr('audited-node');
    const r = await sign({ csr: pem, ott: jwtOf(token) });
    expect(r.status).toBe(201);
    const after = (await ca.counts());
    expect(after.certificates).toBe(before.certificates + 1);
    expect(after.usedTokens).toBe(before.usedTokens + 1);
    const [row] = await ca.rows<{ target: string }>("select action, target from audit_log where action = 'CERT_ISSUED' order by id desc limit 1");
    const serial = openssl(['x509', '-noout', '-serial'], (r.json as { crt: string }).crt).stdout.trim().split('=')[1]!.toLowerCase();
    // openssl prints whole bytes; FedPKI drops leading zero bytes only (0c… stays 0c…)
    expect(row!.target).toBe(serial.replace(/^(00)+/, ''));
  });
});

describe('refusals leave nothing behind', () => {
  type Case = { name: string; status: number; code: string; message: RegExp; build: () => Promise<{ body?: unknown; raw?: string; headers?: Record<string, string>; jti?: string }> };

  const forge = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, record = true) =>
    forgeToken({ ctx: ca.ctx(), store: ca.store, claims: { sub: 'node-x', sans: ['node-x'], ...claims }, header, record });

  const cases: Case[] = [
    {
      name: 'an expired token',
      status: 401,
      code: 'token_expired',
      message: /expired/,
      build: async () => {
        const t = await forge({ exp: Math.floor(Date.now() / 1000) - 3600, nbf: Math.floor(Date.now() / 1000) - 7200, iat: Math.floor(Date.now() / 1000) - 7200 });
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a token not yet valid',
      status: 401,
      code: 'token_not_yet_valid',
      message: /not valid yet/,
      build: async () => {
        const t = await forge({ nbf: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 });
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a token for another audience',
      status: 401,
      code: 'token_audience_invalid',
      message: /meant for https:\/\/ca\.evil\.example/,
      build: async () => {
        const t = await forge({ aud: 'https://ca.evil.example/1.0/sign' });
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a tampered payload with the original signature',
      status: 401,
      code: 'token_signature_invalid',
      message: /signature is not valid/,
      build: async () => {
        const t = await forge();
        const [h, , s] = t.jwt.split('.');
        const claims = { ...t.claims, sub: 'admin-node', sans: ['admin-node'] };
        return { body: { csr: (await makeCsr('admin-node')).pem, ott: `${h}.${toBase64Url(utf8(JSON.stringify(claims)))}.${s}` }, jti: t.claims.jti };
      },
    },
    {
      name: 'alg: none',
      status: 401,
      code: 'token_algorithm_refused',
      message: /must be signed with ES256/,
      build: async () => {
        const t = await forge();
        const [, c] = t.jwt.split('.');
        return { body: { csr: (await makeCsr('node-x')).pem, ott: `${toBase64Url(utf8('{"alg":"none","typ":"JWT"}'))}.${c}.` }, jti: t.claims.jti };
      },
    },
    {
      name: 'HS256 signed with the public key as the secret',
      status: 401,
      code: 'token_algorithm_refused',
      message: /must be signed with ES256/,
      build: async () => {
        const t = await forge();
        const [, c] = t.jwt.split('.');
        const h = toBase64Url(utf8(JSON.stringify({ alg: 'HS256', kid: ca.ctx().provisioner.kid, typ: 'JWT' })));
        const secret = JSON.stringify(ca.ctx().provisioner.jwk);
        const sig = createHmac('sha256', secret).update(`${h}.${c}`).digest('base64url');
        return { body: { csr: (await makeCsr('node-x')).pem, ott: `${h}.${c}.${sig}` }, jti: t.claims.jti };
      },
    },
    {
      name: 'a swapped kid',
      status: 401,
      code: 'token_key_unknown',
      message: /not signed by a provisioner of this certificate authority/,
      build: async () => {
        const t = await forge({}, { kid: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: "another federation's token",
      status: 401,
      code: 'token_key_unknown',
      message: /not signed by a provisioner/,
      build: async () => {
        const other = tempDir();
        const db = openDatabase({ file: join(other.path, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
        const store = new SqliteCaStore(db);
        const authority = new CertificateAuthority({ store, password: 'another password', iterations: 1000 });
        const ctx = await authority.createFederation({ id: 'other', name: 'Other', caUrl: srv.caUrl }, { id: 'test' });
        const minted = await authority.mintToken('other', { subject: 'node-x' }, { id: 'test' });
        db.$client.close();
        other.remove();
        expect(ctx.root.fingerprint).not.toBe(ca.ctx().root.fingerprint);
        return { body: { csr: (await makeCsr('node-x')).pem, ott: minted.jwt } };
      },
    },
    {
      name: 'a token this CA never issued (unknown jti)',
      status: 401,
      code: 'token_unknown',
      message: /no record of it/,
      build: async () => {
        const t = await forge({}, {}, false);
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt } };
      },
    },
    {
      name: 'a cancelled token',
      status: 401,
      code: 'token_cancelled',
      message: /cancelled/,
      build: async () => {
        const t = await forge();
        await ca.authority.cancelToken(t.claims.jti, { id: 'test' });
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt } };
      },
    },
    {
      name: 'a CSR whose CN is not the token subject',
      status: 403,
      code: 'csr_name_mismatch',
      message: /common name "intruder" is not the token's subject "node-x"/,
      build: async () => {
        const t = await forge();
        return { body: { csr: (await makeCsr('intruder', ['node-x'])).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a CSR with an extra SAN',
      status: 403,
      code: 'csr_san_mismatch',
      message: /does not contain the valid DNS names - got \[node-x evil\.example\], want \[node-x\]/,
      build: async () => {
        const t = await forge();
        return { body: { csr: (await makeCsr('node-x', ['node-x', 'evil.example'])).pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a CSR with a bad self-signature',
      status: 400,
      code: 'csr_signature_invalid',
      message: /does not prove possession/,
      build: async () => {
        const t = await forge();
        const { der } = await makeCsr('node-x');
        const bad = new Uint8Array(der);
        bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x01;
        const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(bad).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
        return { body: { csr: pem, ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'an RSA-1024 key',
      status: 403,
      code: 'policy_key_weak',
      message: /at least 2048 bits; this one has 1024/,
      build: async () => {
        const t = await forge();
        const out = join(tmp.path, 'weak.csr');
        const r = openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', join(tmp.path, 'weak.key'), '-out', out, '-subj', '/CN=node-x']);
        expect(r.status, r.stderr).toBe(0);
        return { body: { csr: readFileSync(out, 'utf8'), ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'an RSA key with public exponent 1, whose CSR was "signed" without any private key',
      status: 403,
      code: 'policy_key_weak',
      message: /public exponent must be odd and from 65537 to 2\^256 - 1, this one is 1;/,
      build: async () => {
        const t = await forge();
        return { body: { csr: await exponentOneCsr('node-x'), ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'an RSA key with public exponent 3 (openssl)',
      status: 403,
      code: 'policy_key_weak',
      message: /this one is 3;/,
      build: async () => {
        const t = await forge();
        const key = join(tmp.path, 'e3.key');
        const out = join(tmp.path, 'e3.csr');
        expect(openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3', '-out', key]).status).toBe(0);
        const r = openssl(['req', '-new', '-key', key, '-out', out, '-subj', '/CN=node-x']);
        expect(r.status, r.stderr).toBe(0);
        return { body: { csr: readFileSync(out, 'utf8'), ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a CSR whose subject holds two common names (openssl)',
      status: 403,
      code: 'csr_name_mismatch',
      message: /holds 2 common names; a node has one/,
      build: async () => {
        const t = await forge();
        const out = join(tmp.path, 'two-cn.csr');
        const r = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.path, 'two-cn.key'), '-out', out, '-subj', '/CN=node-x/CN=node-y']);
        expect(r.status, r.stderr).toBe(0);
        return { body: { csr: readFileSync(out, 'utf8'), ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'garbage bytes in the CSR',
      status: 400,
      code: 'csr_malformed',
      message: /invalid csr/,
      build: async () => {
        const t = await forge();
        return { body: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ\n-----END CERTIFICATE REQUEST-----\n', ott: t.jwt }, jti: t.claims.jti };
      },
    },
    {
      name: 'a notAfter duration past Go\'s range (int64 nanoseconds)',
      status: 400,
      code: 'bad_request',
      message: /notAfter must be an RFC 3339 time or a duration/,
      build: async () => {
        const t = await forge();
        return { body: { csr: (await makeCsr('node-x')).pem, ott: t.jwt, notAfter: '99999999999h' }, jti: t.claims.jti };
      },
    },
    {
      name: 'a body that is not JSON',
      status: 400,
      code: 'bad_request',
      message: /not valid JSON/,
      build: async () => ({ raw: '\u0000\u00ff garbage {', headers: { 'Content-Type': 'application/json' } }),
    },
    {
      name: 'a garbage token',
      status: 401,
      code: 'token_malformed',
      message: /malformed/,
      build: async () => ({ body: { csr: (await makeCsr('node-x')).pem, ott: 'not.a.jwt' } }),
    },
    {
      name: 'a missing token',
      status: 400,
      code: 'ott_missing',
      message: /missing ott/,
      build: async () => ({ body: { csr: (await makeCsr('node-x')).pem } }),
    },
    {
      name: 'a missing CSR',
      status: 400,
      code: 'csr_missing',
      message: /missing csr/,
      build: async () => ({ body: { ott: 'x' } }),
    },
    {
      name: 'a non-JSON content type',
      status: 415,
      code: 'unsupported_media_type',
      message: /must be JSON/,
      build: async () => ({ raw: 'csr=x&ott=y', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status} ${c.code}`, async () => {
      const req = await c.build();
      const before = (await ca.counts());
      const r = await sign(req.body, { raw: req.raw, headers: req.headers });
      expect(r.status, r.text).toBe(c.status);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      const body = r.json as { status: number; message: string; code: string };
      expect(body.status).toBe(c.status);
      expect(body.code).toBe(c.code);
      expect(body.message).toMatch(c.message);
      const after = (await ca.counts());
      expect(after.certificates).toBe(before.certificates);
      expect(after.usedTokens).toBe(before.usedTokens);
      if (req.jti) expect((await ca.store.getToken(req.jti))?.state).toBe('pending');
    });
  }

  it('refuses a reused token with 401 token_used, and the first certificate stays the only one', async () => {
    const token = mint('reuse-node');
    const first = await sign({ csr: (await makeCsr('reuse-node')).pem, ott: jwtOf(token) });
    expect(first.status).toBe(201);
    const before = (await ca.counts());
    const second = await sign({ csr: (await makeCsr('reuse-node')).pem, ott: jwtOf(token) });
    expect(second.status).toBe(401);
    expect(second.json).toMatchObject({ code: 'token_used', message: expect.stringMatching(/already been used/) });
    expect((await ca.counts()).certificates).toBe(before.certificates);
  });

  it('keeps serving after all of that', async () => {
    const r = await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem });
    expect(r.status).toBe(200);
  });
});

describe('signing threads', () => {
  it.runIf(process.platform === 'linux')('are named fedpki-sign-N, so top -H, perf and the benchmark can tell them apart', () => {
    const pid = srv.child.pid!;
    const names = readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    const expected = Array.from({ length: defaultSigningThreads() }, (_, i) => `fedpki-sign-${i}`);
    expect(names.filter((n) => n.startsWith('fedpki-sign')).sort()).toEqual(expected);
  });
});

describe('the CA password', () => {
  it('a wrong password refuses to start and changes nothing', async () => {
    const dbFile = join(srv.dataDir, 'fedpki.db');
    const auditBefore = (await ca.counts()).audit;
    const wrong = join(tmp.path, 'wrong-password');
    writeFileSync(wrong, 'not the password\n');
    const r = runCli(['get-token', '-n', 'x', '-p', srv.dataDir, '--password-file', wrong], srv.env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CA password is wrong/);
    const run = runCli(['run', '-p', srv.dataDir, '--password-file', wrong, '--api-only'], { ...srv.env, FEDPKI_CA_URL: 'localhost:1' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/CA password is wrong/);
    expect((await ca.counts()).audit).toBe(auditBefore);
    if (srv.database === 'sqlite') expect(readFileSync(dbFile).length).toBeGreaterThan(0);
  });

  it('stores every CA key as PKCS#8 PBES2 (PBKDF2-SHA256, AES-256-CBC) that openssl opens with the password', async () => {
    const rows = await ca.rows<{ purpose: string; encrypted_key: string }>('select purpose, encrypted_key from ca_keys');
    expect(rows.map((r) => r.purpose).sort()).toEqual(['intermediate', 'provisioner', 'root']);
    for (const row of rows) {
      expect(row.encrypted_key).toContain('BEGIN ENCRYPTED PRIVATE KEY');
      const parsed = openssl(['asn1parse'], row.encrypted_key).stdout;
      expect(parsed).toMatch(/PBES2/);
      expect(parsed).toMatch(/PBKDF2/);
      expect(parsed).toMatch(/hmacWithSHA256/);
      expect(parsed).toMatch(/aes-256-cbc/);
      const open = openssl(['pkey', '-passin', `pass:correct horse battery staple`, '-noout', '-text'], row.encrypted_key);
      expect(open.status, open.stderr).toBe(0);
      const wrong = openssl(['pkey', '-passin', 'pass:wrong', '-noout'], row.encrypted_key);
      expect(wrong.status).not.toBe(0);
    }
  });
});

describe('the audit log', () => {
  it('refuses UPDATE and DELETE in the database itself', async () => {
    const before = await ca.rows<{ id: number; actor: string }>('select id, actor from audit_log order by id limit 1');
    await expect(ca.rows("update audit_log set actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(ca.rows('delete from audit_log')).rejects.toThrow(/append-only/);
    if (ca.database.kind === 'postgres') await expect(ca.rows('truncate audit_log')).rejects.toThrow(/append-only/);
    expect(await ca.rows('select id, actor from audit_log order by id limit 1')).toEqual(before);
  });
});

/**
 * A CSR for an "RSA key" with public exponent 1: with e = 1 the PKCS#1 v1.5 check
 * s^e mod n = EM holds for s = EM itself, so the self-signature is just the padded
 * hash and no private key exists. The modulus is random (odd, top bit set).
 */
async function exponentOneCsr(cn: string): Promise<string> {
  const n = randomBytes(256);
  n[0] = n[0]! | 0x80;
  n[255] = n[255]! | 1;
  const spki = sequence(sequence(oid(OID.rsaEncryption), nullValue()), bitString(sequence(unsignedInteger(n), unsignedInteger(Uint8Array.of(1)))));
  const info = sequence(unsignedInteger(Uint8Array.of(0)), encodeName([{ type: OID.id_at_commonName, value: cn }]), spki, explicit(0));
  const digestInfo = sequence(sequence(oid(OID.id_sha256), nullValue()), octetString(createHash('sha256').update(info).digest()));
  const em = Buffer.concat([Buffer.of(0, 1), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.of(0), digestInfo]);
  const der = sequence(info, sequence(oid(OID.sha256WithRSAEncryption), nullValue()), bitString(em));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}
