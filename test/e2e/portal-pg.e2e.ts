/**
 * The admin portal on PostgreSQL, in Chromium, against two real FedPKI servers (A and
 * B) sharing one database, as behind a load balancer: the main flow of portal.e2e.ts —
 * sign in, create a federation, mint a token that enrolls, find the certificate, the
 * dashboard, accounts, the audit log and its export — with each step free to land on
 * either instance. Both serve https://localhost on their own ports, so the browser
 * sends the one session cookie to both (cookies do not depend on the port).
 *
 * Shown besides: a session begun at A is good at B; once signed out at A, the same
 * cookie is refused at B; failed sign-ins alternating between A and B lock the name at
 * the fifth, for both.
 *
 * The PostgreSQL cluster is started here (test/helpers/postgres.ts) and stopped at the
 * end; FEDPKI_TEST_POSTGRES=0 skips the file, as it skips the integration tier's
 * PostgreSQL project.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { openssl } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { createDatabase, startCluster, type PgCluster } from '../helpers/postgres';
import { TEST_ADMIN_PASSWORD, freePort, startFedpki, type Fedpki } from '../helpers/server';
import { CertificatesPage } from './pages/certificates';
import { FederationsPage } from './pages/federations';
import { LoginPage, screenshot, signOut } from './pages/portal';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';

const SKIP = process.env.FEDPKI_TEST_POSTGRES === '0';
const NODE = 'collaborator-pg-1';
const OPERATOR = { username: 'otto', password: 'operator password 1' };

let cluster: PgCluster | undefined;
let databaseUrl = '';
let a: Fedpki;
let b: Fedpki;
let browser: LaunchedBrowser;
let page: Page;
let tmp: ReturnType<typeof tempDir>;
let federationId = '';
let federationPort = 0;
let issuedSerial = '';
const pageProblems: string[] = [];

async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function sessionCookie() {
  const cookie = (await browser.context.cookies(a.origin)).find((c) => c.name.includes('next-auth.session-token'));
  expect(cookie, 'a session cookie').toBeDefined();
  return cookie!;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port for the new federation at A whose twin at B (port + B's offset) is free too. */
async function federationPorts(offset: number): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + offset < 65_536 && (await portIsFree(p + offset))) return p;
  }
}

beforeAll(async () => {
  if (SKIP) return;
  cluster = startCluster({ port: await freePort(), settings: { fsync: 'off' } });
  databaseUrl = await createDatabase(cluster.adminUrl);
  const [pa, pb] = [await freePort(), await freePort()];
  // A first (it migrates, creates the CA and the first administrator), then B on the
  // same database; B listens on each CA URL port plus its offset.
  a = await startFedpki({ apiOnly: false, databaseUrl, port: pa, env: { FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } });
  b = await startFedpki({ apiOnly: false, databaseUrl, port: pb, caUrl: `localhost:${pa}`, listenPortOffset: pb - pa });
  browser = await launchBrowser();
  browser.context.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageProblems.push(m.text());
  });
  browser.context.on('weberror', (e) => pageProblems.push(e.error().message));
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  tmp = tempDir();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  a?.cleanup();
  b?.cleanup();
  tmp?.remove();
  cluster?.stop();
});

describe.skipIf(SKIP)('the admin portal on PostgreSQL, two instances', () => {
  it('signs in at A, and the session is good at B', async () => {
    const login = new LoginPage(page, a.origin);
    await login.goto();
    expect(await login.attempt('admin', 'not the password at all')).toBe('The user name or password is wrong.');
    await login.signIn('admin', TEST_ADMIN_PASSWORD);
    await page.waitForURL(`${a.origin}/`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Dashboard');
    await page.goto(`${b.origin}/users`);
    expect(new URL(page.url()).pathname).toBe('/users');
    expect(await page.getByRole('row').filter({ hasText: 'admin' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'pg-users-at-b');
    expect(await query("select source_ip from audit_log where action = 'SIGN_IN' and actor = 'user:admin'")).toEqual([{ source_ip: '127.0.0.1' }]);
  });

  it('creates a federation at B; A serves it', async () => {
    const federations = new FederationsPage(page, b.origin);
    await federations.goto();
    federationPort = await federationPorts(b.port - a.port);
    federationId = await federations.create({ name: 'Study PG', caUrl: `localhost:${federationPort}`, keySpec: 'EC-P256', validityDays: 90 });
    expect(federationId).toBe('study-pg');
    const rootPem = await (await page.request.get(`${b.origin}/api/federations/${federationId}/root_ca.crt`)).text();
    expect(openssl(['x509', '-noout', '-subject'], rootPem).stdout).toContain('Study PG Root CA');
    // A picks the new federation up from the database (within seconds) and listens on its port.
    await expect.poll(async () => (await page.request.get(`https://localhost:${federationPort}/roots`).catch(() => undefined))?.status(), { timeout: 30_000 }).toBe(201);
  });

  it('mints a token at A that enrolls through the API, and lists the certificate at B', async () => {
    const tokens = new TokensPage(page, a.origin);
    await tokens.goto(`?federation=${federationId}`);
    const minted = await tokens.mint({ federation: 'Study PG', subject: NODE, lifetime: '1 hour' });
    expect(minted.fedpki).toBe(`fedpki certify -n ${NODE} -t ${minted.token}`);
    const certs = join(tmp.path, 'node-certs');
    const r = a.cli(['certify', '-n', NODE, '-t', minted.token, '-c', certs]);
    expect(r.status, r.stderr).toBe(0);
    const leafPem = readFileSync(join(certs, `${NODE}.crt`), 'utf8');
    issuedSerial = openssl(['x509', '-noout', '-serial'], leafPem).stdout.trim().split('=')[1]!.toLowerCase().replace(/^(00)+/, '');

    await new TokensPage(page, b.origin).goto(`?federation=${federationId}`);
    expect(await tokens.row(NODE).innerText()).toContain('used');
    const certificates = new CertificatesPage(page, b.origin);
    await certificates.goto();
    await certificates.search(NODE.slice(0, 14).toUpperCase());
    expect(await certificates.row(NODE).innerText()).toContain('valid');
    await screenshot(page, 'pg-certificates-at-b');
    await certificates.open(NODE);
    expect(page.url()).toBe(`${b.origin}/certificates/${issuedSerial}`);
    expect(await certificates.field('Subject')).toBe(`CN=${NODE}`);
    await certificates.goto(`?q=${issuedSerial.slice(0, 10)}`);
    expect(await certificates.row(NODE).count()).toBe(1);
    const cols = await (await page.request.get(`${a.origin}/api/federations/${federationId}/cols.yaml`)).text();
    expect(cols).toBe(`collaborators:\n- ${NODE}\n`);
    await page.goto(`${a.origin}/`);
    expect(await page.getByRole('article').filter({ hasText: 'Study PG' }).innerText()).toMatch(/1\s*Nodes enrolled/);
    await screenshot(page, 'pg-dashboard');
  });

  it('creates an account at B', async () => {
    const users = new UsersPage(page, b.origin);
    await users.goto();
    await users.create({ ...OPERATOR, role: 'operator' });
    expect(await query('select role from users where username = $1', [OPERATOR.username])).toEqual([{ role: 'operator' }]);
  });

  it('signing out at A ends the session at B', async () => {
    await page.goto(`${a.origin}/`);
    const session = await sessionCookie();
    await signOut(page);
    await browser.context.addCookies([{ name: session.name, value: session.value, url: b.origin }]);
    await page.goto(`${b.origin}/certificates`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await query("select count(*)::int n from audit_log where action = 'SIGN_OUT' and actor = 'user:admin'")).toEqual([{ n: 1 }]);
    await browser.context.clearCookies();
  });

  it('the new account signs in at A and out at B, which ends it at A', async () => {
    await new LoginPage(page, a.origin).signInAs(OPERATOR.username, OPERATOR.password);
    await page.goto(`${b.origin}/tokens`);
    expect(await page.getByRole('form', { name: 'Mint an enrollment token' }).count()).toBe(1);
    const session = await sessionCookie();
    await signOut(page);
    await browser.context.addCookies([{ name: session.name, value: session.value, url: a.origin }]);
    await page.goto(`${a.origin}/tokens`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await browser.context.clearCookies();
  });

  it('counts failed sign-ins at A and B together: the fifth locks the name at both', async () => {
    const at = [new LoginPage(page, a.origin), new LoginPage(page, b.origin)];
    for (let i = 0; i < 4; i++) {
      const login = at[i % 2]!;
      await login.goto();
      expect(await login.attempt(OPERATOR.username, `wrong password ${i}`)).toBe('The user name or password is wrong.');
    }
    await at[0]!.goto();
    expect(await at[0]!.attempt(OPERATOR.username, 'wrong password 4')).toContain('Too many failed sign-ins');
    // The right password is refused at the other instance too while the lock holds.
    await at[1]!.goto();
    expect(await at[1]!.attempt(OPERATOR.username, OPERATOR.password)).toContain('Too many failed sign-ins');
    await screenshot(page, 'pg-login-locked');
    expect(await query("select target from audit_log where action = 'SIGN_IN_LOCKED'")).toEqual([{ target: OPERATOR.username }]);
    expect(await query("select count(*)::int n from audit_log where action = 'SIGN_IN_FAILED' and target = $1", [OPERATOR.username])).toEqual([{ n: 6 }]);
  });

  it('shows and exports the audit log at B, filtered', async () => {
    await new LoginPage(page, b.origin).signInAs('admin', TEST_ADMIN_PASSWORD);
    await page.goto(`${b.origin}/audit?action=SIGN_IN_FAILED`);
    expect(await page.getByRole('row').filter({ hasText: `user:${OPERATOR.username}` }).count()).toBe(6);
    const csv = await (await page.request.get(`${a.origin}/api/audit/export?action=SIGN_IN_FAILED`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('id,time,action,outcome,actor,source_ip,federation,target,details');
    expect(lines.filter((l) => l.includes(`,${OPERATOR.username},`))).toHaveLength(6);
    await screenshot(page, 'pg-audit');
  });

  it('ran every page without a Content-Security-Policy violation or an uncaught error', () => {
    expect(pageProblems).toEqual([]);
  });
});
