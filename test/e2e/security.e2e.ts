/**
 * Trying to break the portal from a browser (issue 7, the portal half of the security
 * suite): Debian's Chromium against the real server, with a second and third web
 * server playing the attacker — one on another site (http://127.0.0.1), one on a
 * sibling host of the same site (https://evil.fedpki.test), where SameSite=Lax does
 * not keep the session cookie back and only the Origin check stands. FedPKI is reached
 * as https://ca.fedpki.test (Chromium maps *.fedpki.test to 127.0.0.1).
 *
 * 1. Security headers on every page route the app folder defines, every route handler
 *    and every step API route.
 * 2. Every route handler under app/api without a session, with each role, and with
 *    forged, expired, ended and disabled-account cookies.
 * 3. Cross-site requests: server actions from a foreign, null or missing Origin;
 *    next-auth's sign-in and sign-out without its CSRF token; auto-submitting forms on
 *    the attacker's pages in the admin's own browser.
 * 4. Stored and reflected script: payloads everywhere user text goes in, every page
 *    that shows it checked for dialogs, CSP reports, page errors and injected elements;
 *    the audit CSV checked for formulas.
 * 5. Sign-in brute force: per name, in parallel bursts and across names from one address.
 * 6. Framing by another origin.
 *
 * Each part records its figures (test-results/security/portal-N-*.json, numbered for the
 * table's order) for the README's table (scripts/security-report.mjs).
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join, relative } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { decode, encode } from 'next-auth/jwt';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, can, type Permission, type Role } from '@/lib/auth/roles';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { recordFigures } from '../helpers/figures';
import { httpsRequest, type Response as HttpResponse } from '../helpers/https';
import { openssl } from '../helpers/openssl';
import { ROOT, tempDir } from '../helpers/paths';
import { TEST_ADMIN_PASSWORD, freePort, startFedpki, type Fedpki } from '../helpers/server';
import { queryFile, writeFile } from '../helpers/sqlite-file';
import { callAction, serverActions, type ServerAction } from './actions';
import { LoginPage, cookieHeader } from './pages/portal';

const ADMIN = { username: 'admin', password: TEST_ADMIN_PASSWORD };
const OPERATOR = { username: 'olivia', password: 'operator password 1' };
const AUDITOR = { username: 'aldo', password: 'auditor password 1' };
const MALLORY = { username: 'mallory', password: 'mallory password 1' };
/** Accounts that only exist to have their sessions ended or the account disabled. */
const LEAVER = { username: 'leaver', password: 'leaver password 1' };
const DISABLED = { username: 'disabled-later', password: 'disabled password 1' };

const SITE = 'fedpki.test';
const SESSION_COOKIE = '__Secure-next-auth.session-token';

let srv: Fedpki;
let browser: LaunchedBrowser;
let page: Page;
let tmp: ReturnType<typeof tempDir>;
let actions: Map<string, ServerAction>;
let httpPort = 0;
/** FedPKI as the browser reaches it. */
let victim = '';
let crossSite: Attacker;
let sameSite: Attacker;
let adminCookie = '';
let serial = '';

/** What the browser reported from FedPKI's pages. */
const dialogs: string[] = [];
const pageProblems: string[] = [];

// ---------------------------------------------------------------------------------
// helpers

const query = <T>(sql: string, ...args: unknown[]): T[] => queryFile<T>(srv.dataDir, sql, ...args);

function setCookies(r: HttpResponse): string[] {
  const h = r.headers['set-cookie'];
  return Array.isArray(h) ? h : h ? [h] : [];
}

function cookiePair(r: HttpResponse, prefix: string): string | undefined {
  return setCookies(r)
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(prefix) && !c.endsWith('='));
}

const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
  httpsRequest(srv.origin + path, { insecure: true, headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers } });

type SignInOutcome = 'signed-in' | 'wrong' | 'locked' | 'csrf' | 'other';

/** next-auth's credentials sign-in, as the sign-in page's `signIn()` posts it. */
async function signInOverHttp(username: string, password: string, o: { csrf?: 'valid' | 'missing' | 'foreign' } = {}): Promise<{ outcome: SignInOutcome; cookie?: string }> {
  const csrf = await get('/api/auth/csrf');
  const csrfCookie = cookiePair(csrf, '__Host-next-auth.csrf-token=')!;
  const other = o.csrf === 'foreign' ? ((await get('/api/auth/csrf')).json as { csrfToken: string }).csrfToken : undefined;
  const fields: Record<string, string> = { username, password, callbackUrl: `${srv.origin}/`, json: 'true' };
  if (o.csrf !== 'missing') fields.csrfToken = other ?? (csrf.json as { csrfToken: string }).csrfToken;
  const r = await httpsRequest(`${srv.origin}/api/auth/callback/credentials`, {
    method: 'POST',
    raw: new URLSearchParams(fields).toString(),
    insecure: true,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie, Origin: srv.origin },
  });
  const url = new URL((r.json as { url?: string } | undefined)?.url ?? String(r.headers.location ?? '/'), srv.origin);
  const cookie = cookiePair(r, `${SESSION_COOKIE}=`);
  if (cookie) return { outcome: 'signed-in', cookie };
  if (url.searchParams.get('csrf') === 'true') return { outcome: 'csrf' };
  const error = url.searchParams.get('error');
  return { outcome: error === 'CredentialsSignin' ? 'wrong' : error === 'locked' ? 'locked' : 'other' };
}

async function sessionCookieOf(user: { username: string; password: string }): Promise<string> {
  const r = await signInOverHttp(user.username, user.password);
  expect(r.outcome, user.username).toBe('signed-in');
  return r.cookie!;
}

/** A web server on another origin, serving the attacker's pages. */
interface Attacker {
  origin: string;
  pages: Map<string, string>;
  close: () => Promise<void>;
}

async function startAttacker(kind: 'http' | 'https', host: string): Promise<Attacker> {
  const pages = new Map<string, string>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const body = pages.get((req.url ?? '/').split('?')[0]!);
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Referrer-Policy': 'unsafe-url' });
    res.end(body ?? 'not here');
  };
  let server: Server;
  if (kind === 'https') {
    const key = join(tmp.path, 'evil.key');
    const cert = join(tmp.path, 'evil.crt');
    const made = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`]);
    expect(made.status, made.stderr).toBe(0);
    server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler);
  } else {
    server = createHttpServer(handler);
  }
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin: `${kind}://${host}:${port}`, pages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ---------------------------------------------------------------------------------

beforeAll(async () => {
  tmp = tempDir();
  httpPort = await freePort();
  srv = await startFedpki({ apiOnly: false, httpPort, env: { FEDPKI_ADMIN_USERNAME: ADMIN.username, FEDPKI_ADMIN_PASSWORD: ADMIN.password } });
  victim = `https://ca.${SITE}:${srv.port}`;
  actions = serverActions();
  crossSite = await startAttacker('http', '127.0.0.1');
  sameSite = await startAttacker('https', `evil.${SITE}`);

  browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${SITE} 127.0.0.1`] });
  const ours = (url: string | undefined) => Boolean(url?.startsWith(victim));
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = window as unknown as { __csp?: string[] };
      (w.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  browser.context.on('dialog', (d) => {
    dialogs.push(`${d.page()?.url()}: ${d.message()}`);
    void d.dismiss();
  });
  browser.context.on('console', (m) => {
    if (ours(m.page()?.url()) && m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageProblems.push(`${m.page()?.url()}: ${m.text()}`);
  });
  browser.context.on('weberror', (e) => {
    if (ours(e.page()?.url())) pageProblems.push(`${e.page()?.url()}: ${e.error().message}`);
  });
  page = await browser.context.newPage();
  page.setDefaultTimeout(30_000);

  await new LoginPage(page, victim).signInAs(ADMIN.username, ADMIN.password);
  adminCookie = await cookieHeader(browser.context);
  const create = actions.get('createUserAction')!;
  for (const [u, role] of [
    [OPERATOR, 'operator'],
    [AUDITOR, 'auditor'],
    [MALLORY, 'auditor'],
    [LEAVER, 'auditor'],
    [DISABLED, 'operator'],
  ] as const) {
    const r = await callAction(srv.origin, create, { username: u.username, role, password: u.password, confirm: u.password }, adminCookie);
    expect(r.text, u.username).toContain('"ok":true');
  }
  // One certificate in the inventory, for its downloads and its page.
  const token = srv.cli(['get-token', '-n', 'node-a', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
  expect(token.status, token.stderr).toBe(0);
  const certified = srv.cli(['certify', '-n', 'node-a', '-t', token.stdout.trim(), '-c', join(tmp.path, 'node-a')]);
  expect(certified.status, certified.stderr).toBe(0);
  serial = query<{ serial: string }>("select serial from certificates where common_name = 'node-a'")[0]!.serial;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await crossSite?.close();
  await sameSite?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

// ---------------------------------------------------------------------------------
// 1. headers

/** Files under `dir` (recursively) whose name matches, relative to the repository. */
function filesUnder(dir: string, name: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (name.test(e.name)) out.push(relative(ROOT, join(d, e.name)));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** Every page.tsx under app/, as its URL pattern (route groups dropped). */
function pageRoutes(): string[] {
  return filesUnder('app', /^page\.tsx$/)
    .map((f) => `/${f}`.replace(/^\/app/, '').replace(/\/page\.tsx$/, '').replace(/\/\([^)]+\)/g, '') || '/')
    .sort();
}

/** Every route handler file under app/api. */
const routeFiles = () => filesUnder('app/api', /^route\.tsx?$/);

/** Pages anyone may open (proxy.ts's PUBLIC_PAGES); the rest need a session. */
const PUBLIC_PAGES = new Set(['/login', '/enroll', '/renew']);

function concrete(route: string): string {
  return route.replace(/\[([^\]]+)\]/g, (_m, name: string) => {
    const value = { id: 'default', serial }[name];
    if (!value) throw new Error(`No value for the dynamic segment [${name}] of ${route}: add one to concrete() in security.e2e.ts`);
    return value;
  });
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

let headerChecks = 0;
function expectHeader(r: HttpResponse, name: string, test: RegExp | ((v: string) => boolean), label: string) {
  const raw = r.headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  const ok = typeof test === 'function' ? test(value) : test.test(value);
  expect(ok, `${label}: ${name} is ${JSON.stringify(raw)}`).toBe(true);
  headerChecks++;
}

/** The headers every answer carries, page or not. */
function expectBaseline(r: HttpResponse, label: string, https = true) {
  expectHeader(r, 'X-Content-Type-Options', /^nosniff$/, label);
  expectHeader(r, 'Referrer-Policy', /^no-referrer$/, label);
  expectHeader(r, 'X-Frame-Options', /^DENY$/, label);
  if (https) expectHeader(r, 'Strict-Transport-Security', (v) => Number(/max-age=(\d+)/.exec(v)?.[1] ?? 0) >= 31_536_000, label);
  else expectHeader(r, 'Strict-Transport-Security', (v) => v === '', label);
}

/** A page's CSP: returns its script nonce, after checking it is in every <script> of the HTML. */
function expectPageCsp(r: HttpResponse, label: string): string {
  const raw = r.headers['content-security-policy'];
  expect(typeof raw, `${label}: one CSP header`).toBe('string');
  const csp = directives(raw as string);
  const has = (d: string, v: string) => (csp.get(d) ?? []).includes(v);
  const script = csp.get('script-src') ?? csp.get('default-src') ?? [];
  const checks: [string, boolean][] = [
    ["default-src 'self'", has('default-src', "'self'") && csp.get('default-src')!.length === 1],
    ["frame-ancestors 'none'", has('frame-ancestors', "'none'")],
    ["object-src 'none'", has('object-src', "'none'")],
    ["base-uri 'none'", has('base-uri', "'none'")],
    ["form-action 'self'", has('form-action', "'self'")],
    ['no unsafe-inline script', !script.includes("'unsafe-inline'")],
    ['no unsafe-eval script', !script.includes("'unsafe-eval'")],
    ['no wildcard or scheme sources for scripts', !script.some((s) => s === '*' || /^(https?|data|blob):$/.test(s))],
  ];
  for (const [what, ok] of checks) {
    expect(ok, `${label}: ${what} in ${raw}`).toBe(true);
    headerChecks++;
  }
  const nonce = script.map((s) => /^'nonce-([A-Za-z0-9+/=_-]+)'$/.exec(s)?.[1]).find(Boolean);
  expect(nonce, `${label}: script nonce`).toBeTruthy();
  expect(nonce!.length, `${label}: nonce length`).toBeGreaterThanOrEqual(16);
  headerChecks++;
  // Every script tag the HTML carries is this response's, by its nonce.
  const scripts = r.text.match(/<script\b[^>]*>/gi) ?? [];
  for (const tag of scripts) expect(tag, `${label}: script without this response's nonce`).toContain(`nonce="${nonce}"`);
  pageFigures.scriptTags += scripts.length;
  return nonce!;
}

const STEP_SOURCE = join(ROOT, 'server', 'step-api.ts');

/** The step API's routes, read from server/step-api.ts (its FIXED set and PREFIXES). */
function stepRoutes(): { fixed: string[]; prefixes: string[] } {
  const src = readFileSync(STEP_SOURCE, 'utf8');
  const list = (re: RegExp) => [...(re.exec(src)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return { fixed: list(/const FIXED = new Set\(\[([^\]]*)\]\)/), prefixes: list(/const PREFIXES = \[([^\]]*)\]/) };
}

const pageFigures = { pages: 0, routes: 0, handlers: 0, apiAnswers: 0, headerChecks: 0, scriptTags: 0 };

/** A GET over plain HTTP (httpsRequest speaks TLS only). */
function plainGet(url: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body.toString('utf8'), body, json: undefined });
      });
    }).on('error', reject);
  });
}

interface StepCase {
  covers: string;
  method: string;
  path: string;
  body?: unknown;
}

function stepCases(): StepCase[] {
  const sha = '0'.repeat(64);
  return [
    { covers: '/health', method: 'GET', path: '/health' },
    { covers: '/version', method: 'GET', path: '/version' },
    { covers: '/roots', method: 'GET', path: '/roots' },
    { covers: '/roots.pem', method: 'GET', path: '/roots.pem' },
    { covers: '/intermediates', method: 'GET', path: '/intermediates' },
    { covers: '/intermediates.pem', method: 'GET', path: '/intermediates.pem' },
    { covers: '/federation', method: 'GET', path: '/federation' },
    { covers: '/provisioners', method: 'GET', path: '/provisioners' },
    { covers: '/sign', method: 'POST', path: '/sign', body: { csr: 'x', ott: 'y' } },
    { covers: '/renew', method: 'POST', path: '/renew', body: {} },
    { covers: '/rekey', method: 'POST', path: '/rekey', body: {} },
    { covers: '/revoke', method: 'POST', path: '/revoke', body: { serial: '1' } },
    { covers: '/crl', method: 'GET', path: '/crl' },
    { covers: '/ocsp', method: 'POST', path: '/ocsp', body: 'x' },
    { covers: '/root/', method: 'GET', path: `/root/${sha}` },
    { covers: '/provisioners/', method: 'GET', path: '/provisioners/x/encrypted-key' },
    { covers: '/crl/', method: 'GET', path: '/crl/default' },
    { covers: '/ocsp/', method: 'GET', path: '/ocsp/default/MAA=' },
    { covers: '/intermediate/', method: 'GET', path: '/intermediate/default.crt' },
  ];
}

interface RouteCase {
  /** The permission the handler's withPermission names, or 'next-auth'. */
  permission: Permission | 'next-auth';
  paths: () => string[];
}

/** One entry per route file under app/api: a new file fails the test until it has one. */
const ROUTE_CASES: Record<string, RouteCase> = {
  'app/api/audit/export/route.ts': { permission: 'view', paths: () => ['/api/audit/export', '/api/audit/export?outcome=failure'] },
  'app/api/certificates/[serial]/[file]/route.ts': {
    permission: 'view',
    paths: () => ['certificate.crt', 'fullchain.crt', 'openfl.zip'].map((f) => `/api/certificates/${serial}/${f}`),
  },
  'app/api/federations/[id]/[file]/route.ts': {
    permission: 'view',
    paths: () => ['root_ca.crt', 'intermediate_ca.crt', 'cert_chain.crt', 'cols.yaml'].map((f) => `/api/federations/default/${f}`),
  },
  'app/api/auth/[...nextauth]/route.ts': { permission: 'next-auth', paths: () => ['/api/auth/session', '/api/auth/csrf', '/api/auth/providers', '/api/auth/signin', '/api/auth/signout'] },
};

describe('1. security headers', () => {
  it('are on every page the app defines, signed in and out, with a fresh script nonce each time', async () => {
    const routes = pageRoutes();
    expect(routes).toEqual(expect.arrayContaining(['/', '/login', '/enroll', '/renew', '/federations/[id]', '/certificates/[serial]']));
    const nonces = new Set<string>();
    let pages = 0;
    for (const route of [...routes, '/no-such-page', '/federations/no-such-federation']) {
      const path = concrete(route);
      const cookie = PUBLIC_PAGES.has(route) ? undefined : adminCookie;
      for (let i = 0; i < 2; i++) {
        const r = await get(path, cookie);
        expect(r.status, path).toBe(route.includes('no-such') ? 404 : 200);
        expectHeader(r, 'Content-Type', /^text\/html; charset=utf-8$/, path);
        expectBaseline(r, path);
        const nonce = expectPageCsp(r, path);
        expect(nonces.has(nonce), `${path}: nonce reused`).toBe(false);
        nonces.add(nonce);
        pages++;
      }
      if (!PUBLIC_PAGES.has(route)) {
        // Signed out: the redirect to the sign-in page carries the baseline too.
        const r = await get(path);
        expect(r.status, path).toBe(307);
        expectBaseline(r, `${path} (signed out)`);
      }
    }
    // The plain-HTTP listener (behind a TLS-terminating proxy): the same, without HSTS.
    for (const path of ['/login', '/enroll', '/renew']) {
      const r = await plainGet(`http://127.0.0.1:${httpPort}${path}`);
      expect(r.status, path).toBe(200);
      expectBaseline(r, `http ${path}`, false);
      expectPageCsp(r, `http ${path}`);
      pages++;
    }
    pageFigures.pages = pages;
    pageFigures.routes = routes.length;
  });

  it('are on every route handler and every step API route', async () => {
    const files = routeFiles();
    let answers = 0;
    for (const file of files) {
      const c = ROUTE_CASES[file];
      expect(c, `${file} has no case in ROUTE_CASES`).toBeDefined();
      for (const path of c!.paths()) {
        for (const cookie of [adminCookie, undefined]) {
          const r = await get(path, cookie);
          expectBaseline(r, path);
          // Downloads and anything tied to the visitor are never cached.
          if (c!.permission !== 'next-auth' || /\/(session|csrf)$/.test(path)) expectHeader(r, 'Cache-Control', /no-store|private|no-cache/, path);
          answers++;
        }
      }
    }
    const { fixed, prefixes } = stepRoutes();
    expect(fixed.length).toBeGreaterThan(10);
    const cases = stepCases();
    for (const route of [...fixed, ...prefixes]) expect(cases.some((c) => c.covers === route), `step route ${route} has a case`).toBe(true);
    for (const c of cases) {
      for (const path of [c.path, `/1.0${c.path}`]) {
        const r = await httpsRequest(srv.origin + path, { insecure: true, method: c.method, ...(c.body !== undefined ? { body: c.body } : {}) });
        expect(r.status, `${c.method} ${path}`).toBeLessThan(500);
        expectBaseline(r, `${c.method} ${path}`);
        answers++;
      }
    }
    pageFigures.handlers = files.length;
    pageFigures.apiAnswers = answers;
    pageFigures.headerChecks = headerChecks;
    recordFigures('portal-1-headers', {
      ...pageFigures,
      row: {
        area: 'Portal and API headers',
        tried: `${pageFigures.routes} page routes + 404s (${pageFigures.pages} answers, signed in and out, HTTPS and plain HTTP, ${pageFigures.scriptTags} script tags), ${files.length} route handler files and ${fixed.length + prefixes.length} step API routes (${answers} answers): ${headerChecks.toLocaleString('en-US')} header checks`,
        held: "every page: CSP default-src 'self', a fresh script nonce on every script, no unsafe-inline/eval, object-src/base-uri/frame-ancestors 'none'; every answer: nosniff, no-referrer, X-Frame-Options DENY, HSTS ≥ 1 year on HTTPS",
      },
    });
  });
});

// ---------------------------------------------------------------------------------
// 2. route handlers

function declaredPermission(file: string): string {
  const src = readFileSync(join(ROOT, file), 'utf8');
  if (/NextAuth\(/.test(src)) return 'next-auth';
  const found = [...src.matchAll(/withPermission(?:<[^>]*>)?\(\s*'([^']+)'/g)].map((m) => m[1]);
  expect(found.length, `${file}: every export goes through withPermission`).toBe([...src.matchAll(/export const (GET|POST|PUT|PATCH|DELETE|HEAD)\b/g)].length);
  expect(new Set(found).size, `${file}: one permission`).toBe(1);
  return found[0]!;
}

/** Something each download holds that a refused answer must not. */
function leaks(body: Buffer): string | undefined {
  const text = body.toString('latin1');
  if (text.includes('BEGIN CERTIFICATE')) return 'a certificate';
  if (text.startsWith('PK')) return 'a zip';
  if (text.includes('collaborators:')) return 'cols.yaml';
  if (text.startsWith('id,time,action')) return 'the audit CSV';
  if (/"user"\s*:/.test(text)) return 'a session';
}

const routeFigures = { requests: 0, refused: 0, paths: 0, badCookies: 0, pageRequests: 0 };

describe('2. route handlers', () => {
  const bad: Record<string, string> = {};

  beforeAll(async () => {
    const secret = JSON.parse(query<{ value: string }>("select value from settings where key = 'auth_secret'")[0]!.value) as string;
    const adminId = query<{ id: string }>("select id from users where username = 'admin'")[0]!.id;
    const auditorCookie = await sessionCookieOf(AUDITOR);
    // The auditor's live session id, as its cookie carries it; the sessions table holds only its hash.
    const auditor = {
      id: (await decode({ token: auditorCookie.slice(SESSION_COOKIE.length + 1), secret }))!.sid!,
      user_id: query<{ id: string }>('select id from users where username = ?', AUDITOR.username)[0]!.id,
    };
    const stored = query<{ id: string }>('select s.id from sessions s join users u on u.id = s.user_id where u.username = ? and s.ended_at is null', AUDITOR.username);
    expect(stored).toHaveLength(1);
    const asAdmin = { sub: adminId, name: 'admin', role: 'admin' as const };
    const cookie = (v: string) => `${SESSION_COOKIE}=${v}`;
    bad.garbage = cookie('not-a-token');
    bad['signed with another secret'] = cookie(await encode({ token: { ...asAdmin, sid: auditor.id }, secret: 'x'.repeat(43) }));
    bad.expired = cookie(await encode({ token: { sub: auditor.user_id, name: AUDITOR.username, role: 'auditor' as const, sid: auditor.id }, secret, maxAge: -120 }));
    bad['a live session claimed for another user'] = cookie(await encode({ token: { ...asAdmin, sid: auditor.id }, secret }));
    bad['a session id never issued'] = cookie(await encode({ token: { ...asAdmin, sid: 'forged-session-id' }, secret }));
    // What a copy of the database gives: the secret and a live session's row key.
    bad['a live session row read from the database'] = cookie(await encode({ token: { sub: auditor.user_id, name: AUDITOR.username, role: 'auditor' as const, sid: stored[0]!.id }, secret }));
    bad['no session id'] = cookie(await encode({ token: asAdmin, secret }));
    expect((await get('/api/audit/export', auditorCookie)).status).toBe(200);

    // A session its owner signed out of, and the session of an account since disabled.
    const leaver = await sessionCookieOf(LEAVER);
    expect((await get('/api/audit/export', leaver)).status).toBe(200);
    const out = await callAction(srv.origin, actions.get('signOutAction')!, {}, leaver);
    expect(out.status).toBeLessThan(400);
    bad['a signed-out session'] = leaver;
    const disabled = await sessionCookieOf(DISABLED);
    expect((await get('/api/audit/export', disabled)).status).toBe(200);
    const id = query<{ id: string }>('select id from users where username = ?', DISABLED.username)[0]!.id;
    const r = await callAction(srv.origin, actions.get('updateUserAction')!, { id, disabled: 'true' }, adminCookie);
    expect(r.text).toContain('"ok":true');
    bad['a disabled account'] = disabled;
    expect(query('select count(*) n from sessions where ended_at is not null and user_id in (select id from users where username in (?, ?))', LEAVER.username, DISABLED.username)).toEqual([{ n: 2 }]);
  });

  it('has a case for every route handler file, with the permission it declares', () => {
    const files = routeFiles();
    expect(files.sort()).toEqual(Object.keys(ROUTE_CASES).sort());
    for (const f of files) expect(declaredPermission(f), f).toBe(ROUTE_CASES[f]!.permission);
  });

  it('answers downloads to each role as its permissions say, and to no one else', async () => {
    const roleCookies: Record<Role, string> = { admin: adminCookie, operator: await sessionCookieOf(OPERATOR), auditor: await sessionCookieOf(AUDITOR) };
    let requests = 0;
    let refused = 0;
    let paths = 0;
    for (const [file, c] of Object.entries(ROUTE_CASES)) {
      if (c.permission === 'next-auth') continue;
      for (const path of c.paths()) {
        paths++;
        for (const role of ROLES) {
          const r = await get(path, roleCookies[role]);
          requests++;
          if (can(role, c.permission)) {
            expect(r.status, `${role} ${path}`).toBe(200);
            expect(leaks(r.body), `${role} ${path} gets the file`).toBeDefined();
          } else {
            expect(r.status, `${role} ${path}`).toBe(403);
            expect(leaks(r.body), `${role} ${path}`).toBeUndefined();
            refused++;
          }
        }
        for (const [label, cookie] of [['no cookie', undefined] as const, ...Object.entries(bad)]) {
          const r = await get(path, cookie);
          requests++;
          refused++;
          expect(r.status, `${label}: ${path}`).toBe(401);
          expect(r.json, `${label}: ${path}`).toMatchObject({ status: 401, code: 'unauthenticated' });
          expect(leaks(r.body), `${label}: ${path} leaked`).toBeUndefined();
        }
      }
      void file;
    }
    // next-auth's own endpoints: the session endpoint tells a bad cookie nothing.
    for (const [label, cookie] of [['no cookie', undefined] as const, ...Object.entries(bad)]) {
      const r = await get('/api/auth/session', cookie);
      requests++;
      refused++;
      expect(r.status, label).toBe(200);
      expect(r.json, `${label}: /api/auth/session`).toEqual({});
    }
    const mine = await get('/api/auth/session', adminCookie);
    expect((mine.json as { user?: { name?: string } }).user?.name).toBe('admin');
    routeFigures.requests = requests;
    routeFigures.refused = refused;
    routeFigures.paths = paths;
    routeFigures.badCookies = Object.keys(bad).length + 1;
  });

  it('sends signed-out visitors and bad cookies from every portal page to the sign-in page', async () => {
    let requests = 0;
    const portal = pageRoutes().filter((r) => !PUBLIC_PAGES.has(r));
    for (const route of portal) {
      for (const [label, cookie] of [['no cookie', undefined] as const, ...Object.entries(bad)]) {
        const r = await get(concrete(route), cookie);
        requests++;
        expect([307, 303], `${label}: ${route}`).toContain(r.status);
        expect(new URL(String(r.headers.location), srv.origin).pathname, `${label}: ${route}`).toBe('/login');
      }
    }
    routeFigures.pageRequests = requests;
    recordFigures('portal-2-access', {
      ...routeFigures,
      row: {
        area: 'Portal access control',
        tried: `${Object.keys(ROUTE_CASES).length} route handler files (${routeFigures.paths} downloads + next-auth's session) × 3 roles and ${routeFigures.badCookies} bad sessions (none, garbage, another secret, expired, another user's, unknown id, a row key read from the database, no id, signed out, disabled account); ${portal.length} portal pages × the same (${(routeFigures.requests + requests).toLocaleString('en-US')} requests)`,
        held: `every bad session refused (401 JSON with no file, or a redirect to sign-in; ${routeFigures.refused} refusals), roles as granted; server actions are covered by portal.e2e.ts`,
      },
    });
  });
});


// ---------------------------------------------------------------------------------
// 3. cross-site requests

/** What a refused request must leave exactly as it was. */
function snapshot() {
  return {
    users: query('select username, role, disabled, display_name, password_hash from users order by username'),
    federations: query('select id, name, status from federations order by id'),
    tokens: query('select jti, subject, state from tokens order by jti'),
    certificates: query('select serial, status from certificates order by serial'),
    sessions: query('select id, ended_at from sessions order by id'),
  };
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The fields a progressively enhanced <form> of a page carries (React's $ACTION_ inputs), read from the page's HTML. */
async function formOf(path: string, selector: string): Promise<{ action: string; fields: [string, string][] }> {
  const r = await get(path, adminCookie);
  expect(r.status, path).toBe(200);
  const blank = await browser.context.newPage();
  try {
    return await blank.evaluate(
      ({ markup, selector }) => {
        const doc = new DOMParser().parseFromString(markup, 'text/html');
        const form = doc.querySelector(selector);
        if (!form) throw new Error(`no form ${selector}`);
        const fields = [...form.querySelectorAll('input[type="hidden"]')].map((i) => [i.getAttribute('name') ?? '', i.getAttribute('value') ?? ''] as [string, string]);
        return { action: form.getAttribute('action') ?? '', fields };
      },
      { markup: r.text, selector },
    );
  } finally {
    await blank.close();
  }
}

/** An HTML page that posts a form to FedPKI as soon as it loads. */
function autoSubmit(target: string, fields: [string, string][], enctype = 'multipart/form-data'): string {
  const inputs = fields.map(([n, v]) => `<input type="hidden" name="${html(n)}" value="${html(v)}">`).join('\n');
  return `<!doctype html><title>Win a prize</title><form id="f" method="POST" enctype="${enctype}" action="${html(target)}">${inputs}</form><script>document.getElementById('f').submit()</script>`;
}

interface Sent {
  origin?: string;
  cookie: boolean;
}

/** Opens `url` in a new tab and waits until the form it posts has been answered; returns what the browser sent. */
async function runAttack(url: string): Promise<Sent> {
  const tab = await browser.context.newPage();
  const sent: Promise<Sent>[] = [];
  tab.on('request', (req) => {
    if (req.method() === 'POST' && req.url().startsWith(victim)) {
      sent.push(req.allHeaders().then((h) => ({ origin: h.origin, cookie: (h.cookie ?? '').includes(SESSION_COOKIE) })));
    }
  });
  const answered = tab.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(victim));
  await tab.goto(url);
  await answered;
  await tab.waitForLoadState('load').catch(() => undefined);
  await tab.close();
  expect(sent.length, url).toBe(1);
  return sent[0]!;
}

describe('3. cross-site requests', () => {
  const csrf = { directRefused: 0, directCases: 0, browserRefused: 0, nextAuthRefused: 0, redirects: 0 };

  it('gives the session cookie SameSite=Lax, HttpOnly, Secure and a __Secure- name', async () => {
    const cookies = await browser.context.cookies(victim);
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    const csrfCookie = cookies.find((c) => c.name === '__Host-next-auth.csrf-token');
    expect(csrfCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
  });

  it("keeps the session id out of next-auth's session object, which any script on the page may fetch", async () => {
    const r = await get('/api/auth/session', adminCookie);
    expect(r.status).toBe(200);
    const session = JSON.parse(r.text) as Record<string, unknown>;
    expect(session.user).toMatchObject({ name: ADMIN.username, role: 'admin' });
    expect(Object.keys(session).sort()).toEqual(['expires', 'user']);
    expect(Object.keys(session.user as object).sort()).toEqual(['id', 'name', 'role']);
    // The server still knows the session from the cookie alone, and only from the cookie:
    // the same JWT as a Bearer header opens nothing.
    expect((await get('/settings', adminCookie)).status).toBe(200);
    const jwt = adminCookie.slice(adminCookie.indexOf('=') + 1);
    const bearer = await get('/settings', undefined, { Authorization: `Bearer ${jwt}` });
    expect(bearer.status).toBe(307);
    expect(String(bearer.headers.location)).toMatch(/\/login/);
  });

  it('refuses a server action posted with an admin cookie from a foreign, null or missing Origin', async () => {
    const mint = actions.get('mintTokenAction')!;
    const fields = (subject: string) => ({ federationId: 'default', role: 'collaborator', subject, ttlSeconds: '86400', certValidityDays: '365' });
    const cases: [string, Record<string, string | null>][] = [
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['a sibling host', { Origin: `https://evil.${SITE}:${srv.port}` }],
      ['the same host over http', { Origin: `http://localhost:${srv.port}` }],
      ['Origin null', { Origin: 'null' }],
      ['no Origin', { Origin: null }],
      ['no Origin, our own Referer', { Origin: null, Referer: `${srv.origin}/tokens` }],
      ['a foreign Origin, our own Referer', { Origin: 'https://evil.example', Referer: `${srv.origin}/tokens` }],
      ['a malformed Origin', { Origin: 'not a url' }],
      // Headers that once kept a request out of the proxy (its matcher skipped prefetches).
      ['no Origin, marked as a router prefetch', { Origin: null, 'Next-Router-Prefetch': '1' }],
      ['no Origin, Purpose: prefetch', { Origin: null, Purpose: 'prefetch' }],
      ['a foreign Origin, marked as a router prefetch', { Origin: 'https://evil.example', 'Next-Router-Prefetch': '1' }],
    ];
    const before = snapshot();
    for (const [i, [label, headers]] of cases.entries()) {
      const r = await callAction(srv.origin, mint, fields(`csrf-direct-${i}`), adminCookie, headers);
      expect(r.text.includes('"ok":true'), `${label}: the action ran`).toBe(false);
      csrf.directRefused++;
    }
    expect(snapshot(), 'nothing changed').toEqual(before);
    // The same request from our own origin works: the refusals above are the Origin's doing.
    const control = await callAction(srv.origin, mint, fields('csrf-direct-control'), adminCookie);
    expect(control.text).toContain('"ok":true');
    // Behind a TLS-terminating proxy (the plain-HTTP listener, FEDPKI_TRUST_PROXY unset)
    // the page's Origin is https: still ours. An http Origin there is ours too.
    const plain = `http://127.0.0.1:${httpPort}`;
    const plainCookie = adminCookie.replace(`${SESSION_COOKIE}=`, 'next-auth.session-token=');
    for (const origin of [plain.replace('http:', 'https:'), plain]) {
      const r = await callAction(plain, mint, fields(`csrf-plain-${origin.split(':')[0]}`), plainCookie, { Origin: origin });
      expect(r.text.includes('"ok":true'), `${origin} on the plain listener`).toBe(true);
    }
    csrf.directCases = cases.length;
  });

  it("refuses next-auth's sign-in and sign-out without its CSRF token", async () => {
    const before = snapshot();
    expect((await signInOverHttp(ADMIN.username, ADMIN.password, { csrf: 'missing' })).outcome).toBe('csrf');
    expect((await signInOverHttp(ADMIN.username, ADMIN.password, { csrf: 'foreign' })).outcome).toBe('csrf');
    // Sign-out: a POST without the token leaves the session as it was.
    const csrfAnswer = await get('/api/auth/csrf');
    const csrfCookie = cookiePair(csrfAnswer, '__Host-next-auth.csrf-token=')!;
    for (const body of ['', `csrfToken=${'a'.repeat(64)}`]) {
      const r = await httpsRequest(`${srv.origin}/api/auth/signout`, {
        method: 'POST',
        raw: body,
        insecure: true,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `${adminCookie}; ${csrfCookie}`, Origin: 'https://evil.example' },
      });
      expect(cookiePair(r, `${SESSION_COOKIE}=`), 'session cookie untouched').toBeUndefined();
      expect(setCookies(r).some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(false);
    }
    expect((await get('/api/audit/export', adminCookie)).status).toBe(200);
    expect(snapshot()).toEqual(before);
    expect(query("select count(*) n from audit_log where action = 'SIGN_IN' and actor = 'user:admin'")).toEqual([{ n: 1 }]);
    csrf.nextAuthRefused = 4;
  });

  it('never sends a person off the site through the sign-in page\'s callbackUrl', async () => {
    const landing = `evil.${SITE}:${new URL(sameSite.origin).port}`;
    sameSite.pages.set('/landed', '<!doctype html><title>phished</title><h1>Phished</h1>');
    // Raw query strings: each decodes to a value that starts with one slash.
    const tricks = [
      `https://${landing}/landed`,
      `//${landing}/landed`,
      `/%5C${landing}/landed`,
      `/%09/${landing}/landed`,
      `/%0A/${landing}/landed`,
      `/%0D/${landing}/landed`,
      `/%5C%09/${landing}/landed`,
      `%09//${landing}/landed`,
      'javascript:alert(1)',
      `/%2F${landing}/landed`,
      // Dot segments: a URL parser resolves each to the path "//landing/landed".
      `/.//${landing}/landed`,
      `/a/..//${landing}/landed`,
      `/%2e//${landing}/landed`,
    ];
    // Signed in, /login redirects straight to the callback.
    for (const t of tricks) {
      const r = await get(`/login?callbackUrl=${t}`, adminCookie);
      expect(r.status, t).toBe(307);
      const to = new URL(String(r.headers.location), srv.origin);
      expect(to.origin, `${t} → ${r.headers.location}`).toBe(srv.origin);
    }
    // Signed out, the form sends the browser there after signing in (another host name: another cookie jar).
    const origin = `https://login.${SITE}:${srv.port}`;
    const tab = await browser.context.newPage();
    for (const t of [`/%09/${landing}/landed`, `/%5C%09/${landing}/landed`, `/.//${landing}/landed`]) {
      await tab.goto(`${origin}/login?callbackUrl=${t}`);
      await new LoginPage(tab, origin).signIn(MALLORY.username, MALLORY.password);
      await tab.waitForURL((u) => !u.pathname.startsWith('/login'));
      await tab.waitForLoadState('load');
      expect(new URL(tab.url()).origin, t).toBe(origin);
      await tab.context().clearCookies({ domain: `login.${SITE}` });
    }
    await tab.close();
    csrf.redirects = tricks.length + 3;
  });

  it("lets no page on another origin mint a token, create a federation, change a user or sign the admin out, in the admin's browser", async () => {
    const idOf = (username: string) => query<{ id: string }>('select id from users where username = ?', username)[0]!.id;
    const olivia = idOf(OPERATOR.username);
    const leaver = idOf(LEAVER.username);
    const mintForm = await formOf('/tokens', 'form[aria-label="Mint an enrollment token"]');
    const fedForm = await formOf('/federations', 'form[aria-label="Create a federation"]');
    const userForm = await formOf('/users', 'form[aria-label="Create an account"]');
    const roleForm = await formOf('/users', `form:has(input[name="id"][value="${olivia}"]):has(select[name="role"])`);
    const spare = await freePort();
    expect(mintForm.fields.some(([n]) => n.startsWith('$ACTION_')), 'the page renders a form that works without JavaScript').toBe(true);
    const attacks: { name: string; path: string; fields: (tag: string) => [string, string][]; effect: (tag: string) => unknown[] }[] = [
      {
        name: 'mint a token',
        path: '/tokens',
        fields: (tag) => [...mintForm.fields, ['federationId', 'default'], ['role', 'collaborator'], ['subject', `csrf-${tag}`], ['ttlSeconds', '86400'], ['certValidityDays', '365']],
        effect: (tag) => query('select jti from tokens where subject = ?', `csrf-${tag}`),
      },
      {
        name: 'create a federation',
        path: '/federations',
        fields: (tag) => [...fedForm.fields, ['name', `CSRF ${tag}`], ['caUrl', `localhost:${spare}`], ['keySpec', 'EC-P256'], ['certValidityDays', '365']],
        effect: (tag) => query('select id from federations where name = ?', `CSRF ${tag}`),
      },
      {
        name: 'create an admin account',
        path: '/users',
        fields: (tag) => [...userForm.fields, ['username', `csrf-${tag}`], ['role', 'admin'], ['password', 'csrf password 1'], ['confirm', 'csrf password 1']],
        effect: (tag) => query('select id from users where username = ?', `csrf-${tag}`),
      },
      {
        name: "raise an operator's role to admin",
        path: '/users',
        // The control raises another account (the hidden id is the form's own field).
        fields: (tag) => [...roleForm.fields.map(([n, v]): [string, string] => [n, n === 'id' && tag === 'control' ? leaver : v]), ['role', 'admin']],
        effect: (tag) => query("select id from users where id = ? and role = 'admin'", tag === 'control' ? leaver : olivia),
      },
    ];

    // The control: the same form fields, posted with our own Origin and the admin's
    // cookie, do what they say. (Not from a FedPKI tab: under its Referrer-Policy
    // no-referrer, Chromium sends `Origin: null` with a page's own form posts, which
    // Next.js refuses — the portal's forms need JavaScript.)
    for (const a of attacks) {
      const form = new FormData();
      for (const [n, v] of a.fields('control')) form.append(n, v);
      const body = new Response(form);
      const r = await httpsRequest(`${srv.origin}${a.path}`, {
        method: 'POST',
        raw: Buffer.from(await body.arrayBuffer()),
        insecure: true,
        headers: { 'Content-Type': body.headers.get('content-type')!, Cookie: adminCookie, Origin: srv.origin },
      });
      expect(r.status, `control: ${a.name}`).toBeLessThan(400);
      expect(a.effect('control'), `control: ${a.name}`).toHaveLength(1);
    }

    const before = snapshot();
    const seen: Record<string, Sent[]> = {};
    for (const [site, attacker] of [
      ['cross-site', crossSite],
      ['same-site', sameSite],
    ] as const) {
      for (const a of attacks) {
        const tag = `${site}-${a.path.slice(1)}`;
        attacker.pages.set(`/${tag}`, autoSubmit(`${victim}${a.path}`, a.fields(tag)));
        const sent = await runAttack(`${attacker.origin}/${tag}`);
        (seen[site] ??= []).push(sent);
        expect(a.effect(tag), `${site}: ${a.name}`).toEqual([]);
        csrf.browserRefused++;
      }
      // next-auth: signing the admin out, and signing the browser in as someone else (login CSRF).
      attacker.pages.set(`/${site}-signout`, autoSubmit(`${victim}/api/auth/signout`, [['csrfToken', 'x']], 'application/x-www-form-urlencoded'));
      await runAttack(`${attacker.origin}/${site}-signout`);
      attacker.pages.set(
        `/${site}-signin`,
        autoSubmit(`${victim}/api/auth/callback/credentials`, [['username', MALLORY.username], ['password', MALLORY.password], ['csrfToken', 'x']], 'application/x-www-form-urlencoded'),
      );
      await runAttack(`${attacker.origin}/${site}-signin`);
      csrf.browserRefused += 2;
    }
    expect(snapshot(), 'nothing changed').toEqual(before);
    // The admin is still signed in, as the admin.
    await page.goto(`${victim}/account`);
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await cookieHeader(browser.context)).toBe(adminCookie);
    // Why: cross-site, the browser kept the cookie back (SameSite=Lax); same-site it sent
    // it, and the Origin header gave the page away.
    expect(seen['cross-site']!.every((s) => !s.cookie)).toBe(true);
    expect(seen['same-site']!.every((s) => s.cookie && s.origin === sameSite.origin)).toBe(true);
    recordFigures('portal-3-cross-site', {
      ...csrf,
      row: {
        area: 'Cross-site requests',
        tried: `${csrf.directCases} forged Origin/Referer combinations on a server action with an admin cookie; next-auth sign-in and sign-out without its CSRF token (4); ${csrf.redirects} off-site callbackUrl tricks at sign-in; ${csrf.browserRefused} auto-submitting forms from another site and from a sibling host, in the signed-in admin's browser (mint a token, create a federation, create an admin, raise an operator to admin, sign out, sign in as someone else)`,
        held: 'nothing changed; SameSite=Lax kept the cookie from cross-site posts, the Origin check refused the same-site ones and those without an Origin, next-auth its own; sign-in stayed on the site',
      },
    });
  });
});

// ---------------------------------------------------------------------------------
// 4. stored and reflected script

/** Text a person sees: the body without scripts and styles (Next.js's inline RSC data holds the same strings, escaped). */
function visibleText(p: Page | Frame): Promise<string> {
  return p.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    for (const el of body.querySelectorAll('script, style, template')) el.remove();
    const options = [...document.querySelectorAll('option')].map((o) => o.textContent ?? '');
    return `${body.textContent ?? ''}\n${options.join('\n')}`;
  });
}

interface Visit {
  path: string;
  /** Strings that must be on the page as text. */
  shows?: string[];
}

let visits = 0;
let shownAsText = 0;
/** Opens a page and checks nothing a payload carried ran or became markup. */
async function visitClean(p: Page, v: Visit) {
  const before = { dialogs: dialogs.length, problems: pageProblems.length };
  const r = await p.goto(victim + v.path, { waitUntil: 'load' });
  expect(r?.status(), v.path).toBeLessThan(500);
  await p.waitForLoadState('networkidle');
  await expectNothingRan(p, v.path, before);
  if (v.shows?.length) {
    const text = await visibleText(p);
    for (const s of v.shows) expect(text, `${v.path} shows ${JSON.stringify(s)} as text`).toContain(s);
    shownAsText += v.shows.length;
  }
  visits++;
}

async function expectNothingRan(p: Page, label: string, before: { dialogs: number; problems: number }) {
  const found = await p.evaluate(() => ({
    injected: [...document.querySelectorAll('[id^="xss-"], img[src="x"], svg[onload], [onerror], [onload]')].map((e) => e.outerHTML.slice(0, 80)),
    violations: (window as unknown as { __csp?: string[] }).__csp ?? [],
    javascriptLinks: [...document.querySelectorAll('a[href], form[action], iframe[src]')]
      .map((e) => e.getAttribute('href') ?? e.getAttribute('action') ?? e.getAttribute('src') ?? '')
      // React's own placeholder on forms whose action is a client function is not a payload.
      .filter((u) => /^\s*(javascript|data|vbscript):/i.test(u) && !u.startsWith("javascript:throw new Error('A React form was unexpectedly submitted.")),
  }));
  expect(found.injected, `${label}: injected elements`).toEqual([]);
  expect(found.violations, `${label}: CSP violations`).toEqual([]);
  expect(found.javascriptLinks, `${label}: script URLs`).toEqual([]);
  expect(dialogs.slice(before.dialogs), `${label}: dialogs`).toEqual([]);
  expect(pageProblems.slice(before.problems), `${label}: page errors`).toEqual([]);
}

/** Payloads, each with an id the DOM check looks for; lowercase, since sign-in lowercases names. */
const XSS = {
  federation: '<img src=x id=xss-fed onerror=alert(1)>', // 38 characters: a federation name has at most 48
  displayName: '"><script id=xss-dn>alert(2)</script><img src=x onerror=alert(3)>',
  note: "<img src=x id=xss-note onerror=alert(4)>'\"><svg onload=alert(5)>",
  login: '<svg id=xss-login onload=alert(6)>',
  csrCn: '<script id=xss-csr>alert(7)</script>',
  csrO: '"><img src=x id=xss-csr-o onerror=alert(8)>',
  zipName: '<img src=x id=xss-zip onerror=alert(9)>',
  subject: '<img src=x id=xss-sub onerror=alert(10)>',
  san: 'javascript:alert(11)',
  username: '<b id=xss-un>x</b>',
  fragment: '<img src=x id=xss-frag onerror=alert(12)>',
  reflected: '"><script id=xss-q>alert(13)</script>',
};

/** Usernames typed at sign-in that a spreadsheet would run as formulas. */
const FORMULAS = ['=cmd|\' /c calc\'!a0', '+hyperlink("https://evil.example","x")', '-2+3', '@sum(1,1)'];

/** One CSV line into cells (RFC 4180 quoting). */
function csvCells(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

const stored = { visits: 0, csvCells: 0, formulas: 0 };

describe('4. stored and reflected script', () => {
  let xssFederation = '';
  let xssSerial = '';
  let revokedSerial = '';
  let xssToken = '';
  const planted: string[] = [];
  const refusedAtEntry: string[] = [];

  beforeAll(async () => {
    // A federation named with markup, through the portal's own action.
    const port = await freePort();
    const created = await callAction(srv.origin, actions.get('createFederationAction')!, { name: XSS.federation, caUrl: `localhost:${port}`, keySpec: 'EC-P256', certValidityDays: '30' }, adminCookie);
    expect(created.status).toBeLessThan(400);
    const fed = query<{ id: string; name: string }>('select id, name from federations where name = ?', XSS.federation);
    expect(fed, 'the name is accepted as text').toHaveLength(1);
    xssFederation = fed[0]!.id;
    planted.push(XSS.federation);
    // A node enrolled in it (its certificate names the federation's CAs), and a token for /enroll.
    const minted = srv.cli(['get-token', '-n', 'xss-node', '--federation', xssFederation, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(minted.status, minted.stderr).toBe(0);
    const certified = srv.cli(['certify', '-n', 'xss-node', '-t', minted.stdout.trim(), '-c', join(tmp.path, 'xss-node')]);
    expect(certified.status, certified.stderr).toBe(0);
    xssSerial = query<{ serial: string }>("select serial from certificates where common_name = 'xss-node'")[0]!.serial;
    const pending = srv.cli(['get-token', '-n', 'xss-enroll', '--federation', xssFederation, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(pending.status, pending.stderr).toBe(0);
    xssToken = pending.stdout.trim();

    // An account whose display name is markup.
    const user = await callAction(srv.origin, actions.get('createUserAction')!, { username: 'xss-display', displayName: XSS.displayName, role: 'auditor', password: MALLORY.password, confirm: MALLORY.password }, adminCookie);
    expect(user.text).toContain('"ok":true');
    planted.push(XSS.displayName);

    // A revocation note from the CLI, shown in the audit log.
    const token = srv.cli(['get-token', '-n', 'revoked-node', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    const cert = srv.cli(['certify', '-n', 'revoked-node', '-t', token.stdout.trim(), '-c', join(tmp.path, 'revoked-node')]);
    expect(cert.status, cert.stderr).toBe(0);
    revokedSerial = query<{ serial: string }>("select serial from certificates where common_name = 'revoked-node'")[0]!.serial;
    const revoked = srv.cli(['revoke', revokedSerial, '--reason', 'keyCompromise', '--note', XSS.note, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(revoked.status, revoked.stderr).toBe(0);
    planted.push(XSS.note);

    // Failed sign-ins: the name typed becomes the audit entry's target.
    for (const name of [XSS.login, ...FORMULAS]) expect((await signInOverHttp(name, 'wrong password')).outcome).toBe('wrong');
    planted.push(XSS.login, ...FORMULAS);
  });

  it('refuses markup where names must be names, and shows the refusal as text', async () => {
    const start = { dialogs: dialogs.length, problems: pageProblems.length };
    // Token subject and extra names, in the mint form.
    await page.goto(`${victim}/tokens`);
    const mint = page.getByRole('form', { name: 'Mint an enrollment token' });
    await mint.getByLabel('Node name').fill(XSS.subject);
    await mint.getByLabel('Extra names (optional)').fill(`${XSS.san}, ${XSS.subject}`);
    await mint.getByRole('button', { name: 'Mint token' }).click();
    await mint.getByText('Some fields need attention.').waitFor();
    expect(await mint.locator('[aria-invalid="true"]').count()).toBe(2);
    await expectNothingRan(page, 'mint form', start);
    // The server says the same when the browser's check is skipped.
    const before = snapshot();
    const direct = await callAction(
      srv.origin,
      actions.get('mintTokenAction')!,
      { federationId: 'default', role: 'collaborator', subject: XSS.subject, extraSans: XSS.san, ttlSeconds: '86400', certValidityDays: '365' },
      adminCookie,
    );
    expect(direct.text).toContain('Some fields need attention.');
    // A user name with markup.
    await page.goto(`${victim}/users`);
    const create = page.getByRole('form', { name: 'Create an account' });
    await create.getByLabel('User name').fill(XSS.username);
    await create.getByLabel('Password', { exact: true }).fill('a fine password 1');
    await create.getByLabel('Password again').fill('a fine password 1');
    await create.getByRole('button', { name: 'Create account' }).click();
    await create.locator('[aria-invalid="true"]').first().waitFor();
    await expectNothingRan(page, 'users form', start);
    const viaAction = await callAction(srv.origin, actions.get('createUserAction')!, { username: XSS.username, role: 'admin', password: 'a fine password 1', confirm: 'a fine password 1' }, adminCookie);
    expect(viaAction.text).toContain('Some fields need attention.');
    expect(snapshot()).toEqual(before);
    refusedAtEntry.push(XSS.subject, XSS.san, XSS.username);
  });

  it('shows a CSR whose subject is markup as text, and refuses to sign it', async () => {
    const dir = join(tmp.path, 'xss-csr');
    const key = join(dir, 'k.pem');
    const csrFile = join(dir, 'r.csr');
    openssl(['version']);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const esc = (v: string) => v.replace(/[/\\]/g, (c) => `\\${c}`);
    const made = openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csrFile, '-utf8',
      '-subj', `/CN=${esc(XSS.csrCn)}/O=${esc(XSS.csrO)}`,
      '-addext', `subjectAltName=URI:${XSS.san},DNS:xss.example`,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const pem = readFileSync(csrFile, 'utf8');
    await page.goto(`${victim}/csr`);
    const before = { dialogs: dialogs.length, problems: pageProblems.length };
    await page.getByLabel('Paste a PEM CSR').fill(pem);
    await page.getByRole('button', { name: 'Read request' }).click();
    await page.getByTestId('csr-hash').or(page.getByRole('alert').filter({ hasText: /./ })).first().waitFor();
    const shown = await visibleText(page);
    expect(shown).toContain(XSS.csrCn);
    expect(shown).toContain(XSS.csrO);
    expect(shown).toContain(XSS.san);
    await expectNothingRan(page, 'csr inspected', before);
    const sign = page.getByRole('form', { name: 'Sign the request' });
    const button = sign.getByRole('button', { name: /^Sign/ });
    // Its names cannot be certified, so the page offers no Sign form at all; were it offered, it must refuse.
    if ((await button.count()) > 0 && (await button.isEnabled())) {
      await sign.getByLabel(/same SHA-384 hash/).check();
      await button.click();
      await page.getByRole('alert').filter({ hasText: /./ }).first().waitFor();
    }
    await expectNothingRan(page, 'csr sign attempt', before);
    expect(query('select serial from certificates where common_name = ?', XSS.csrCn)).toEqual([]);

    // An OpenFL request zip whose file name is markup.
    const good = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=zip-node']);
    const zip = join(dir, 'col_zip-node_to_agg_cert_request.zip');
    writeFileSync(zip, zipSync({ [`col_${XSS.zipName}.csr`]: strToU8(good.stdout) }));
    await page.goto(`${victim}/csr`);
    await page.getByLabel('Request file').setInputFiles(zip);
    await page.getByRole('button', { name: 'Read request' }).click();
    await page.getByTestId('csr-hash').waitFor();
    expect(await visibleText(page)).toContain(XSS.zipName);
    await expectNothingRan(page, 'csr zip', before);
    refusedAtEntry.push(XSS.csrCn, XSS.csrO, XSS.zipName);
  });

  it('shows stored text as text on every page that shows it', async () => {
    const pages: Visit[] = [
      { path: '/', shows: [XSS.federation, `user:${XSS.login}`] },
      { path: '/federations', shows: [XSS.federation] },
      { path: `/federations/${xssFederation}`, shows: [XSS.federation] },
      { path: '/tokens', shows: [XSS.federation] },
      { path: `/tokens?federation=${xssFederation}`, shows: [XSS.federation] },
      { path: '/certificates', shows: [XSS.federation] },
      { path: `/certificates?federation=${xssFederation}`, shows: ['xss-node'] },
      { path: `/certificates/${xssSerial}`, shows: [XSS.federation] },
      { path: `/certificates/${revokedSerial}` },
      { path: '/csr' },
      { path: '/audit', shows: [XSS.note, XSS.login, XSS.federation, ...FORMULAS] },
      { path: `/audit?federation=${xssFederation}`, shows: [XSS.federation] },
      { path: '/users', shows: [XSS.displayName] },
      { path: '/account' },
    ];
    for (const v of pages) await visitClean(page, v);
    // Reflected: query strings and path segments the pages echo.
    const q = encodeURIComponent(XSS.reflected);
    const reflected: Visit[] = [
      { path: `/certificates?q=${q}` },
      { path: `/certificates?federation=${q}&status=${q}&sort=${q}` },
      { path: `/audit?actor=${q}&action=${q}&federation=${q}&from=${q}` },
      { path: `/tokens?federation=${q}&state=${q}` },
      { path: `/federations/${q}` },
      { path: `/certificates/${q}` },
      { path: `/?federation=${q}` },
    ];
    for (const v of reflected) await visitClean(page, v);
    stored.visits = pages.length + reflected.length;
  });

  it("shows the marked-up display name as text in its owner's own pages", async () => {
    const tab = await browser.context.newPage();
    // Another browser session would be cleaner; the cookie jar is per host, so use localhost.
    await new LoginPage(tab, srv.origin.replace('localhost', `user.${SITE}`)).signInAs('xss-display', MALLORY.password);
    const origin = srv.origin.replace('localhost', `user.${SITE}`);
    for (const path of ['/', '/account', '/users']) {
      const before = { dialogs: dialogs.length, problems: pageProblems.length };
      await tab.goto(origin + path);
      await tab.waitForLoadState('networkidle');
      expect(await visibleText(tab), path).toContain(XSS.displayName);
      shownAsText++;
      await expectNothingRan(tab, `xss-display ${path}`, before);
      visits++;
    }
    await tab.close();
  });

  it('keeps markup in an enrollment link or token as text on /enroll', async () => {
    const tab = await browser.context.newPage();
    const enrollVisit = async (fragment: string, shows: string[]) => {
      const before = { dialogs: dialogs.length, problems: pageProblems.length };
      await tab.goto('about:blank'); // a new document: the page reads the fragment when it loads
      await tab.goto(`${victim}/enroll#${fragment}`);
      await tab.getByRole('heading', { name: 'Enroll a node' }).waitFor();
      await tab.waitForLoadState('networkidle');
      const text = await visibleText(tab);
      for (const s of shows) expect(text).toContain(s);
      shownAsText += shows.length;
      await expectNothingRan(tab, `/enroll#${fragment.slice(0, 30)}`, before);
      visits++;
    };
    // Script in the fragment: not a token, and said so.
    await enrollVisit(`token=${encodeURIComponent(XSS.fragment)}`, []);
    await enrollVisit(`token=${encodeURIComponent(`${XSS.fragment}.${XSS.fragment}`)}`, []);
    // A real token from the federation whose name is markup: the summary shows it as text.
    await enrollVisit(`token=${encodeURIComponent(xssToken)}`, [XSS.federation]);
    // A token whose claims were rewritten to carry markup (the signature no longer holds,
    // but the page shows what it says before asking the CA).
    const [jwtB64, rootB64] = xssToken.split('.');
    const [h, p, s] = Buffer.from(jwtB64!, 'base64').toString('utf8').split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = { ...claims, sub: XSS.fragment, sans: [XSS.fragment, XSS.san] };
    const jwt = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`;
    await enrollVisit(`token=${encodeURIComponent(`${Buffer.from(jwt).toString('base64')}.${rootB64}`)}`, [XSS.fragment]);
    await tab.close();
    refusedAtEntry.push(XSS.fragment);
  });

  it('defuses spreadsheet formulas in the audit CSV', async () => {
    const csv = await get('/api/audit/export', adminCookie);
    expect(csv.status).toBe(200);
    const rows = csvCells(csv.text);
    expect(rows[0]).toEqual(['id', 'time', 'action', 'outcome', 'actor', 'source_ip', 'federation', 'target', 'details']);
    const cells = rows.slice(1).flat();
    const dangerous = cells.filter((c) => /^[=+\-@\t\r]/.test(c));
    expect(dangerous).toEqual([]);
    // The formulas are there, defused with a leading apostrophe.
    for (const f of FORMULAS) expect(cells, f).toContain(`'${f}`);
    // And the markup is there as it was typed (a CSV is not HTML).
    expect(cells).toContain(XSS.login);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/^attachment;/);
    stored.csvCells = cells.length;
    stored.formulas = FORMULAS.length;
    const payloads = planted.length + refusedAtEntry.length + 1;
    recordFigures('portal-4-script', {
      ...stored,
      payloads,
      visits,
      payloadPageChecks: payloads * visits,
      shownAsText,
      row: {
        area: 'Script in user text',
        tried: `${payloads} payloads (federation name, display name, revocation note, sign-in names, CSR subject and SANs, request zip name, token subject and SANs, user name, /enroll link fragment and token claims, query strings) × ${visits} page views (${(payloads * visits).toLocaleString('en-US')} checks); ${FORMULAS.length} formula-shaped names in the audit CSV (${cells.length.toLocaleString('en-US')} cells)`,
        held: `no dialog, CSP report, page error or injected element on any page; payloads found as literal text in the ${shownAsText} places checked, the rest refused with a message; every CSV cell starting with = + - @ defused`,
      },
    });
  });
});


// ---------------------------------------------------------------------------------
// 5. sign-in brute force (last: it locks the test's own address)

describe('5. sign-in brute force', () => {
  /** Password guesses the server actually checked (failures not refused by a lock), by name or from the address. */
  const evaluated = (where: string, ...args: unknown[]) =>
    query<{ n: number }>(`select count(*) n from audit_log where action = 'SIGN_IN_FAILED' and json_extract(details, '$.reason') <> 'locked' and ${where}`, ...args)[0]!.n;
  const brute: Record<string, unknown> = {};

  it('checks 5 guesses for one name, then refuses even the right password, and audits the lock', async () => {
    const outcomes: SignInOutcome[] = [];
    for (let i = 0; i < 20; i++) outcomes.push((await signInOverHttp(AUDITOR.username, `wrong guess ${i}`)).outcome);
    expect(outcomes.slice(0, 4)).toEqual(['wrong', 'wrong', 'wrong', 'wrong']);
    expect(outcomes.slice(4).every((o) => o === 'locked')).toBe(true);
    expect(evaluated('target = ?', AUDITOR.username)).toBe(5);
    expect((await signInOverHttp(AUDITOR.username, AUDITOR.password)).outcome).toBe('locked');
    expect(query("select target, json_extract(details, '$.scope') scope from audit_log where action = 'SIGN_IN_LOCKED' and target = ?", AUDITOR.username)).toEqual([
      { target: AUDITOR.username, scope: 'user' },
    ]);
    brute.sequential = { tries: 20, evaluated: 5 };
  });

  it('checks no more guesses when they arrive all at once', async () => {
    const burst = 30;
    const sessions = () => query('select s.id from sessions s join users u on u.id = s.user_id where u.username = ?', OPERATOR.username);
    const sessionsBefore = sessions();
    const wrong = Array.from({ length: burst }, (_, i) => signInOverHttp(OPERATOR.username, `parallel guess ${i}`));
    // The right password, sent while the burst is being answered.
    const first = await Promise.race(wrong);
    const right = await signInOverHttp(OPERATOR.username, OPERATOR.password);
    const outcomes = [first.outcome, ...(await Promise.all(wrong)).map((r) => r.outcome)];
    const checked = evaluated('target = ?', OPERATOR.username);
    brute.parallel = { tries: burst, evaluated: checked, rightPasswordDuringBurst: right.outcome };
    expect(checked, `guesses checked out of ${burst} sent at once`).toBe(5);
    expect(outcomes.filter((o) => o === 'wrong').length).toBeLessThanOrEqual(5);
    expect(right.outcome).toBe('locked');
    expect(sessions(), 'no session opened').toEqual(sessionsBefore);
  });

  it('locks the address after 20 checked guesses across names, for every name', async () => {
    const before = evaluated("source_ip = '127.0.0.1'");
    let tried = 0;
    const outcomes: SignInOutcome[] = [];
    for (let i = 0; i < 30; i++) {
      outcomes.push((await signInOverHttp(`nobody-${i}`, 'a guess')).outcome);
      tried++;
    }
    const fromAddress = evaluated("source_ip = '127.0.0.1'");
    expect(fromAddress, 'guesses checked from the address in 15 minutes').toBe(20);
    expect(outcomes.filter((o) => o === 'wrong').length).toBe(20 - before - 1);
    expect(outcomes.slice(20 - before).every((o) => o === 'locked')).toBe(true);
    // A real user with the right password, from the locked address.
    expect((await signInOverHttp(ADMIN.username, ADMIN.password)).outcome).toBe('locked');
    expect(query("select count(*) n from audit_log where action = 'SIGN_IN_LOCKED' and json_extract(details, '$.scope') = 'address'")).toEqual([{ n: 1 }]);
    // A session opened before the lock keeps working.
    expect((await get('/api/audit/export', adminCookie)).status).toBe(200);
    brute.acrossNames = { tries: tried, evaluatedFromAddressBefore: before, evaluatedFromAddress: fromAddress };
    const seq = brute.sequential as { tries: number; evaluated: number };
    const par = brute.parallel as { tries: number; evaluated: number };
    recordFigures('portal-5-brute-force', {
      ...brute,
      row: {
        area: 'Sign-in brute force',
        tried: `${seq.tries} wrong passwords in a row for one name; ${par.tries} at once for another, with the right one sent mid-burst; ${tried} names from one address`,
        held: `${seq.evaluated} and ${par.evaluated} guesses checked, then the name locked; the address locked after ${fromAddress} checked guesses; the right password refused during every lock; each lock audited (SIGN_IN_LOCKED)`,
      },
    });
  });
});

// ---------------------------------------------------------------------------------
// 6. framing

describe('6. framing', () => {
  it('does not render any page inside another origin’s frame', async () => {
    const paths = ['/enroll', '/renew', '/login', '/tokens', '/certificates'];
    let framed = 0;
    for (const [site, attacker] of [
      ['cross-site', crossSite],
      ['same-site', sameSite],
    ] as const) {
      attacker.pages.set('/frames', `<!doctype html><title>Frames</title>${paths.map((p) => `<iframe src="${victim}${p}" width="600" height="400"></iframe>`).join('')}`);
      const tab = await browser.context.newPage();
      const refusals: string[] = [];
      tab.on('console', (m) => {
        if (/frame-ancestors|X-Frame-Options/.test(m.text())) refusals.push(m.text());
      });
      await tab.goto(`${attacker.origin}/frames`);
      await tab.waitForLoadState('networkidle');
      const frames = tab.frames().filter((f) => f !== tab.mainFrame());
      expect(frames, site).toHaveLength(paths.length);
      for (const f of frames) {
        const text = await f.evaluate(() => document.body?.innerText ?? '').catch(() => '');
        expect(f.url().startsWith(victim), `${site}: ${f.url()} rendered`).toBe(false);
        expect(text, `${site}: frame shows FedPKI`).not.toMatch(/Enroll a node|Sign in|Enrollment tokens|Certificates|Renew/);
        framed++;
      }
      expect(refusals.length, `${site}: Chromium says why`).toBeGreaterThanOrEqual(paths.length);
      await tab.close();
    }
    recordFigures('portal-6-framing', {
      framed,
      row: {
        area: 'Framing (clickjacking)',
        tried: `${paths.length} pages (/enroll, /renew, sign-in and two signed-in portal pages) in iframes on another site and on a sibling host: ${framed} frames`,
        held: "none rendered (CSP frame-ancestors 'none', X-Frame-Options DENY)",
      },
    });
  });
});

// ---------------------------------------------------------------------------------
// 7. the portal's requests to itself

describe("7. the portal's requests to itself", () => {
  it('sends no request, and so no session cookie, to localhost:3000 (Next.js’s default address) when a federation is created or someone signs out, over TLS or the plain listener', async () => {
    // A redirect from a server action makes Next.js fetch the target page itself, with
    // the caller's cookies, from the address it believes it runs at.
    const reached: string[] = [];
    const traps: NetServer[] = [];
    for (const host of ['127.0.0.1', '::1']) {
      const trap = createNetServer((socket) => {
        reached.push(host);
        socket.destroy();
      });
      const bound = await new Promise<boolean>((resolve, reject) => {
        trap.once('error', (e: NodeJS.ErrnoException) =>
          e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT' ? resolve(false) : reject(new Error(`port 3000 on ${host} must be free for this test to see what reaches it (${e.code})`)),
        );
        trap.listen(3000, host, () => resolve(true));
      });
      if (bound) traps.push(trap);
    }
    expect(traps.length).toBeGreaterThan(0);
    const plain = `http://127.0.0.1:${httpPort}`;
    const toPlain = (cookie: string) => cookie.replace(`${SESSION_COOKIE}=`, 'next-auth.session-token=');
    // Its own account, from an address part 5 left locked on purpose: the lock is lifted here.
    writeFile(srv.dataDir, 'delete from sign_in_throttle');
    const SELF = { username: 'self-request', password: 'self request password 1' };
    const made = await callAction(srv.origin, actions.get('createUserAction')!, { username: SELF.username, role: 'operator', password: SELF.password, confirm: SELF.password }, adminCookie);
    expect(made.text).toContain('"ok":true');
    const openSessions = () => query<{ n: number }>('select count(*) n from sessions where ended_at is null and user_id = (select id from users where username = ?)', SELF.username)[0]!.n;
    let flows = 0;
    try {
      const create = actions.get('createFederationAction')!;
      for (const [origin, cookie, name] of [
        [srv.origin, adminCookie, 'Self request TLS'],
        [plain, toPlain(adminCookie), 'Self request plain'],
      ] as const) {
        const r = await callAction(origin, create, { name, caUrl: `localhost:${await freePort()}`, keySpec: 'EC-P256', certValidityDays: '30' }, cookie);
        expect(r.text, origin).toContain('"ok":true');
        expect(r.text, 'the form is told where to go').toMatch(/"href":"\/federations\/self-request-(tls|plain)\?created=1"/);
        flows++;
      }
      for (const origin of [srv.origin, plain]) {
        const cookie = await sessionCookieOf(SELF);
        const before = openSessions();
        const out = await callAction(origin, actions.get('signOutAction')!, {}, origin === plain ? toPlain(cookie) : cookie);
        expect(out.status, origin).toBeLessThan(400);
        expect(openSessions(), `${origin}: the session ended`).toBe(before - 1);
        flows++;
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(reached, 'connections to port 3000').toEqual([]);
    } finally {
      await Promise.all(traps.map((t) => new Promise((r) => t.close(r))));
    }
    recordFigures('portal-7-self-requests', {
      flows,
      row: {
        area: "The portal's requests to itself",
        tried: `${flows} server actions that used to redirect (create a federation, sign out) over TLS and the plain listener, with a listener waiting on localhost:3000 (Next.js's default address, which a custom server gets unless told its own)`,
        held: 'no connection reached it: the actions return where to go and the browser goes there; Next.js is given an address of FedPKI itself',
      },
    });
  });
});

describe('the whole run', () => {
  it('opened every FedPKI page without a dialog, a CSP violation or an uncaught error', () => {
    expect(dialogs).toEqual([]);
    expect(pageProblems).toEqual([]);
  });
});
