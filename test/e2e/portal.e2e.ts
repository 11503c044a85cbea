/**
 * The admin portal end to end, in Debian's Chromium against the real server on a fresh
 * database: the first administrator signs in, creates a federation, mints a token that
 * enrolls through the API, cancels another, finds the certificate, signs an OpenFL
 * request zip; changes a role and disables and enables an account; an
 * operator and an auditor get exactly their role's powers, even when they call server
 * actions directly; visitors without a session — or with a forged, expired or ended
 * one — are refused everywhere; repeated bad passwords lock the name.
 *
 * FEDPKI_SCREENSHOTS=<dir> also saves every page at 1280 and 390 pixels wide.
 */

import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { decode, encode } from 'next-auth/jwt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { openssl, opensslVerify } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { TEST_ADMIN_PASSWORD, freePort, holdPort, startFedpki, type Fedpki } from '../helpers/server';
import { callAction, serverActions, type ServerAction } from './actions';
import { CertificatesPage } from './pages/certificates';
import { CsrPage } from './pages/csr';
import { FederationsPage } from './pages/federations';
import { LoginPage, cookieHeader, screenshot, signOut } from './pages/portal';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';

const OPERATOR = { username: 'olivia', password: 'operator password 1' };
const AUDITOR = { username: 'aldo', password: 'auditor password 1' };
const NODE = 'collaborator-east-1';
const CSR_NODE = 'site-seven';

let srv: Fedpki;
let browser: LaunchedBrowser;
let page: Page;
let tmp: ReturnType<typeof tempDir>;
let actions: Map<string, ServerAction>;
let federationId = '';
let federationPort = 0;
let issuedSerial = '';
let pendingJti = '';
let httpPort = 0;
/** Content-Security-Policy violations and uncaught errors seen in any page. */
const pageProblems: string[] = [];

function db() {
  return new Database(join(srv.dataDir, 'fedpki.db'), { readonly: true, fileMustExist: true });
}

function query<T>(sql: string, ...args: unknown[]): T[] {
  const d = db();
  try {
    return d.prepare(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}

/** What a refused action must leave exactly as it was. */
function snapshot() {
  return {
    users: query('select username, role, disabled, password_hash from users order by username'),
    federations: query('select id, status, public_url, allow_renew_after_expiry from federations order by id'),
    settings: query("select key, value from settings where key = 'expiry_webhook_url'"),
    tokens: query('select jti, state from tokens order by jti'),
    certificates: query('select serial, status from certificates order by serial'),
  };
}

const adminId = () => query<{ id: string }>("select id from users where username = 'admin'")[0]!.id;

/** For each server action, a request that would change something if it were allowed. */
async function attempts(): Promise<Record<string, Record<string, string>>> {
  const csr = (await makeCsr('intruder')).pem;
  return {
    createFederationAction: { name: 'Intruders', caUrl: 'localhost:1', keySpec: 'EC-P256', certValidityDays: '365' },
    setFederationStatusAction: { id: 'default', status: 'disabled' },
    mintTokenAction: { federationId: 'default', role: 'collaborator', subject: 'intruder', ttlSeconds: '86400', certValidityDays: '365' },
    cancelTokenAction: { jti: pendingJti || 'ab'.repeat(32) },
    inspectCsrAction: { csrText: csr },
    signCsrAction: { federationId: 'default', csr, role: 'collaborator', certValidityDays: '365', packaged: 'pem', confirmHash: 'yes' },
    createUserAction: { username: 'intruder', role: 'admin', password: 'intruder password', confirm: 'intruder password' },
    updateUserAction: { id: adminId(), disabled: 'true' },
    resetPasswordAction: { id: adminId(), password: 'taken over password' },
    changeOwnPasswordAction: { current: TEST_ADMIN_PASSWORD, password: 'taken over password', confirm: 'taken over password' },
    revokeCertificateAction: { serial: issuedSerial || '0a1b2c', reasonCode: '1', note: 'intruder', confirm: 'yes' },
    saveWebhookAction: { webhookUrl: 'https://attacker.example.org/hook' },
    updateFederationSettingsAction: { id: 'default', publicUrl: 'http://attacker.example.org', allowRenewAfterExpiry: 'on' },
  };
}

const NOT_SIGNED_IN = 'You are not signed in, or your session has ended';
const NOT_ALLOWED = /Your role \(\w+\) does not allow this/;

/** Calls each named action with `cookie`; each must answer the refusal and change nothing. */
async function expectRefused(names: string[], cookie: string | undefined, refusal: string | RegExp) {
  const fields = await attempts();
  const before = snapshot();
  for (const name of names) {
    const action = actions.get(name);
    expect(action, `${name} is in the build`).toBeDefined();
    const r = await callAction(srv.origin, action!, fields[name]!, cookie);
    expect(r.status, name).toBe(200);
    if (typeof refusal === 'string') expect(r.text, name).toContain(refusal);
    else expect(r.text, name).toMatch(refusal);
  }
  expect(snapshot()).toEqual(before);
}

beforeAll(async () => {
  httpPort = await freePort();
  srv = await startFedpki({ apiOnly: false, httpPort, env: { FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } });
  browser = await launchBrowser();
  browser.context.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageProblems.push(m.text());
  });
  browser.context.on('weberror', (e) => pageProblems.push(e.error().message));
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  tmp = tempDir();
  actions = serverActions();
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

const PAGES = ['/', '/federations', '/federations/default', '/tokens', '/certificates', '/certificates/0a1b2c', '/csr', '/audit', '/users', '/account', '/settings'];
const DOWNLOADS = [
  '/api/federations/default/root_ca.crt',
  '/api/federations/default/cert_chain.crt',
  '/api/federations/default/cols.yaml',
  '/api/certificates/0a1b2c/certificate.crt',
  '/api/certificates/0a1b2c/openfl.zip',
  '/api/audit/export',
];

describe('the admin portal', () => {
  it('has a test below for every server action it defines', async () => {
    const defined = [...actions.keys()].filter((n) => n !== 'signOutAction').sort();
    expect(defined).toEqual(Object.keys(await attempts()).sort());
  });

  it('refuses every admin page, download and action to a visitor without a session', async () => {
    for (const path of PAGES) {
      const r = await httpsRequest(srv.origin + path, { insecure: true });
      expect(r.status, path).toBe(307);
      expect(new URL(String(r.headers.location), srv.origin).pathname, path).toBe('/login');
    }
    for (const path of DOWNLOADS) {
      const r = await httpsRequest(srv.origin + path, { insecure: true });
      expect(r.status, path).toBe(401);
      expect(r.json, path).toMatchObject({ status: 401, code: 'unauthenticated' });
    }
    await expectRefused(Object.keys(await attempts()), undefined, NOT_SIGNED_IN);
  });

  it('signs the first administrator in', async () => {
    const login = new LoginPage(page, srv.origin);
    await login.goto();
    await screenshot(page, 'login');
    expect(await login.attempt('admin', 'not the password at all')).toBe('The user name or password is wrong.');
    await screenshot(page, 'login-error');
    await login.signIn('admin', TEST_ADMIN_PASSWORD);
    await page.waitForURL(`${srv.origin}/`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Dashboard');
    await screenshot(page, 'dashboard-empty');
    const signIns = query<{ source_ip: string }>("select source_ip from audit_log where action = 'SIGN_IN' and actor = 'user:admin'");
    expect(signIns.map((r) => r.source_ip)).toEqual(['127.0.0.1']);
  });

  it('creates a federation with its own CA, served on its own port', async () => {
    const federations = new FederationsPage(page, srv.origin);
    await federations.goto();
    await screenshot(page, 'federations');
    federationPort = await freePort();
    // the same rules as the server, shown in the browser before sending
    await federations.submit({ name: '', caUrl: 'no port here' });
    const form = federations.form();
    expect(await form.getByText('Give the federation a name.').count()).toBe(1);
    expect(await form.getByText(/The CA URL is host:port/).count()).toBe(1);
    await screenshot(page, 'federations-errors');

    // A port another program holds is refused at the CA URL field, and nothing is created.
    const held = await freePort();
    const other = await holdPort(held);
    try {
      await federations.submit({ name: 'Study Busy', caUrl: `localhost:${held}` });
      const message = `Port ${held} cannot be opened here: something else is listening there. Choose another port for the CA URL.`;
      await form.getByText(message).first().waitFor();
      expect(await form.getByLabel('CA URL (host:port)').getAttribute('aria-invalid')).toBe('true');
      expect((await srv.cli(['federation', 'list', '-p', srv.dataDir, '--password-file', srv.passwordFile])).stdout).not.toMatch(/study-busy/);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }

    federationId = await federations.create({ name: 'Study East', caUrl: `localhost:${federationPort}`, keySpec: 'EC-P384', validityDays: 180 });
    expect(federationId).toBe('study-east');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Study East');
    await screenshot(page, 'federation');

    const root = await page.request.get(`${srv.origin}/api/federations/${federationId}/root_ca.crt`);
    expect(root.status()).toBe(200);
    const rootPem = await root.text();
    expect(openssl(['x509', '-noout', '-subject'], rootPem).stdout).toContain('Study East Root CA');
    const chain = await (await page.request.get(`${srv.origin}/api/federations/${federationId}/cert_chain.crt`)).text();
    expect(chain.startsWith(rootPem)).toBe(true);
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // The new federation's port answers over TLS that chains to its new root.
    const roots = await httpsRequest(`https://localhost:${federationPort}/roots`, { ca: rootPem });
    expect(roots.status).toBe(201);
    // Its root fingerprint is listed.
    const fp = openssl(['x509', '-noout', '-fingerprint', '-sha256'], rootPem).stdout.trim().split('=')[1]!;
    await federations.goto();
    expect(await page.getByRole('row').filter({ hasText: 'Study East' }).innerText()).toContain(fp);
  });

  it('mints a token in the portal that enrolls through the API', async () => {
    const tokens = new TokensPage(page, srv.origin);
    // The validity field starts over at the chosen federation's default (Study East: 180
    // days), also after it was edited.
    await tokens.goto();
    const validity = tokens.form().getByLabel('Certificate validity (days)');
    expect(await validity.inputValue()).toBe('365');
    await validity.fill('30');
    await tokens.form().getByLabel('Federation').selectOption({ label: 'Study East' });
    expect(await validity.inputValue()).toBe('180');
    await tokens.goto(`?federation=${federationId}`);
    await screenshot(page, 'tokens');
    await tokens.fill({ subject: 'bad name!' });
    await tokens.form().getByRole('button', { name: 'Mint token' }).click();
    expect(await tokens.form().getByText(/A subject name may use letters, digits/).count()).toBe(1);

    const minted = await tokens.mint({ federation: 'Study East', subject: NODE, lifetime: '1 hour' });
    expect(minted.token.split('.')).toHaveLength(2);
    expect(minted.fx).toBe(`fx pki certify -n ${NODE} -t ${minted.token}`);
    expect(minted.fedpki).toBe(`fedpki certify -n ${NODE} -t ${minted.token}`);
    expect(minted.enrollUrl).toBe(`https://localhost:${federationPort}/enroll#token=${encodeURIComponent(minted.token)}`);
    // The focus is on the warning to copy it now (the pressed button is gone), and each
    // copy button says what it copies.
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^Copy the token now: it is shown only this once\./);
    for (const name of ['Copy token', 'Copy fx command', 'Copy fedpki command', 'Copy link']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    expect(await page.getByRole('button', { name: 'Copy', exact: true }).count()).toBe(0);
    await screenshot(page, 'token-minted');
    await page.getByRole('button', { name: 'Done — mint another' }).click();
    await page.waitForFunction(() => document.activeElement?.closest('form')?.getAttribute('aria-label') === 'Mint an enrollment token' && document.activeElement.tagName === 'SELECT');
    // The token is not kept: neither the database nor the log holds it.
    expect(readFileSync(join(srv.dataDir, 'fedpki.db')).includes(Buffer.from(minted.token.split('.')[0]!))).toBe(false);
    expect(srv.logs()).not.toContain(minted.token.slice(0, 40));

    const certs = join(tmp.path, 'node-certs');
    const r = srv.cli(['certify', '-n', NODE, '-t', minted.token, '-c', certs]);
    expect(r.status, r.stderr).toBe(0);
    const leafPem = readFileSync(join(certs, `${NODE}.crt`), 'utf8');
    expect(openssl(['verify', '-CAfile', join(certs, 'root_ca.crt'), '-untrusted', join(certs, `${NODE}.crt`), join(certs, `${NODE}.crt`)]).stdout).toContain(': OK');
    issuedSerial = openssl(['x509', '-noout', '-serial'], leafPem).stdout.trim().split('=')[1]!.toLowerCase().replace(/^(00)+/, '');
    const leaf = new X509Certificate(leafPem);
    expect(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000)).toBe(180);

    await tokens.goto(`?federation=${federationId}`);
    const row = tokens.row(NODE);
    expect(await row.innerText()).toContain('used');
    expect(await row.getByRole('link').getAttribute('href')).toBe(`/certificates/${issuedSerial}`);
  });

  it('lists the certificate with its status, and shows its detail', async () => {
    const certificates = new CertificatesPage(page, srv.origin);
    await certificates.goto();
    await certificates.search(NODE.slice(0, 14).toUpperCase());
    expect(await certificates.row(NODE).innerText()).toContain('valid');
    await screenshot(page, 'certificates');
    await certificates.open(NODE);
    await screenshot(page, 'certificate');
    expect(page.url()).toBe(`${srv.origin}/certificates/${issuedSerial}`);
    expect(await certificates.field('Subject')).toBe(`CN=${NODE}`);
    const leafPem = readFileSync(join(tmp.path, 'node-certs', `${NODE}.crt`), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]!;
    const fp = openssl(['x509', '-noout', '-fingerprint', '-sha256'], leafPem).stdout.trim().split('=')[1]!;
    expect(await certificates.field('SHA-256 fingerprint')).toBe(fp);
    expect((await page.locator('pre.pem').innerText()).trim()).toBe(leafPem.trim());
    const download = await page.request.get(`${srv.origin}/api/certificates/${issuedSerial}/certificate.crt`);
    expect(await download.text()).toBe(leafPem);
    // The list also finds it by the start of its serial, and by status filters.
    await certificates.goto(`?q=${issuedSerial.slice(0, 10)}`);
    expect(await certificates.row(NODE).count()).toBe(1);
    await certificates.goto(`?federation=${federationId}&status=revoked`);
    expect(await certificates.row(NODE).count()).toBe(0);
  });

  it('signs an OpenFL request zip; the answer is what `fx collaborator certify --import` takes', async () => {
    // What `fx collaborator generate-cert-request -n site-seven` makes: RSA-3072, SHA-384, CN and SAN = the name.
    const dir = join(tmp.path, 'manual');
    mkdirSync(dir);
    const csrFile = join(dir, `col_${CSR_NODE}.csr`);
    const made = openssl([
      'req', '-new', '-newkey', 'rsa:3072', '-nodes', '-keyout', join(dir, `col_${CSR_NODE}.key`), '-out', csrFile, '-sha384', '-subj', `/CN=${CSR_NODE}`,
      '-addext', `subjectAltName=DNS:${CSR_NODE}`, '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=critical,clientAuth', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    ]);
    expect(made.status, made.stderr).toBe(0);
    const csrPem = readFileSync(csrFile, 'utf8');
    const request = join(dir, `col_${CSR_NODE}_to_agg_cert_request.zip`);
    writeFileSync(request, zipSync({ [`col_${CSR_NODE}.csr`]: strToU8(csrPem) }));

    const csr = new CsrPage(page, srv.origin);
    await csr.goto();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).not.toBe('csrFile'); // no focus taken on a first load
    await screenshot(page, 'csr');
    await csr.upload(request);
    expect(await csr.hash()).toBe(createHash('sha384').update(csrPem).digest('hex'));
    // The read request takes the focus (the button pressed is gone).
    await page.waitForFunction(() => document.activeElement?.textContent === 'The request');
    await csr.sign({ federation: 'Study East', confirm: false });
    expect(await page.getByText('Confirm that the requester’s hash matches this one.').count()).toBe(1);
    // The unticked box is marked and names its error.
    const confirmBox = page.getByRole('checkbox');
    expect(await confirmBox.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await confirmBox.getAttribute('aria-describedby')}`).innerText()).toBe('Confirm that the requester’s hash matches this one.');
    await screenshot(page, 'csr-inspected');
    await csr.sign({ federation: 'Study East' });
    await page.waitForFunction(() => document.activeElement?.textContent?.startsWith('Signed: '));
    const saved = await csr.download(/Download agg_to_col_/);
    await screenshot(page, 'csr-signed');
    expect(saved.filename).toBe(`agg_to_col_${CSR_NODE}_signed_cert.zip`);

    const files = unzipSync(new Uint8Array(readFileSync(saved.path)));
    expect(Object.keys(files).sort()).toEqual(['cert_chain.crt', `client/col_${CSR_NODE}.crt`]);
    const cert = strFromU8(files[`client/col_${CSR_NODE}.crt`]!);
    const chain = strFromU8(files['cert_chain.crt']!);
    const [rootPem, intermediatePem] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    expect(openssl(['x509', '-noout', '-subject'], rootPem!).stdout).toContain('Study East Root CA');
    expect(opensslVerify(dir, rootPem!, intermediatePem!, cert).ok).toBe(true);
    expect(openssl(['x509', '-noout', '-subject'], cert).stdout).toContain(`CN = ${CSR_NODE}`);
    // The certificate is for the requester's key.
    expect(openssl(['x509', '-noout', '-pubkey'], cert).stdout).toBe(openssl(['req', '-noout', '-pubkey', '-in', csrFile]).stdout);
    expect(query("select actor from audit_log where action = 'CSR_SIGNED'")).toEqual([{ actor: 'user:admin' }]);

    // Both collaborators are now in the federation's plan/cols.yaml.
    const cols = await (await page.request.get(`${srv.origin}/api/federations/${federationId}/cols.yaml`)).text();
    expect(cols).toBe(`collaborators:\n- ${NODE}\n- ${CSR_NODE}\n`);
  });

  it('signs an aggregator’s bare .csr and offers the zip OpenFL’s workspace takes, with server/agg_<fqdn>.crt', async () => {
    const dir = join(tmp.path, 'agg-csr');
    mkdirSync(dir);
    const fqdn = 'agg.fedpki.test';
    const made = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(dir, `agg_${fqdn}.key`), '-out', join(dir, `agg_${fqdn}.csr`), '-subj', `/CN=${fqdn}`]);
    expect(made.status, made.stderr).toBe(0);
    const csr = new CsrPage(page, srv.origin);
    await csr.goto();
    await csr.paste(readFileSync(join(dir, `agg_${fqdn}.csr`), 'utf8'));
    await page.getByTestId('csr-hash').waitFor();
    expect(await page.getByRole('form', { name: 'Sign the request' }).getByLabel('Role').inputValue()).toBe('aggregator');
    await csr.sign({ federation: 'FedPKI' }); // not Study East, whose enrolled nodes the dashboard test counts
    const saved = await csr.download(new RegExp(`^agg_${fqdn.replace(/\./g, '\\.')}_signed_cert\\.zip$`));
    expect(saved.filename).toBe(`agg_${fqdn}_signed_cert.zip`);
    const files = unzipSync(new Uint8Array(readFileSync(saved.path)));
    expect(Object.keys(files).sort()).toEqual(['cert_chain.crt', `server/agg_${fqdn}.crt`]);
    expect(openssl(['x509', '-noout', '-pubkey'], strFromU8(files[`server/agg_${fqdn}.crt`]!)).stdout).toBe(openssl(['req', '-noout', '-pubkey', '-in', join(dir, `agg_${fqdn}.csr`)]).stdout);
    // "Sign another request" is gone once pressed: the focus goes to the next request's file.
    await page.getByRole('button', { name: 'Sign another request' }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'csrFile');
  });

  it('refuses a CSR whose name cannot be certified as soon as it is read, before any hash is confirmed', async () => {
    const dir = join(tmp.path, 'bad-name');
    mkdirSync(dir);
    const made = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'r.csr'), '-subj', '/CN=bad name']);
    expect(made.status, made.stderr).toBe(0);
    const signedBefore = query("select count(*) n from audit_log where action = 'CSR_SIGNED'");
    const csr = new CsrPage(page, srv.origin);
    await csr.goto();
    await csr.paste(readFileSync(join(dir, 'r.csr'), 'utf8'));
    await page.getByText(/This CSR cannot be signed: A subject name may use letters, digits/).first().waitFor();
    expect(await page.getByTestId('csr-hash').count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Sign the request' }).count()).toBe(0);
    expect(query("select count(*) n from audit_log where action = 'CSR_SIGNED'")).toEqual(signedBefore);
    await page.getByRole('button', { name: 'Choose another request' }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'csrFile');
  });

  it('cancels a token after asking once more, says so, and stops counting down to its expiry', async () => {
    const tokens = new TokensPage(page, srv.origin);
    await tokens.goto();
    await tokens.mint({ subject: 'collaborator-cancelled-3' });
    await tokens.goto();
    const row = tokens.row('collaborator-cancelled-3');
    expect(await row.locator('td[data-label="Expires"]').innerText()).toMatch(/^in \d+ (hours?|days?)$/);
    await row.getByRole('button', { name: 'Cancel… the token for collaborator-cancelled-3' }).click();
    expect(await row.innerText()).toContain('No node can use it after this.');
    // The focus follows: to the question, and back to "Cancel…" on "Keep it".
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel it? No node can use it after this.');
    await screenshot(page, 'token-cancel-confirm');
    await row.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel… the token for collaborator-cancelled-3');
    expect(query("select state from tokens where subject = 'collaborator-cancelled-3'")).toEqual([{ state: 'pending' }]);
    await row.getByRole('button', { name: 'Cancel… the token for collaborator-cancelled-3' }).click();
    await row.getByRole('button', { name: 'Yes, cancel the token for collaborator-cancelled-3' }).click();
    await row.locator('.badge', { hasText: 'cancelled' }).waitFor();
    expect(await page.locator('.list-notice').innerText()).toBe('Cancelled the token for collaborator-cancelled-3: it can no longer be used.');
    expect(await row.locator('td[data-label="Expires"]').innerText()).toMatch(/^cancelled \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(await row.getByRole('button').count()).toBe(0);
    await screenshot(page, 'token-cancelled');
    expect(query("select state, cancelled_by from tokens where subject = 'collaborator-cancelled-3'")).toEqual([{ state: 'cancelled', cancelled_by: 'user:admin' }]);
    // On the next visit the row still says when it was cancelled, not when it would have expired.
    await tokens.goto();
    expect(await tokens.row('collaborator-cancelled-3').locator('td[data-label="Expires"]').innerText()).toMatch(/^cancelled /);
  });

  it('says a token was cancelled on the list of pending tokens too, where its row leaves the list', async () => {
    const tokens = new TokensPage(page, srv.origin);
    await tokens.goto();
    await tokens.mint({ subject: 'collaborator-cancelled-4' });
    await page.goto(`${srv.origin}/tokens?state=pending`);
    const row = tokens.row('collaborator-cancelled-4');
    await row.getByRole('button', { name: 'Cancel… the token for collaborator-cancelled-4' }).click();
    await row.getByRole('button', { name: 'Yes, cancel the token for collaborator-cancelled-4' }).click();
    await page.locator('.list-notice').getByText('Cancelled the token for collaborator-cancelled-4: it can no longer be used.').waitFor();
    await row.waitFor({ state: 'detached' });
    expect(await page.locator('.list-notice').getAttribute('role')).toBe('status');
    await screenshot(page, 'token-cancelled-pending-list');
    expect(query("select state from tokens where subject = 'collaborator-cancelled-4'")).toEqual([{ state: 'cancelled' }]);
  });

  it('disables a federation after asking once more, and enables it again', async () => {
    await page.goto(`${srv.origin}/federations/${federationId}`);
    await page.getByRole('button', { name: 'Disable federation' }).click();
    // The focus goes to what disabling stops, and back to the button on "Keep it active".
    await page.waitForFunction(() => document.activeElement?.textContent?.startsWith('Disabling refuses new tokens'));
    await page.getByRole('button', { name: 'Keep it active' }).click();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Disable federation');
    await page.getByRole('button', { name: 'Disable federation' }).click();
    await page.getByRole('button', { name: 'Yes, disable Study East' }).click();
    await page.getByRole('button', { name: 'Enable federation' }).waitFor();
    expect(query('select status from federations where id = ?', federationId)).toEqual([{ status: 'disabled' }]);
    await page.goto(`${srv.origin}/tokens`);
    expect(await new TokensPage(page, srv.origin).form().getByLabel('Federation').innerText()).not.toContain('Study East');
    await page.goto(`${srv.origin}/federations/${federationId}`);
    await page.getByRole('button', { name: 'Enable federation' }).click();
    await page.getByRole('button', { name: 'Disable federation' }).waitFor();
    expect(query<{ action: string }>("select action from audit_log where action like 'FEDERATION_%ABLED'").map((r) => r.action)).toEqual(['FEDERATION_DISABLED', 'FEDERATION_ENABLED']);
  });

  it('lets an administrator create operator and auditor accounts', async () => {
    const users = new UsersPage(page, srv.origin);
    await users.goto();
    await users.create({ ...OPERATOR, role: 'operator', displayName: 'Olivia Operator' });
    await users.create({ ...AUDITOR, role: 'auditor' });
    await screenshot(page, 'users');
    // The direct call used below to prove refusals does reach the action: as an admin it works.
    const r = await callAction(srv.origin, actions.get('createUserAction')!, { username: 'direct-call', role: 'auditor', password: 'direct call password', confirm: 'direct call password' }, await cookieHeader(browser.context));
    expect(r.text).toContain('"ok":true');
    expect(query("select role from users where username = 'direct-call'")).toEqual([{ role: 'auditor' }]);
    await page.goto(`${srv.origin}/account`);
    await screenshot(page, 'account');
    await page.goto(`${srv.origin}/audit`);
    await screenshot(page, 'audit');
  });

  it('changes a role and the control keeps the saved role; disables after asking once more; says what it did', async () => {
    const users = new UsersPage(page, srv.origin);
    await users.goto();
    const row = page.getByRole('row').filter({ hasText: 'direct-call' });
    const role = row.getByLabel('Role of direct-call');
    await role.selectOption('operator');
    await row.getByRole('button', { name: 'Save role of direct-call' }).click();
    expect(await row.getByRole('status').innerText()).toBe('Saved: direct-call is now operator.');
    expect(await row.locator('td[data-label="Role"]').innerText()).toBe('operator');
    // The control shows the saved role, so saving again keeps it (it used to send the old one back).
    expect(await role.inputValue()).toBe('operator');
    const updates = () => query("select id from audit_log where target = 'direct-call' and action = 'USER_UPDATED'").length;
    await row.getByRole('button', { name: 'Save role of direct-call' }).click();
    await expect.poll(updates).toBe(2);
    await row.getByRole('button', { name: 'Save role of direct-call' }).waitFor();
    expect(await role.inputValue()).toBe('operator');
    expect(query("select role from users where username = 'direct-call'")).toEqual([{ role: 'operator' }]);
    await screenshot(page, 'users-role-saved');

    // "Reset password" opens the field with the focus in it.
    await row.getByRole('button', { name: 'Reset password of direct-call' }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('placeholder') === 'New password');
    expect(await row.getByLabel('New password for direct-call').evaluate((e) => e === document.activeElement)).toBe(true);

    await row.getByRole('button', { name: 'Disable… direct-call' }).click();
    expect(await row.innerText()).toContain('Signs them out now');
    await screenshot(page, 'users-disable-confirm');
    await page.waitForFunction(() => document.activeElement?.textContent === 'Signs them out now; they cannot sign in until enabled.');
    await row.getByRole('button', { name: 'Keep it enabled' }).click();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Disable… direct-call');
    expect(query("select disabled from users where username = 'direct-call'")).toEqual([{ disabled: 0 }]);
    await row.getByRole('button', { name: 'Disable… direct-call' }).click();
    await row.getByRole('button', { name: 'Yes, disable direct-call' }).click();
    await row.getByRole('button', { name: 'Enable direct-call' }).waitFor();
    expect(await row.getByRole('status').innerText()).toBe('direct-call is disabled and signed out.');
    expect(query("select disabled from users where username = 'direct-call'")).toEqual([{ disabled: 1 }]);
    expect(await role.inputValue()).toBe('operator');
    await screenshot(page, 'users-disabled');
    await row.getByRole('button', { name: 'Enable direct-call' }).click();
    await row.getByRole('button', { name: 'Disable… direct-call' }).waitFor();
    expect(await row.getByRole('status').innerText()).toBe('direct-call can sign in again.');
    expect(query("select disabled from users where username = 'direct-call'")).toEqual([{ disabled: 0 }]);
    expect(query<{ action: string }>("select action from audit_log where target = 'direct-call' and action like 'USER_%' order by id").map((r) => r.action)).toEqual(['USER_CREATED', 'USER_UPDATED', 'USER_UPDATED', 'USER_DISABLED', 'USER_UPDATED']);
  });

  it('lets an operator mint tokens but not manage accounts or federations, even by calling the actions', async () => {
    await signOut(page);
    await new LoginPage(page, srv.origin).signInAs(OPERATOR.username, OPERATOR.password);
    const tokens = new TokensPage(page, srv.origin);
    await tokens.goto();
    await tokens.mint({ subject: 'collaborator-west-2' });
    pendingJti = query<{ jti: string }>("select jti from tokens where subject = 'collaborator-west-2'")[0]!.jti;
    await page.goto(`${srv.origin}/users`);
    expect(await page.getByRole('row').filter({ hasText: AUDITOR.username }).count()).toBe(1);
    expect(await page.getByRole('form', { name: 'Create an account' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Disable|Reset password/ }).count()).toBe(0);
    await page.goto(`${srv.origin}/federations`);
    expect(await page.getByRole('form', { name: 'Create a federation' }).count()).toBe(0);
    await expectRefused(
      ['createUserAction', 'updateUserAction', 'resetPasswordAction', 'createFederationAction', 'setFederationStatusAction', 'revokeCertificateAction', 'saveWebhookAction', 'updateFederationSettingsAction'],
      await cookieHeader(browser.context),
      /Your role \(operator\) does not allow this/,
    );
  });

  it('lets an auditor see every page but change nothing, even by calling the actions', async () => {
    await signOut(page);
    await new LoginPage(page, srv.origin).signInAs(AUDITOR.username, AUDITOR.password);
    for (const path of ['/', '/federations', `/federations/${federationId}`, '/tokens', '/certificates', `/certificates/${issuedSerial}`, '/audit', '/users', '/account', '/settings']) {
      const r = await page.goto(srv.origin + path);
      expect(r?.status(), path).toBe(200);
      expect(new URL(page.url()).pathname, path).toBe(path);
    }
    await page.goto(`${srv.origin}/certificates/${issuedSerial}`);
    expect(await page.getByRole('region', { name: 'Revocation' }).innerText()).toContain('has not been revoked');
    expect(await page.getByRole('form', { name: 'Revoke this certificate' }).count()).toBe(0);
    await page.goto(`${srv.origin}/settings`);
    expect(await page.getByRole('form').count()).toBe(0);
    await page.goto(`${srv.origin}/tokens`);
    expect(await page.getByRole('form', { name: 'Mint an enrollment token' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Cancel/ }).count()).toBe(0);
    await screenshot(page, 'tokens-auditor');
    await page.goto(`${srv.origin}/csr`);
    expect(await page.getByText('Your role (auditor) can view certificates but not sign requests.').count()).toBe(1);
    const names = Object.keys(await attempts()).filter((n) => n !== 'changeOwnPasswordAction');
    await expectRefused(names, await cookieHeader(browser.context), NOT_ALLOWED);
    expect(query<{ state: string }>('select state from tokens where jti = ?', pendingJti)).toEqual([{ state: 'pending' }]);
  });

  it('refuses forged, expired and ended session cookies on pages, downloads and actions', async () => {
    const auditorCookie = await cookieHeader(browser.context);
    const secret = JSON.parse(query<{ value: string }>("select value from settings where key = 'auth_secret'")[0]!.value) as string;
    const live = query<{ id: string; user_id: string }>('select s.id, s.user_id from sessions s join users u on u.id = s.user_id where u.username = ? and s.ended_at is null', AUDITOR.username);
    expect(live).toHaveLength(1);
    // The table holds only the hash of the session id; the cookie carries the id itself.
    const sid = (await decode({ token: auditorCookie.slice(auditorCookie.indexOf('=') + 1), secret }))!.sid!;
    expect(live[0]!.id).toBe(createHash('sha256').update(sid).digest('base64url'));
    const asAdmin = { sub: adminId(), name: 'admin', role: 'admin' as const };
    const cookie = (value: string) => `__Secure-next-auth.session-token=${value}`;
    const mint = actions.get('mintTokenAction')!;
    const fields = (await attempts()).mintTokenAction!;

    async function expectSignedOut(label: string, value: string) {
      await browser.context.clearCookies();
      const [name, ...rest] = value.split('=');
      await browser.context.addCookies([{ name: name!, value: rest.join('='), url: srv.origin }]);
      await page.goto(`${srv.origin}/tokens`);
      expect(new URL(page.url()).pathname, label).toBe('/login');
      const download = await httpsRequest(`${srv.origin}/api/audit/export`, { insecure: true, headers: { Cookie: value } });
      expect(download.status, label).toBe(401);
      const r = await callAction(srv.origin, mint, fields, value);
      expect(r.text, label).toContain(NOT_SIGNED_IN);
    }

    // While the auditor's session is live, tokens that point at it but are not the
    // server's own are refused:
    await expectSignedOut('garbage', cookie('not-a-token'));
    await expectSignedOut('signed with another secret', cookie(await encode({ token: { ...asAdmin, sid }, secret: 'x'.repeat(43) })));
    await expectSignedOut('expired', cookie(await encode({ token: { sub: live[0]!.user_id, name: AUDITOR.username, role: 'auditor' as const, sid }, secret, maxAge: -120 })));
    await expectSignedOut('a live session claimed for another user', cookie(await encode({ token: { ...asAdmin, sid }, secret })));
    await expectSignedOut('a session id the server never issued', cookie(await encode({ token: { ...asAdmin, sid: 'forged-session-id' }, secret })));
    // All a copy of the database gives: the secret and the live session's row key.
    await expectSignedOut('a live session row read from the database', cookie(await encode({ token: { sub: live[0]!.user_id, name: AUDITOR.username, role: 'auditor' as const, sid: live[0]!.id }, secret })));

    // Signing out ends the session: the same cookie, replayed, no longer works.
    await browser.context.clearCookies();
    const [name, ...rest] = auditorCookie.split('=');
    await browser.context.addCookies([{ name: name!, value: rest.join('='), url: srv.origin }]);
    await page.goto(`${srv.origin}/`);
    await signOut(page);
    await expectSignedOut('a session that was signed out', auditorCookie);
    await browser.context.clearCookies();
    expect(query("select count(*) n from tokens where subject = 'intruder'")).toEqual([{ n: 0 }]);
    expect(query("select count(*) n from audit_log where action = 'SIGN_OUT' and actor = ?", `user:${AUDITOR.username}`)).toEqual([{ n: 1 }]);
  });

  it('locks a user name after repeated bad passwords, and says so', async () => {
    const login = new LoginPage(page, srv.origin);
    await login.goto();
    for (let i = 1; i <= 4; i++) {
      expect(await login.attempt(AUDITOR.username, `wrong password ${i}`)).toBe('The user name or password is wrong.');
    }
    // The focus is back in the emptied password field, which names the refusal.
    const password = page.getByLabel('Password', { exact: true });
    await page.waitForFunction(() => (document.activeElement as HTMLInputElement | null)?.type === 'password');
    expect(await password.getAttribute('aria-describedby')).toBe('sign-in-error');
    expect(await page.locator('#sign-in-error').innerText()).toBe('The user name or password is wrong.');
    expect(await login.attempt(AUDITOR.username, 'wrong password 5')).toContain('Too many failed sign-ins');
    // Even the right password is refused while the lock holds.
    expect(await login.attempt(AUDITOR.username, AUDITOR.password)).toContain('Too many failed sign-ins');
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login-locked');
    const locked = query<{ target: string; source_ip: string }>("select target, source_ip from audit_log where action = 'SIGN_IN_LOCKED'");
    expect(locked).toEqual([{ target: AUDITOR.username, source_ip: '127.0.0.1' }]);
    const failed = query<{ n: number }>("select count(*) n from audit_log where action = 'SIGN_IN_FAILED' and target = ?", AUDITOR.username)[0]!.n;
    expect(failed).toBe(6);
    // A name that does not exist is locked the same way, so locking reveals nothing.
    const answers: string[] = [];
    for (let i = 1; i <= 5; i++) answers.push(await login.attempt('nobody-here', `guess ${i}`));
    expect(answers.slice(0, 4).every((a) => a === 'The user name or password is wrong.')).toBe(true);
    expect(answers[4]).toContain('Too many failed sign-ins');
    // Others at the same address still get in.
    await login.signInAs('admin', TEST_ADMIN_PASSWORD);
  });

  it('works the same over the plain-HTTP listener a TLS-terminating proxy uses', async () => {
    // Cookies there have no __Secure- prefix; sign-in, pages and sign-out must follow.
    const http = await browser.context.newPage();
    const origin = `http://127.0.0.1:${httpPort}`;
    await new LoginPage(http, origin).signInAs('admin', TEST_ADMIN_PASSWORD);
    const cookies = await browser.context.cookies(origin);
    expect(cookies.map((c) => c.name)).toContain('next-auth.session-token');
    await http.goto(`${origin}/certificates`);
    expect(await http.getByRole('heading', { level: 1 }).innerText()).toBe('Certificates');
    await signOut(http);
    await http.goto(`${origin}/certificates`);
    expect(new URL(http.url()).pathname).toBe('/login');
    await http.close();
  });

  it('exports the audit log as CSV, filtered like the page', async () => {
    await page.goto(`${srv.origin}/audit?action=SIGN_IN_LOCKED`);
    expect(await page.getByRole('row').filter({ hasText: 'Sign in locked' }).count()).toBe(2);
    const csv = await (await page.request.get(`${srv.origin}/api/audit/export?action=SIGN_IN_FAILED`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('id,time,action,outcome,actor,source_ip,federation,target,details');
    expect(lines.slice(1).every((l) => l.includes(',SIGN_IN_FAILED,failure,'))).toBe(true);
    expect(lines.filter((l) => l.includes(`,${AUDITOR.username},`))).toHaveLength(6);
    // The dashboard counts what happened.
    await page.goto(`${srv.origin}/`);
    const card = page.getByRole('article').filter({ hasText: 'Study East' });
    expect(await card.innerText()).toMatch(/2\s*Nodes enrolled/);
    await screenshot(page, 'dashboard');
  });

  it('ran every page without a Content-Security-Policy violation or an uncaught error', () => {
    expect(pageProblems).toEqual([]);
  });
});
