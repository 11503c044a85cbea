/**
 * Request headers a client must not control. The custom server (server/app.ts) strips
 * `x-middleware-subrequest` (the Next.js middleware-bypass header), `x-nonce`,
 * `content-security-policy` and `x-fedpki-client-ip` from every portal request, and
 * without FEDPKI_TRUST_PROXY drops `X-Forwarded-For`/`-Host` and sets
 * `X-Forwarded-Proto` itself; server/http.ts believes `X-Forwarded-For` only with
 * FEDPKI_TRUST_PROXY. So: the audit trail records the real peer for enrollments and
 * sign-ins whatever the request claims, the forwarded address only behind a trusted
 * proxy, signed-out visitors never get a portal page, and the page CSP nonce is always
 * the server's own.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCa, type TestCa } from '../../helpers/ca';
import { makeCsr } from '../../helpers/csr';
import { httpsRequest, type RequestOptions, type Response } from '../../helpers/https';
import { TEST_ADMIN_PASSWORD, freePort, startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';

const SPOOFED = '203.0.113.9';
const PEER = '127.0.0.1';

interface Instance {
  srv: Fedpki;
  ca: TestCa;
  /** The plain-HTTP listener (where a TLS-terminating proxy forwards to). */
  httpOrigin: string;
}

let direct: Instance;
let proxied: Instance;

/** Spoofed requests sent, and how many of them the server believed. */
const figures = { spoofedRequests: 0, spoofedHonoured: 0, forwardedByTrustedProxy: 0, forwardedHonoured: 0, middlewareBypassTried: 0, nonceForgeries: 0 };

async function start(trustProxy: boolean): Promise<Instance> {
  const httpPort = await freePort();
  const srv = await startFedpki({
    apiOnly: false,
    httpPort,
    env: { FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...(trustProxy ? { FEDPKI_TRUST_PROXY: '1' } : {}) },
  });
  const ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
  return { srv, ca, httpOrigin: `http://127.0.0.1:${httpPort}` };
}

beforeAll(async () => {
  [direct, proxied] = await Promise.all([start(false), start(true)]);
});

afterAll(async () => {
  for (const i of [direct, proxied]) {
    await i?.ca.close();
    await i?.srv.stop();
    i?.srv.cleanup();
  }
  recordFigures('forwarded-headers', figures);
});

/** A request to either listener of an instance. */
function send(i: Instance, via: 'https' | 'http', path: string, o: RequestOptions = {}): Promise<Response> {
  return via === 'https' ? httpsRequest(i.srv.origin + path, { ca: i.srv.rootPem, ...o }) : httpsRequest(i.httpOrigin + path, o);
}

function cookiePairs(r: Response): string[] {
  const h = r.headers['set-cookie'];
  return (Array.isArray(h) ? h : h ? [h] : []).map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='));
}

/** next-auth's credentials sign-in, as the sign-in page posts it, with extra request headers. */
async function signIn(i: Instance, via: 'https' | 'http', username: string, password: string, headers: Record<string, string>): Promise<'signed-in' | 'refused'> {
  const csrf = await send(i, via, '/api/auth/csrf', { headers });
  expect(csrf.status).toBe(200);
  const csrfCookie = cookiePairs(csrf).find((c) => c.includes('next-auth.csrf-token='));
  expect(csrfCookie, 'next-auth set its CSRF cookie').toBeDefined();
  const origin = via === 'https' ? i.srv.origin : i.httpOrigin;
  const fields = { username, password, csrfToken: (csrf.json as { csrfToken: string }).csrfToken, callbackUrl: `${origin}/`, json: 'true' };
  const r = await send(i, via, '/api/auth/callback/credentials', {
    method: 'POST',
    raw: new URLSearchParams(fields).toString(),
    headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie!, Origin: origin },
  });
  const url = new URL((r.json as { url?: string } | undefined)?.url ?? String(r.headers.location ?? '/'), origin);
  // A refusal that never reached the password check (CSRF) would leave no audit entry.
  expect(url.searchParams.get('csrf'), 'the CSRF check passed').toBeNull();
  return cookiePairs(r).some((c) => c.includes('next-auth.session-token=')) ? 'signed-in' : 'refused';
}

function mint(i: Instance, name: string): string {
  return Buffer.from(i.srv.mint(name).split('.')[0]!, 'base64').toString('utf8');
}

/** Enrolls `name` with a fresh token and CSR, sending `headers`. */
async function enroll(i: Instance, via: 'https' | 'http', name: string, headers: Record<string, string>): Promise<void> {
  const ott = mint(i, name);
  const csr = await makeCsr(name);
  const r = await send(i, via, '/1.0/sign', { body: { csr: csr.pem, ott }, headers });
  expect(r.status, r.text).toBe(201);
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The source address the audit log recorded for `name`'s certificate. */
async function issuedFrom(i: Instance, name: string): Promise<(string | null)[]> {
  const rows = await i.ca.rows<{ source_ip: string | null }>(
    `select a.source_ip from audit_log a join certificates c on c.serial = a.target where a.action = 'CERT_ISSUED' and c.common_name = ${sqlText(name)}`,
  );
  return rows.map((r) => r.source_ip);
}

/** The source addresses the audit log recorded for sign-in attempts by `username`. */
async function signInsFrom(i: Instance, action: 'SIGN_IN' | 'SIGN_IN_FAILED', username: string, since = 0): Promise<(string | null)[]> {
  const rows = await i.ca.rows<{ source_ip: string | null }>(
    `select source_ip from audit_log where action = ${sqlText(action)} and target = ${sqlText(username)} and id > ${since} order by id`,
  );
  return rows.map((r) => r.source_ip);
}

async function lastAuditId(i: Instance): Promise<number> {
  return Number((await i.ca.rows<{ n: number | null }>('select max(id) n from audit_log'))[0]!.n ?? 0);
}

/** Every way a client might claim to be someone else. */
const SPOOFS: Record<string, Record<string, string>> = {
  'X-Forwarded-For and x-fedpki-client-ip': { 'X-Forwarded-For': SPOOFED, 'x-fedpki-client-ip': SPOOFED },
  'a list in X-Forwarded-For': { 'X-Forwarded-For': `${SPOOFED}, 198.51.100.7` },
  'x-fedpki-client-ip alone': { 'x-fedpki-client-ip': SPOOFED },
};

/** Checks one spoofed request's recorded addresses and counts it. */
function expectPeer(recorded: (string | null)[], label: string): void {
  expect(recorded, label).toHaveLength(1);
  figures.spoofedRequests++;
  if (recorded[0] !== PEER) figures.spoofedHonoured++;
  expect(recorded[0], label).toBe(PEER);
}

describe('without FEDPKI_TRUST_PROXY', () => {
  it('records the real peer, not a forwarded or forged address, for enrollments on either listener', async () => {
    let n = 0;
    for (const via of ['https', 'http'] as const) {
      for (const [label, headers] of Object.entries(SPOOFS)) {
        const name = `direct-enroll-${via}-${n++}.example`;
        await enroll(direct, via, name, headers);
        expectPeer(await issuedFrom(direct, name), `${via}, ${label}`);
      }
    }
  });

  it('records the real peer for failed and successful sign-ins', async () => {
    let n = 0;
    for (const via of ['https', 'http'] as const) {
      for (const [label, headers] of Object.entries(SPOOFS)) {
        const username = `nobody-${via}-${n++}`;
        expect(await signIn(direct, via, username, 'wrong password', headers)).toBe('refused');
        expectPeer(await signInsFrom(direct, 'SIGN_IN_FAILED', username), `failed sign-in, ${via}, ${label}`);
      }
    }
    const since = await lastAuditId(direct);
    expect(await signIn(direct, 'https', 'admin', TEST_ADMIN_PASSWORD, SPOOFS['X-Forwarded-For and x-fedpki-client-ip']!)).toBe('signed-in');
    expectPeer(await signInsFrom(direct, 'SIGN_IN', 'admin', since), 'successful sign-in');
  });

  it('keeps a client-sent X-Forwarded-Host or X-Forwarded-Proto out of the cross-site check', async () => {
    const post = (headers: Record<string, string>) =>
      send(direct, 'https', '/certificates', { method: 'POST', raw: 'x', headers: { 'Content-Type': 'text/plain', ...headers } });
    // The page's own origin passes the check (whatever Next.js then makes of the POST).
    const own = await post({ Origin: direct.srv.origin });
    expect(own.status).not.toBe(403);
    // Another site that names itself as the forwarded host, or a forged scheme, does not.
    const forged: Record<string, string>[] = [
      { Origin: 'https://evil.example', 'X-Forwarded-Host': 'evil.example' },
      { Origin: 'https://evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
      { Origin: direct.srv.origin.replace('https:', 'http:'), 'X-Forwarded-Proto': 'http' },
    ];
    for (const headers of forged) {
      const r = await post(headers);
      figures.spoofedRequests++;
      if (r.status !== 403) figures.spoofedHonoured++;
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.text).toMatch(/^Refused: this request did not come from a FedPKI page/);
    }
    // The signed-out redirect stays on this server, whatever host a client forwards.
    const r = await send(direct, 'https', '/certificates', { headers: { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' } });
    expect(r.status).toBe(307);
    expect(new URL(String(r.headers.location), direct.srv.origin).origin, String(r.headers.location)).toBe(direct.srv.origin);
  });
});

describe('with FEDPKI_TRUST_PROXY', () => {
  it('records the address the proxy forwards, for enrollments and sign-ins', async () => {
    const forwarded = { 'X-Forwarded-For': SPOOFED, 'X-Forwarded-Proto': 'https' };
    await enroll(proxied, 'http', 'proxied-enroll.example', forwarded);
    const username = 'proxied-nobody';
    expect(await signIn(proxied, 'http', username, 'wrong password', forwarded)).toBe('refused');
    for (const recorded of [await issuedFrom(proxied, 'proxied-enroll.example'), await signInsFrom(proxied, 'SIGN_IN_FAILED', username)]) {
      figures.forwardedByTrustedProxy++;
      if (recorded[0] === SPOOFED) figures.forwardedHonoured++;
      expect(recorded).toEqual([SPOOFED]);
    }
    // The setting covers every listener, the HTTPS ones too: only a proxy may reach them.
    await enroll(proxied, 'https', 'proxied-enroll-https.example', { 'X-Forwarded-For': SPOOFED });
    expect(await issuedFrom(proxied, 'proxied-enroll-https.example')).toEqual([SPOOFED]);
  });

  it('believes only the entry the proxy appended, not what the client put before it', async () => {
    // An appending proxy (nginx's $proxy_add_x_forwarded_for) forwards "<client's claim>, <peer>".
    const appended = { 'X-Forwarded-For': `${SPOOFED}, 198.51.100.7` };
    await enroll(proxied, 'http', 'proxied-appended.example', appended);
    expect(await issuedFrom(proxied, 'proxied-appended.example')).toEqual(['198.51.100.7']);
    expect(await signIn(proxied, 'http', 'proxied-appended', 'wrong password', appended)).toBe('refused');
    expect(await signInsFrom(proxied, 'SIGN_IN_FAILED', 'proxied-appended')).toEqual(['198.51.100.7']);
  });

  it('still ignores an x-fedpki-client-ip the request brings itself', async () => {
    const headers = SPOOFS['x-fedpki-client-ip alone']!;
    for (const via of ['https', 'http'] as const) {
      const name = `proxied-own-header-${via}.example`;
      await enroll(proxied, via, name, headers);
      expectPeer(await issuedFrom(proxied, name), `enrollment, ${via}`);
      const username = `proxied-own-header-${via}`;
      expect(await signIn(proxied, via, username, 'wrong password', headers)).toBe('refused');
      expectPeer(await signInsFrom(proxied, 'SIGN_IN_FAILED', username), `failed sign-in, ${via}`);
    }
  });
});

const PORTAL_PAGES = ['/', '/certificates', '/audit', '/users', '/settings', '/tokens', '/federations/default'];

/** CVE-2025-29927's header, in the forms each Next.js layout and version looked for. */
const SUBREQUEST = ['middleware', 'src/middleware', 'proxy', 'src/proxy', 'pages/_middleware'].flatMap((name) => [name, Array(5).fill(name).join(':')]);

describe('x-middleware-subrequest', () => {
  it('never lets a signed-out request past the sign-in redirect or the cross-site refusal', async () => {
    for (const i of [direct, proxied]) {
      for (const via of ['https', 'http'] as const) {
        const base = via === 'https' ? i.srv.origin : i.httpOrigin;
        for (const value of SUBREQUEST) {
          for (const path of PORTAL_PAGES) {
            const r = await send(i, via, path, { headers: { 'x-middleware-subrequest': value } });
            figures.middlewareBypassTried++;
            const label = `${via} ${path} with ${value}`;
            expect(r.status, label).toBe(307);
            const location = new URL(String(r.headers.location), base);
            expect(location.pathname, label).toBe('/login');
          }
          // A state-changing request from another site is still refused.
          const post = await send(i, via, '/certificates', {
            method: 'POST',
            raw: 'x',
            headers: { 'x-middleware-subrequest': value, Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
          });
          figures.middlewareBypassTried++;
          expect(post.status, `${via} POST with ${value}`).toBe(403);
        }
      }
    }
  });
});

describe('x-nonce', () => {
  it('never puts a nonce the request forged into the CSP or the page; every page gets a fresh one', async () => {
    const FORGED = 'Zm9yZ2VkLW5vbmNlLWZyb20tdGhlLWNsaWVudA==';
    const headers = { 'x-nonce': FORGED, 'content-security-policy': `script-src 'nonce-${FORGED}' 'unsafe-inline'` };
    const seen = new Set<string>();
    for (const i of [direct, proxied]) {
      for (const via of ['https', 'http'] as const) {
        for (const path of ['/login', '/enroll', '/renew']) {
          const r = await send(i, via, path, { headers });
          figures.nonceForgeries++;
          const label = `${via} ${path}`;
          expect(r.status, label).toBe(200);
          const csp = r.headers['content-security-policy'];
          expect(typeof csp, label).toBe('string');
          const nonce = /'nonce-([^']+)'/.exec(csp as string)?.[1];
          expect(nonce, label).toBeDefined();
          expect(nonce, label).not.toBe(FORGED);
          expect(csp, label).not.toContain('unsafe-inline');
          expect(seen.has(nonce!), `${label}: nonce reused`).toBe(false);
          seen.add(nonce!);
          expect(r.text, label).not.toContain(FORGED);
          const attributes = [...r.text.matchAll(/nonce="([^"]*)"/g)].map((m) => m[1]);
          expect(attributes.length, `${label}: scripts carry the nonce`).toBeGreaterThan(0);
          expect(new Set(attributes), label).toEqual(new Set([nonce]));
        }
      }
    }
  });
});
