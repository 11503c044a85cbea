/**
 * The browser renewal page in Chromium, against a real server: the holder picks the
 * certificate and key files `fedpki certify` wrote, the page renews (and rekeys) and
 * offers the new files. Every request the browser makes is recorded, and neither the
 * current key nor the new one appears in any of them, in any encoding.
 */

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { openTestCa, type TestCa } from '../helpers/ca';
import { opensslVerify } from '../helpers/openssl';
import { ROOT, tempDir } from '../helpers/paths';
import { baseEnv, runCli, startFedpki, type Fedpki } from '../helpers/server';
import { screenshot } from './pages/portal';

let srv: Fedpki;
let ca: TestCa;
let browser: LaunchedBrowser;
let tmp: ReturnType<typeof tempDir>;

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}
const recorded: Recorded[] = [];

/** POSTs to /renew so far: one per certificate the page had issued. */
const renewals = () => recorded.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/renew').length;

function record(req: Request) {
  recorded.push({ url: req.url(), method: req.method(), headers: req.headers(), body: req.postDataBuffer() ?? Buffer.alloc(0) });
}

function enroll(name: string) {
  const dir = join(tmp.path, name);
  const r = runCli(['certify', '-n', name, '-t', srv.mint(name), '-c', dir], baseEnv(srv.dataDir));
  expect(r.status, r.stderr).toBe(0);
  return { dir, cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), root: join(dir, 'root_ca.crt') };
}

/** Every form a private key could travel in: PEM, DER (binary, base64, base64url, hex), the JWK `d`. */
function keyForms(pem: string): { name: string; needle: Buffer }[] {
  const key = createPrivateKey(pem);
  const forms: { name: string; der: Buffer }[] = [
    { name: 'PKCS#8 DER', der: key.export({ type: 'pkcs8', format: 'der' }) },
    { name: key.asymmetricKeyType === 'ec' ? 'SEC1 DER' : 'PKCS#1 DER', der: key.export({ type: key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1', format: 'der' }) },
  ];
  const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  const out: { name: string; needle: Buffer }[] = [
    { name: 'PEM file', needle: Buffer.from(pem.trim()) },
    { name: 'PEM body line', needle: Buffer.from(pem.split('\n')[1]!) },
    { name: 'JWK d', needle: Buffer.from(d.toString('base64url')) },
    { name: 'scalar hex', needle: Buffer.from(d.toString('hex')) },
    { name: 'scalar bytes', needle: d },
  ];
  for (const f of forms) {
    out.push({ name: `${f.name} binary`, needle: f.der });
    out.push({ name: `${f.name} base64`, needle: Buffer.from(f.der.toString('base64').slice(0, 60)) });
    out.push({ name: `${f.name} base64url`, needle: Buffer.from(f.der.toString('base64url').slice(0, 60)) });
    out.push({ name: `${f.name} hex`, needle: Buffer.from(f.der.toString('hex').slice(0, 80)) });
  }
  return out;
}

function expectNeverSent(pem: string, label: string) {
  expect(recorded.length).toBeGreaterThan(0);
  for (const { name, needle } of keyForms(pem)) {
    for (const r of recorded) {
      const haystacks = [Buffer.from(r.url), Buffer.from(decodeURIComponent(r.url)), Buffer.from(JSON.stringify(r.headers)), r.body];
      for (const h of haystacks) expect(h.includes(needle), `${label} (${name}) found in ${r.method} ${r.url}`).toBe(false);
    }
  }
}

async function choose(page: Page, files: { cert: string; key: string }) {
  await page.goto(`${srv.origin}/renew`);
  await page.getByTestId('cert-file').setInputFiles(files.cert);
  await page.getByTestId('key-file').setInputFiles(files.key);
  await page.getByTestId('summary').waitFor();
}

async function download(page: Page, testId: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = join(tmp.path, `dl-${Date.now()}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return readFileSync(path, 'utf8');
}

beforeAll(async () => {
  tmp = tempDir();
  srv = await startFedpki({ apiOnly: false });
  ca = await openTestCa(srv.dataDir);
  browser = await launchBrowser();
  browser.context.on('request', record);
});

afterAll(async () => {
  await browser?.close();
  ca?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

describe('the browser renewal page', () => {
  it('renews with the current key: same names, new serial, the key never sent', async () => {
    const files = enroll('browser-node');
    const old = new X509Certificate(readFileSync(files.cert));
    const page = await browser.context.newPage();
    await choose(page, files);
    await expect.poll(() => page.getByTestId('summary').textContent()).toContain('browser-node');
    const before = renewals();
    await page.getByTestId('renew').click();
    await page.getByTestId('done').waitFor({ timeout: 30_000 });
    const serial = (await page.getByTestId('new-serial').textContent())!.trim();
    // Done: the same files cannot be sent again (each click used to issue one more
    // certificate); starting over is explicit and empties the form.
    expect(await page.getByTestId('renew').count()).toBe(0);
    expect(await page.getByTestId('cert-file').isDisabled()).toBe(true);
    expect(await page.getByTestId('key-file').isDisabled()).toBe(true);
    expect(await page.getByTestId('rekey').isDisabled()).toBe(true);
    expect(renewals() - before).toBe(1);
    await screenshot(page, 'renew-done');
    expect(serial).not.toBe(old.serialNumber.toLowerCase());

    const chain = await download(page, 'download-browser-node.crt');
    const leaf = new X509Certificate(chain);
    expect(leaf.serialNumber.toLowerCase()).toBe(serial);
    expect(leaf.subject).toBe(old.subject);
    expect(leaf.subjectAltName).toBe(old.subjectAltName);
    expect(leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(old.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    const intermediate = chain.slice(chain.indexOf('-----END CERTIFICATE-----') + 26);
    expect(opensslVerify(tmp.path, readFileSync(files.root, 'utf8'), intermediate, leaf.toString()).ok).toBe(true);
    const stored = await ca.store.getCertificate(serial);
    expect(stored).toMatchObject({ renewedFrom: old.serialNumber.toLowerCase(), source: 'renew', issuedBy: `x5c:${old.serialNumber.toLowerCase()}` });

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'renew-page.png'), fullPage: true });
    expectNeverSent(readFileSync(files.key, 'utf8'), 'the current key');

    await page.getByTestId('renew-another').click();
    await page.getByTestId('done').waitFor({ state: 'detached' });
    expect(await page.getByTestId('cert-file').inputValue()).toBe('');
    expect(await page.getByTestId('key-file').inputValue()).toBe('');
    expect(await page.getByTestId('summary').count()).toBe(0);
    expect(await page.getByTestId('renew').isDisabled()).toBe(true);
    await page.getByTestId('cert-file').setInputFiles(files.cert);
    await page.getByTestId('key-file').setInputFiles(files.key);
    await page.getByTestId('summary').waitFor();
    expect(await page.getByTestId('renew').isEnabled()).toBe(true);
    expect(renewals() - before).toBe(1);
    await page.close();
  });

  it('rekeys: a new key made in the browser, saved in the old file format, never sent either', async () => {
    const files = enroll('rekey-node');
    const oldKey = readFileSync(files.key, 'utf8');
    expect(oldKey).toContain('BEGIN EC PRIVATE KEY');
    const old = new X509Certificate(readFileSync(files.cert));
    const page = await browser.context.newPage();
    await choose(page, files);
    await page.getByTestId('rekey').check();
    await page.getByTestId('renew').click();
    await page.getByTestId('done').waitFor({ timeout: 30_000 });
    const chain = await download(page, 'download-rekey-node.crt');
    const newKey = await download(page, 'download-rekey-node.key');
    expect(newKey).toContain('BEGIN EC PRIVATE KEY');
    const leaf = new X509Certificate(chain);
    expect(leaf.subject).toBe(old.subject);
    expect(leaf.checkPrivateKey(createPrivateKey(newKey))).toBe(true);
    expect(createPublicKey(newKey).export({ type: 'spki', format: 'der' }).equals(old.publicKey.export({ type: 'spki', format: 'der' }))).toBe(false);
    expect(await ca.store.getCertificate(leaf.serialNumber.toLowerCase())).toMatchObject({ source: 'rekey', renewedFrom: old.serialNumber.toLowerCase() });
    writeFileSync(join(tmp.path, 'new.key'), newKey);
    expectNeverSent(oldKey, 'the current key');
    expectNeverSent(newKey, 'the new key');
    await page.close();
  });

  it('refuses a revoked certificate and a key that is not the certificate’s, with a message', async () => {
    const files = enroll('revoked-node');
    const other = enroll('other-node');
    const page = await browser.context.newPage();
    await page.goto(`${srv.origin}/renew`);
    await page.getByTestId('cert-file').setInputFiles(files.cert);
    await page.getByTestId('key-file').setInputFiles(other.key);
    await expect.poll(() => page.getByTestId('check-error').textContent()).toContain('does not belong to this certificate');
    expect(await page.getByTestId('renew').isDisabled()).toBe(true);

    const serial = new X509Certificate(readFileSync(files.cert)).serialNumber.toLowerCase();
    const r = srv.cli(['revoke', serial, '--reason', 'keyCompromise', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(r.status, r.stderr).toBe(0);
    await choose(page, files);
    await page.getByTestId('renew').click();
    await expect.poll(() => page.getByTestId('error').textContent(), { timeout: 30_000 }).toMatch(/revoked/);
    await page.close();
  });
});
