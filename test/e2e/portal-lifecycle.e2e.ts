/**
 * The certificate lifecycle in the portal, in Debian's Chromium against the real server:
 * the dashboard lists a certificate that expires soon (and its renewed predecessor as
 * renewed); an administrator revokes a certificate with a reason and a confirmation,
 * the page shows it and `openssl ocsp` and the CRL say revoked; a second revocation
 * from a stale page says so plainly; an operator sees no form and the direct action call
 * is refused; the expiry webhook saves, is audited and reaches its receiver; a
 * federation's public URL goes into the next certificate; revoke tokens are listed as
 * such; sign-in and certificate pages link the renewal page.
 *
 * FEDPKI_SCREENSHOTS=<dir> also saves every page at 1280 and 390 pixels wide.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { httpsRequest } from '../helpers/https';
import { openssl, x509Text } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { TEST_ADMIN_PASSWORD, baseEnv, freePort, runCli, startFedpki, type Fedpki } from '../helpers/server';
import { queryFile } from '../helpers/sqlite-file';
import { callAction, serverActions, type ServerAction } from './actions';
import { LoginPage, cookieHeader, screenshot, signOut } from './pages/portal';
import { UsersPage } from './pages/users';

const OPERATOR = { username: 'oscar', password: 'operator password 2' };

let srv: Fedpki;
let browser: LaunchedBrowser;
let page: Page;
let tmp: ReturnType<typeof tempDir>;
let actions: Map<string, ServerAction>;
let httpPort = 0;
let receiver: http.Server;
let receiverUrl = '';
const received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
const pageProblems: string[] = [];

interface Node {
  name: string;
  dir: string;
  leafFile: string;
  serial: string;
}
const nodes: Record<string, Node> = {};
let intermediateFile = '';
let rootFile = '';

const query = <T>(sql: string, ...args: unknown[]): T[] => queryFile<T>(srv.dataDir, sql, ...args);

/** `fedpki get-token` then `fedpki certify`, as a node operator would. */
function enroll(name: string, extra: string[] = []): Node {
  const dir = join(tmp.path, name);
  const r = runCli(['certify', '-n', name, '-t', srv.mint(name, extra), '-c', dir], baseEnv(srv.dataDir));
  expect(r.status, r.stderr).toBe(0);
  const chain = readFileSync(join(dir, `${name}.crt`), 'utf8');
  const end = chain.indexOf('-----END CERTIFICATE-----') + 26;
  const leafFile = join(dir, 'leaf.pem');
  writeFileSync(leafFile, chain.slice(0, end));
  if (!intermediateFile) {
    intermediateFile = join(tmp.path, 'intermediate.pem');
    writeFileSync(intermediateFile, chain.slice(end).trim() + '\n');
    rootFile = join(dir, 'root_ca.crt');
  }
  const serial = openssl(['x509', '-noout', '-serial', '-in', leafFile]).stdout.trim().split('=')[1]!.toLowerCase().replace(/^(00)+/, '');
  return (nodes[name] = { name, dir, leafFile, serial });
}

/** `openssl ocsp` against the server's responder on the plain-HTTP listener, answer verified against the root. */
function ocsp(node: Node): string {
  const r = openssl(['ocsp', '-issuer', intermediateFile, '-cert', node.leafFile, '-url', `http://127.0.0.1:${httpPort}/ocsp/default`, '-CAfile', rootFile, '-resp_text']);
  expect(r.stderr).toContain('Response verify OK');
  return r.stdout;
}

async function crlText(): Promise<string> {
  const r = await httpsRequest(`${srv.origin}/crl/default?pem`, { ca: srv.rootPem });
  expect(r.status).toBe(200);
  return openssl(['crl', '-noout', '-text'], r.text).stdout;
}

const revokeForm = (p: Page = page) => p.getByRole('form', { name: 'Revoke this certificate' });
/** The "Valid until" field on a certificate's page. */
const validUntil = () => page.locator('dl.fields dt', { hasText: /^Valid until$/ }).locator('xpath=following-sibling::dd[1]').innerText();

beforeAll(async () => {
  tmp = tempDir();
  httpPort = await freePort();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/fedpki?key=s3cret-in-query`;
  srv = await startFedpki({
    apiOnly: false,
    httpPort,
    env: { FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, FEDPKI_LIFECYCLE_INTERVAL_SECONDS: '1' },
  });
  browser = await launchBrowser();
  browser.context.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageProblems.push(m.text());
  });
  browser.context.on('weberror', (e) => pageProblems.push(e.error().message));
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  actions = serverActions();
  enroll('long-lived');
  enroll('short-lived', ['--cert-validity', '10d']);
  enroll('operator-target');
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('the certificate lifecycle in the portal', () => {
  it('links the renewal page from the sign-in page', async () => {
    const login = new LoginPage(page, srv.origin);
    await login.goto();
    const link = page.getByRole('link', { name: 'Renew it' });
    expect(await link.getAttribute('href')).toBe('/renew');
    await link.click();
    await page.waitForURL(`${srv.origin}/renew`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Renew a certificate');
    await login.signInAs('admin', TEST_ADMIN_PASSWORD);
  });

  it('lists a certificate that expires soon on the dashboard, and its renewed predecessor as renewed', async () => {
    await page.goto(`${srv.origin}/`);
    const list = page.getByRole('region', { name: 'Expiring within 30 days' });
    const row = list.getByRole('row').filter({ hasText: 'short-lived' });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain('10 days left');
    expect(await row.getByRole('link', { name: 'short-lived' }).getAttribute('href')).toBe(`/certificates/${nodes['short-lived']!.serial}`);
    expect(await list.getByRole('row').filter({ hasText: 'long-lived' }).count()).toBe(0);
    await screenshot(page, 'lifecycle-dashboard');

    // The node renews: the new certificate is the one to watch; the old one is expected to run out.
    const n = nodes['short-lived']!;
    const r = srv.cli(['renew', '-c', join(n.dir, 'short-lived.crt'), '-k', join(n.dir, 'short-lived.key'), '--ca-url', srv.caUrl]);
    expect(r.status, r.stderr).toBe(0);
    const successor = query<{ serial: string }>('select serial from certificates where renewed_from = ?', n.serial)[0]!.serial;
    await page.reload();
    const rows = list.getByRole('row').filter({ hasText: 'short-lived' });
    expect(await rows.count()).toBe(2);
    expect(await rows.filter({ has: page.locator(`a[href="/certificates/${n.serial}"]`) }).innerText()).toContain('renewed');
    expect(await rows.filter({ has: page.locator(`a[href="/certificates/${successor}"]`) }).innerText()).toContain('days left');
    expect(await rows.filter({ has: page.locator(`a[href="/certificates/${successor}"]`) }).innerText()).not.toContain('renewed');
    await screenshot(page, 'lifecycle-dashboard-renewed');

    // The predecessor's page names its successor.
    await page.goto(`${srv.origin}/certificates/${n.serial}`);
    expect(await page.getByRole('region', { name: 'Renewal' }).getByRole('link', { name: /…/ }).getAttribute('href')).toBe(`/certificates/${successor}`);
  });

  it('says on a certificate’s page where the holder renews it', async () => {
    await page.goto(`${srv.origin}/certificates/${nodes['long-lived']!.serial}`);
    const renewal = page.getByRole('region', { name: 'Renewal' });
    expect(await renewal.getByRole('link', { name: `https://${srv.caUrl}/renew` }).getAttribute('href')).toBe(`https://${srv.caUrl}/renew`);
    expect((await renewal.locator('pre.command').innerText()).replace(/ \\\n\s+/g, ' ')).toBe(`fedpki renew -c long-lived.crt -k long-lived.key --ca-url ${srv.caUrl}`);
  });

  it('lets an administrator revoke a certificate with a reason; the page, OCSP and the CRL show it', async () => {
    const n = nodes['long-lived']!;
    expect(ocsp(n)).toContain(': good');
    await page.goto(`${srv.origin}/certificates/${n.serial}`);
    // A second tab on the same page, left as it is, to try again later.
    const stale = await browser.context.newPage();
    await stale.goto(`${srv.origin}/certificates/${n.serial}`);
    await page.bringToFront(); // a background tab gets few animation frames, which Playwright's clicks wait for
    await screenshot(page, 'lifecycle-certificate-valid');
    expect(await validUntil()).toMatch(/\(in \d+ days\)$/);
    expect(await page.getByRole('link', { name: 'OpenFL zip' }).count()).toBe(1);

    // No reason, no confirmation step.
    await revokeForm().getByRole('button', { name: 'Revoke…' }).click();
    expect(await revokeForm().getByRole('alert').innerText()).toContain('Choose a reason.');
    await revokeForm().getByLabel('Reason').selectOption({ value: '1' });
    await revokeForm().getByLabel('Note (optional)').fill('laptop stolen, ticket 4711');
    // Enter in the note asks the question, as "Revoke…" does; it sends nothing, so no
    // refusal comes back and the form is not reset under the reason held.
    await revokeForm().getByLabel('Note (optional)').press('Enter');
    // The confirmation names the certificate and the reason, and has the focus; going
    // back changes nothing and returns the focus to "Revoke…".
    expect(await revokeForm().innerText()).toMatch(/Revoke long-lived for key compromise\?/);
    expect(await revokeForm().getByRole('alert').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^Revoke long-lived for key compromise\?/);
    await screenshot(page, 'lifecycle-revoke-confirm');
    await revokeForm().getByRole('button', { name: 'Go back' }).click();
    expect(query('select status from certificates where serial = ?', n.serial)).toEqual([{ status: 'valid' }]);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Revoke…');
    expect(await revokeForm().getByLabel('Reason').inputValue()).toBe('1');
    expect(await revokeForm().getByLabel('Note (optional)').inputValue()).toBe('laptop stolen, ticket 4711');
    await revokeForm().getByRole('button', { name: 'Revoke…' }).click();
    await revokeForm().getByRole('button', { name: 'Yes, revoke long-lived' }).click();

    await page.locator('h1 .badge.revoked').waitFor();
    const panel = page.getByRole('region', { name: 'Revocation' });
    const text = await panel.innerText();
    expect(text).toContain('key compromise');
    expect(text).toContain('laptop stolen, ticket 4711');
    expect(text).toContain('user:admin in the portal');
    expect(text).toMatch(/CRL number \d+ lists it/);
    expect(await revokeForm().count()).toBe(0);
    await screenshot(page, 'lifecycle-certificate-revoked');
    // It no longer reads as good: the revocation stands where the countdown was, and the
    // OpenFL bundle (for installing) is gone; the certificate itself stays for the record.
    const revokedAt = /revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC \(key compromise\)$/;
    expect(await validUntil()).toMatch(revokedAt);
    expect(await validUntil()).not.toMatch(/\bin \d+ days/);
    expect(await page.locator('.callout.error').first().innerText()).toMatch(/^Revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC \(key compromise\): peers that check revocation refuse it/);
    expect(await page.getByRole('link', { name: 'OpenFL zip' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Certificate', exact: true }).count()).toBe(1);
    expect((await page.request.get(`${srv.origin}/api/certificates/${n.serial}/certificate.crt`)).status()).toBe(200);
    const bundle = await page.request.get(`${srv.origin}/api/certificates/${n.serial}/openfl.zip`);
    expect(bundle.status()).toBe(409);
    expect(await bundle.json()).toMatchObject({ code: 'conflict' });

    expect(query('select reason_code, reason, actor, via from revocations where serial = ?', n.serial)).toEqual([
      { reason_code: 1, reason: 'laptop stolen, ticket 4711', actor: 'user:admin', via: 'portal' },
    ]);
    expect(query("select actor, source_ip from audit_log where action = 'CERT_REVOKED' and target = ?", n.serial)).toEqual([{ actor: 'user:admin', source_ip: '127.0.0.1' }]);
    const answer = ocsp(n);
    expect(answer).toContain(': revoked');
    expect(answer).toContain('Reason: keyCompromise');
    const crl = (await crlText()).toUpperCase();
    expect(crl).toMatch(new RegExp(`SERIAL NUMBER: 0*${n.serial.toUpperCase()}\\s+REVOCATION DATE:[^\\n]+\\n\\s+CRL ENTRY EXTENSIONS:\\s+X509V3 CRL REASON CODE:\\s+KEY COMPROMISE`));

    // The stale tab still offers the form: revoking again says plainly that it is done already.
    await stale.bringToFront();
    await revokeForm(stale).getByLabel('Reason').selectOption({ value: '5' });
    await revokeForm(stale).getByRole('button', { name: 'Revoke…' }).click();
    await revokeForm(stale).getByRole('button', { name: 'Yes, revoke long-lived' }).click();
    const refusal = revokeForm(stale).getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/^This certificate was already revoked on \d{4}-\d\d-\d\d \d\d:\d\d UTC by user:admin; nothing was changed\.\s+Show its revocation$/);
    expect(await revokeForm(stale).getByRole('button').count()).toBe(0);
    await screenshot(stale, 'lifecycle-revoke-twice');
    await revokeForm(stale).getByRole('link', { name: 'Show its revocation' }).click();
    await stale.locator('h1 .badge.revoked').waitFor();
    await stale.close();
    await page.bringToFront();
    expect(query('select reason_code from revocations where serial = ?', n.serial)).toEqual([{ reason_code: 1 }]);
  });

  it('saves the expiry webhook, audits the change without the URL’s secret, and the notices reach it', async () => {
    await page.goto(`${srv.origin}/settings`);
    await screenshot(page, 'lifecycle-settings-empty');
    const form = page.getByRole('form', { name: 'Expiry webhook' });
    await form.getByLabel('Webhook URL').fill('ftp://files.example.org/x');
    await form.getByRole('button', { name: 'Save webhook' }).click();
    expect(await form.getByText('The webhook URL must be http:// or https://.').count()).toBe(1);
    expect(query("select count(*) n from settings where key = 'expiry_webhook_url'")).toEqual([{ n: 0 }]);

    await form.getByLabel('Webhook URL').fill(receiverUrl);
    await form.getByRole('button', { name: 'Save webhook' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(query<{ value: string }>("select value from settings where key = 'expiry_webhook_url'").map((r) => JSON.parse(r.value))).toEqual([receiverUrl]);
    const audits = query<{ actor: string; details: string }>("select actor, details from audit_log where action = 'SETTINGS_UPDATED' and target = 'expiry_webhook_url'");
    expect(audits).toHaveLength(1);
    expect(audits[0]!.actor).toBe('user:admin');
    expect(JSON.parse(audits[0]!.details)).toEqual({ host: new URL(receiverUrl).host });
    await page.reload();
    expect(await page.getByRole('region', { name: 'Expiry webhook' }).innerText()).toContain(receiverUrl);
    await screenshot(page, 'lifecycle-settings');

    // The server's next pass announces the certificates inside the 30-day window.
    const deadline = Date.now() + 30_000;
    while (!received.some((r) => (r.body.certificate as { commonName?: string } | undefined)?.commonName === 'short-lived') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const notice = received.find((r) => (r.body.certificate as { commonName?: string }).commonName === 'short-lived');
    expect(notice?.body).toMatchObject({ event: 'certificate.expiring', thresholdDays: 30 });
    expect(notice?.headers['x-fedpki-event']).toBe('certificate.expiring');
  });

  it('sets a federation’s public URL and renewal after expiry; the next certificate carries the CRL and OCSP addresses', async () => {
    const publicUrl = `http://127.0.0.1:${httpPort}`;
    await page.goto(`${srv.origin}/federations/default`);
    const revocation = page.getByRole('region', { name: 'Revocation lists' });
    expect(await revocation.innerText()).toContain('New certificates carry no CRL or OCSP address');
    // The CRL link serves the federation's CRL.
    const crl = await page.request.get(srv.origin + (await revocation.getByRole('link', { name: 'Download (PEM)' }).getAttribute('href'))!);
    expect(crl.status()).toBe(200);
    expect(await crl.text()).toMatch(/^-----BEGIN X509 CRL-----/);

    const form = page.getByRole('form', { name: 'Federation settings' });
    await form.getByLabel('Public URL').fill('pki.example.org/path?x=1');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.getByText(/The public URL is an http:\/\/ or https:\/\/ base address/).waitFor();
    // The refused value stays in the field to be corrected.
    expect(await form.getByLabel('Public URL').inputValue()).toBe('pki.example.org/path?x=1');
    await form.getByLabel('Public URL').fill(`${publicUrl}/`);
    await form.getByLabel('Allow renewal after expiry').check();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(query('select public_url, allow_renew_after_expiry from federations where id = ?', 'default')).toEqual([{ public_url: publicUrl, allow_renew_after_expiry: 1 }]);
    const audit = query<{ details: string }>("select details from audit_log where action = 'FEDERATION_UPDATED' and actor = 'user:admin'");
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([{ publicUrl, allowRenewAfterExpiry: true }]);
    await page.reload();
    expect(await page.getByRole('region', { name: 'Revocation lists' }).innerText()).toContain(`${publicUrl}/ocsp/default`);
    await screenshot(page, 'lifecycle-federation');

    const next = enroll('after-public-url');
    const text = x509Text(readFileSync(next.leafFile, 'utf8'));
    expect(text).toContain(`URI:${publicUrl}/crl/default`);
    expect(text).toContain(`OCSP - URI:${publicUrl}/ocsp/default`);
  });

  it('lists a revoke token as a revocation of its certificate, not as a node enrollment', async () => {
    const target = nodes['operator-target']!;
    const minted = srv.cli(['get-token', '--revoke', target.serial, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(minted.status, minted.stderr).toBe(0);
    await page.goto(`${srv.origin}/tokens`);
    const row = page.getByRole('row').filter({ hasText: 'Revokes a certificate' });
    expect(await row.count()).toBe(1);
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells[1]).toBe('revocation');
    expect(await row.getByRole('link', { name: /…/ }).first().getAttribute('href')).toBe(`/certificates/${target.serial}`);
    expect(await page.getByRole('row').filter({ hasText: 'short-lived' }).getByRole('cell').nth(1).innerText()).toBe('enrollment');
    await page.goto(`${srv.origin}/tokens?kind=revoke`);
    expect(await page.getByRole('row').filter({ hasText: 'short-lived' }).count()).toBe(0);
    expect(await page.getByRole('row').filter({ hasText: 'Revokes a certificate' }).count()).toBe(1);
    await screenshot(page, 'lifecycle-tokens');
  });

  it('shows an operator the revocation state but no form, and refuses the direct call', async () => {
    await new UsersPage(page, srv.origin).goto();
    await new UsersPage(page, srv.origin).create({ ...OPERATOR, role: 'operator' });
    await signOut(page);
    await new LoginPage(page, srv.origin).signInAs(OPERATOR.username, OPERATOR.password);
    const target = nodes['operator-target']!;
    await page.goto(`${srv.origin}/certificates/${target.serial}`);
    expect(await page.getByRole('region', { name: 'Revocation' }).innerText()).toContain('This certificate has not been revoked. Administrators can revoke it here.');
    expect(await revokeForm().count()).toBe(0);
    await page.goto(`${srv.origin}/certificates/${nodes['long-lived']!.serial}`);
    expect(await page.getByRole('region', { name: 'Revocation' }).innerText()).toContain('key compromise');
    await screenshot(page, 'lifecycle-certificate-operator');

    const cookie = await cookieHeader(browser.context);
    const r = await callAction(srv.origin, actions.get('revokeCertificateAction')!, { serial: target.serial, reasonCode: '1', note: '', confirm: 'yes' }, cookie);
    expect(r.text).toContain('Your role (operator) does not allow this');
    expect(query('select status from certificates where serial = ?', target.serial)).toEqual([{ status: 'valid' }]);
    expect(ocsp(target)).toContain(': good');

    // Settings: the webhook's receiver only, and no forms.
    await page.goto(`${srv.origin}/settings`);
    const webhook = await page.getByRole('region', { name: 'Expiry webhook' }).innerText();
    expect(webhook).toContain(`Set, to a receiver at ${new URL(receiverUrl).origin}`);
    expect(webhook).not.toContain('s3cret');
    expect(await page.getByRole('form').count()).toBe(0);
    await screenshot(page, 'lifecycle-settings-operator');
    await page.goto(`${srv.origin}/federations/default`);
    expect(await page.getByRole('form', { name: 'Federation settings' }).count()).toBe(0);
    const w = await callAction(srv.origin, actions.get('saveWebhookAction')!, { webhookUrl: 'https://attacker.example.org/' }, cookie);
    expect(w.text).toContain('Your role (operator) does not allow this');
    expect(query<{ value: string }>("select value from settings where key = 'expiry_webhook_url'").map((x) => JSON.parse(x.value))).toEqual([receiverUrl]);
  });

  it('ran every page without a Content-Security-Policy violation or an uncaught error', () => {
    expect(pageProblems).toEqual([]);
  });
});
