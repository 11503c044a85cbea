/**
 * The enrollment page in Debian's Chromium against a real FedPKI server: tokens minted
 * by the CLI, keys made by the page, every downloaded file checked with openssl, the
 * aggregator layout used for a real mutual-TLS handshake, every request the page makes
 * searched for private key material, and each refusal shown in words.
 */

import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeySpec } from '@/lib/pki/keys';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { forgeToken, openTestCa } from '../helpers/ca';
import { httpsRequest } from '../helpers/https';
import { mtlsHandshake } from '../helpers/mtls';
import { openssl } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { freePort, startFedpki, type Fedpki } from '../helpers/server';
import { EnrollPage, type RecordedRequest } from './pages/enroll';
import { screenshot } from './pages/portal';

let srv: Fedpki;
let httpPort: number;
let browser: LaunchedBrowser;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  tmp = tempDir('fedpki-enroll-e2e-');
  httpPort = await freePort();
  srv = await startFedpki({ apiOnly: false, httpPort });
  browser = await launchBrowser({ acceptDownloads: true });
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

async function newEnrollPage(origin = srv.origin): Promise<EnrollPage> {
  return new EnrollPage(await browser.context.newPage(), origin);
}

function dirFor(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function unzip(zip: string, into: string): void {
  const r = spawnSync('unzip', ['-o', '-q', zip, '-d', into], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

function ok(args: string[], input?: string): string {
  const r = openssl(args, input);
  expect(r.status, `openssl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const publicKeyOfKey = (keyFile: string, extra: string[] = []) => ok(['pkey', '-in', keyFile, '-pubout', ...extra]);
const publicKeyOfCert = (certFile: string) => ok(['x509', '-in', certFile, '-pubkey', '-noout']);
const subjectOf = (certFile: string) => ok(['x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253']).trim();

/** As `openssl x509 -fingerprint -sha256` prints it, which is how the portal shows it too: B1:E6:… */
function rootFingerprint(pem: string): string {
  return ok(['x509', '-noout', '-fingerprint', '-sha256'], pem).split('=')[1]!.trim();
}

/** PEM blocks of a file, in order. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----\n/g) ?? [];
}

/** Enrolls `name` through the page with `spec`, leaving the page on its result. */
async function enrollThroughPage(name: string, spec: KeySpec, o: { extra?: string[]; origin?: string } = {}): Promise<EnrollPage> {
  const p = await newEnrollPage(o.origin);
  await p.open();
  await p.enterToken(srv.mint(name, o.extra));
  await p.summary.getByText(`Token for ${name}`).waitFor();
  expect(await p.generate(spec)).toBe('done');
  return p;
}

describe('enrolling through the page', () => {
  it.each<[KeySpec, string]>([
    ['EC-P384', 'EC PRIVATE KEY'],
    ['EC-P256', 'EC PRIVATE KEY'],
    ['RSA-2048', 'RSA PRIVATE KEY'],
  ])('%s: every download checks out with openssl', async (spec, keyLabel) => {
    const name = `collab-${spec.toLowerCase()}`;
    const dir = dirFor(name);
    const p = await newEnrollPage();
    await p.open();
    await p.enterToken(srv.mint(name));

    // The token as the page shows it: subject, federation, countdown, root fingerprint —
    // the latter character for character as openssl and the portal print it.
    await p.summary.getByText(`Token for ${name}`).waitFor();
    expect(await p.fingerprint()).toBe(rootFingerprint(srv.rootPem));
    // Dates as the portal prints them: UTC to the minute, whatever the browser's locale.
    expect(await p.summary.locator('time').innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(await p.page.getByTestId('fingerprint').locator('span').allTextContents()).toHaveLength(8);
    await expect(p.summary.getByTestId('countdown').innerText()).resolves.toMatch(/^23 h 59 min \d+ s$/);
    await expect(p.summary.innerText()).resolves.toContain('Compare this fingerprint with the one your administrator gave you');
    if (spec === 'EC-P384') await screenshot(p.page, 'enroll-token');

    expect(await p.generate(spec)).toBe('done');
    if (spec === 'EC-P384') await screenshot(p.page, 'enroll-done');
    expect(await p.page.getByText('It chains to the root whose fingerprint you checked').innerText()).toContain(`(${rootFingerprint(srv.rootPem).slice(0, 11)}:…)`);

    // Director/Envoy layout: fx pki certify's names; the chain verifies; key and certificate match.
    unzip(await p.download('director-envoy', dir), join(dir, 'de'));
    const de = join(dir, 'de', 'cert');
    const chain = pemBlocks(readFileSync(join(de, `${name}.crt`), 'utf8'));
    expect(chain).toHaveLength(2);
    writeFileSync(join(dir, 'intermediate.pem'), chain[1]!);
    ok(['verify', '-CAfile', join(de, 'root_ca.crt'), '-untrusted', join(dir, 'intermediate.pem'), join(de, `${name}.crt`)]);
    expect(readFileSync(join(de, `${name}.key`), 'utf8')).toMatch(new RegExp(`^-----BEGIN ${keyLabel}-----\n`));
    expect(statSync(join(de, `${name}.key`)).mode & 0o777).toBe(0o600);
    expect(publicKeyOfKey(join(de, `${name}.key`))).toBe(publicKeyOfCert(join(de, `${name}.crt`)));
    expect(subjectOf(join(de, `${name}.crt`))).toBe(`subject=CN=${name}`);
    expect(rootFingerprint(readFileSync(join(de, 'root_ca.crt'), 'utf8'))).toBe(rootFingerprint(srv.rootPem));

    // Aggregator-based layout for a collaborator: cert_chain.crt is root then intermediate.
    await expect(p.page.locator('input[name=role][value=collaborator]').isChecked()).resolves.toBe(true);
    unzip(await p.download('aggregator', dir), join(dir, 'agg'));
    const agg = join(dir, 'agg', 'cert');
    const bundle = pemBlocks(readFileSync(join(agg, 'cert_chain.crt'), 'utf8'));
    expect(bundle.map((b) => rootFingerprint(b))[0]).toBe(rootFingerprint(srv.rootPem));
    expect(bundle[1]).toBe(chain[1]);
    ok(['verify', '-CAfile', join(agg, 'cert_chain.crt'), join(agg, 'client', `col_${name}.crt`)]);
    expect(publicKeyOfKey(join(agg, 'client', `col_${name}.key`))).toBe(publicKeyOfCert(join(agg, 'client', `col_${name}.crt`)));

    // PKCS#12, encrypted in the page: OpenSSL 3 opens it with the passphrase, and only with it.
    const p12 = await p.downloadWithPassphrase('p12', 'correct horse 12', dir);
    const info = openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:correct horse 12']);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr + info.stdout).toMatch(/PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    expect(info.stderr + info.stdout).toMatch(/MAC: sha256/);
    const opened = ok(['pkcs12', '-in', p12, '-nodes', '-passin', 'pass:correct horse 12']);
    expect(ok(['pkey', '-pubout'], opened)).toBe(publicKeyOfCert(join(de, `${name}.crt`)));
    expect(openssl(['pkcs12', '-in', p12, '-nodes', '-passin', 'pass:wrong passphrase']).status).not.toBe(0);

    // Single PEM files, the key encrypted as PKCS#8.
    const crt = await p.download('certificate', dir);
    expect(readFileSync(crt, 'utf8')).toBe(chain.join(''));
    const encrypted = await p.downloadWithPassphrase('key', 'another passphrase', dir);
    expect(readFileSync(encrypted, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(publicKeyOfKey(encrypted, ['-passin', 'pass:another passphrase'])).toBe(publicKeyOfCert(crt));

    expect(p.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await p.page.close();
  });

  it('sends nothing but the CSR and the token: no request carries the private key in any encoding', async () => {
    const name = 'collab-leakcheck';
    const dir = dirFor(name);
    const p = await newEnrollPage();
    await p.open();
    await p.enterToken(srv.mint(name));
    expect(await p.generate('EC-P256')).toBe('done');

    // Leaving before the key is saved asks for confirmation.
    const dialog = p.page.waitForEvent('dialog');
    await p.page.close({ runBeforeUnload: true });
    const shown = await dialog;
    expect(shown.type()).toBe('beforeunload');
    await shown.dismiss();

    // The key, as the user received it, in every encoding a leak could take.
    const keyFile = await p.download('key', dir);
    const keyPem = readFileSync(keyFile, 'utf8');
    const key = createPrivateKey(keyPem);
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    const sec1 = key.export({ type: 'sec1', format: 'der' });
    const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
    const pkcs8Pem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    const binary = [pkcs8, sec1, d];
    const text = [
      ...binary.flatMap((b) => [b.toString('base64'), b.toString('base64url'), b.toString('hex')]),
      ...[keyPem, pkcs8Pem].flatMap((pem) => pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))),
    ];
    const leaks = (r: RecordedRequest) => {
      const haystack = [r.url, ...Object.values(r.headers), r.body.toString('latin1'), decodeURIComponent(r.url)].join('\n');
      return binary.some((b) => r.body.includes(b)) || text.some((t) => haystack.includes(t) || haystack.includes(t.replace(/\//g, '\\/')));
    };

    // The detector finds the key when it is there, in each encoding …
    const probe = (body: Buffer | string, url = `${srv.origin}/sign`): RecordedRequest => ({ method: 'POST', url, headers: {}, body: Buffer.from(body) });
    expect(leaks(probe(pkcs8))).toBe(true);
    expect(leaks(probe(JSON.stringify({ key: keyPem })))).toBe(true);
    expect(leaks(probe(JSON.stringify({ key: pkcs8.toString('base64') })))).toBe(true);
    expect(leaks(probe('', `${srv.origin}/x?d=${key.export({ format: 'jwk' }).d}`))).toBe(true);
    // … and in none of the requests the page made.
    expect(p.requests.length).toBeGreaterThan(2);
    expect(p.requests.filter(leaks).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    // Every request stays on this origin, and the only one with a body is POST /sign {csr, ott}.
    expect(p.requests.filter((r) => !r.url.startsWith(`${srv.origin}/`))).toEqual([]);
    const posts = p.requests.filter((r) => r.method !== 'GET');
    expect(posts.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /sign']);
    const body = JSON.parse(posts[0]!.body.toString('utf8')) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['csr', 'ott']);
    expect(posts[0]!.headers.cookie).toBeUndefined();
    expect(ok(['req', '-pubkey', '-noout'], body.csr)).toBe(ok(['pkey', '-pubout'], keyPem));

    // Once the key is saved, the page lets go without asking.
    let asked = false;
    p.page.on('dialog', (dlg) => {
      asked = true;
      void dlg.dismiss();
    });
    const closed = p.page.waitForEvent('close');
    await p.page.close({ runBeforeUnload: true });
    await closed;
    expect(asked).toBe(false);
  });

  it('lays out the role the admin chose, not what the name suggests: an aggregator with a plain name, a collaborator with a host name', async () => {
    for (const [name, role, side, workflow] of [
      ['aggregator1', 'aggregator', 'aggregator', 'Aggregator-based workflow'],
      ['collab.site-b.test', 'collaborator', 'collaborator', 'Aggregator-based workflow'],
      ['envoy.site-c.test', 'envoy', 'collaborator', 'Director / Envoy workflow'],
    ] as const) {
      const p = await enrollThroughPage(name, 'EC-P256', { extra: ['--role', role] });
      expect(await p.page.locator(`input[name=role][value=${side}]`).isChecked(), name).toBe(true);
      await p.page.getByText(new RegExp(`Your administrator made this token for (a|the) ${role}\\.`)).waitFor();
      const open = await p.page.locator('details[open] > summary').allTextContents();
      expect(open, name).toEqual([workflow]);
      await p.page.close();
    }
  });

  it('the aggregator layout from the page completes mutual TLS with a collaborator’s', async () => {
    const aggName = 'agg.federation.test';
    const colName = 'collab-mtls';
    const aggPage = await enrollThroughPage(aggName, 'EC-P384', { extra: ['--role', 'aggregator'] });
    // A host name suggests the aggregator; the page picks that layout by itself.
    await expect(aggPage.page.locator('input[name=role][value=aggregator]').isChecked()).resolves.toBe(true);
    const aggDir = dirFor('mtls-agg');
    unzip(await aggPage.download('aggregator', aggDir), aggDir);
    await aggPage.page.close();

    const colPage = await enrollThroughPage(colName, 'RSA-2048');
    const colDir = dirFor('mtls-col');
    unzip(await colPage.download('aggregator', colDir), colDir);
    await colPage.page.close();

    const read = (dir: string, path: string) => readFileSync(join(dir, 'cert', path), 'utf8');
    const server = { cert: read(aggDir, `server/agg_${aggName}.crt`), key: read(aggDir, `server/agg_${aggName}.key`), ca: read(aggDir, 'cert_chain.crt') };
    const client = { cert: read(colDir, `client/col_${colName}.crt`), key: read(colDir, `client/col_${colName}.key`), ca: read(colDir, 'cert_chain.crt') };
    expect(await mtlsHandshake(server, client, aggName)).toMatchObject({ ok: true, data: 'hello', cn: colName });
    // and the aggregator refuses a client without a certificate
    expect((await mtlsHandshake(server, { ca: client.ca }, aggName)).ok).toBe(false);
  });

  it('works over http://localhost, a secure context without TLS', async () => {
    const origin = `http://localhost:${httpPort}`;
    const p = await enrollThroughPage('collab-http', 'EC-P256', { origin });
    await expect(p.page.evaluate(() => window.isSecureContext)).resolves.toBe(true);
    expect(p.requests.filter((r) => r.method === 'POST').map((r) => r.url)).toEqual([`${origin}/sign`]);
    await p.page.getByText('This token was made for').waitFor();
    const dir = dirFor('collab-http');
    unzip(await p.download('director-envoy', dir), dir);
    expect(publicKeyOfKey(join(dir, 'cert', 'collab-http.key'))).toBe(publicKeyOfCert(join(dir, 'cert', 'collab-http.crt')));
    await p.page.close();
  });

  it('reads a token from the link’s fragment and removes it from the address bar', async () => {
    const p = await newEnrollPage();
    await p.open(`token=${encodeURIComponent(srv.mint('collab-link'))}`);
    await p.summary.getByText('Token for collab-link').waitFor();
    expect(new URL(p.page.url()).hash).toBe('');
    expect(p.requests.some((r) => r.url.includes('token='))).toBe(false);
    await p.page.close();
  });
});

describe('refusals, in plain words', () => {
  it('a malformed or truncated token is refused before any request', async () => {
    const p = await newEnrollPage();
    await p.open();
    const before = p.requests.length;
    await p.enterToken('this is not a token');
    await p.refusal('token_malformed').getByText('This is not a whole enrollment token.').waitFor();
    // The field is marked, names the refusal, and has the focus back (the button was
    // disabled while checking); editing the text clears the refusal.
    expect(await p.tokenField.getAttribute('aria-invalid')).toBe('true');
    expect(await p.tokenField.getAttribute('aria-describedby')).toBe('token-help token-refusal');
    expect(await p.refusal('token_malformed').getAttribute('id')).toBe('token-refusal');
    await p.page.waitForFunction(() => document.activeElement?.id === 'token');
    await p.tokenField.press('End');
    await p.tokenField.press('Backspace');
    expect(await p.refusal('token_malformed').count()).toBe(0);
    expect(await p.tokenField.getAttribute('aria-invalid')).toBeNull();
    expect(await p.tokenField.getAttribute('aria-describedby')).toBe('token-help');
    const token = srv.mint('collab-truncated');
    await p.enterToken(token.slice(0, token.length - 300));
    await p.refusal('token_malformed').getByText('This is not a whole enrollment token.').waitFor();
    expect(p.requests.slice(before).filter((r) => !new URL(r.url).pathname.startsWith('/_next/static/'))).toEqual([]);

    await p.open('token=garbage');
    await p.refusal('token_malformed').waitFor();
    await p.page.close();
  });

  it('an expired token is refused on the page; one that expires while open is stopped', async () => {
    const ca = await openTestCa(srv.dataDir);
    try {
      const now = Math.floor(Date.now() / 1000);
      const expired = await forgeToken({ ctx: ca.ctx(), store: ca.store, claims: { sub: 'collab-old', sans: ['collab-old'], iat: now - 7200, nbf: now - 7200, exp: now - 3600 } });
      const p = await newEnrollPage();
      await p.open();
      await p.enterToken(expired.token);
      await p.refusal('token_expired').getByText('This token has expired.').waitFor();
      expect(p.requests.some((r) => r.method === 'POST')).toBe(false);
      await p.page.close();

      // A token that runs out while the page is open: the countdown stops the user. The
      // fake clock belongs to a whole browser context, so this one gets its own browser.
      const own = await launchBrowser();
      try {
        const q = new EnrollPage(await own.context.newPage(), srv.origin);
        await q.page.clock.install();
        await q.open();
        await q.enterToken(srv.mint('collab-soon'));
        await q.summary.getByText('Token for collab-soon').waitFor();
        await expect(q.generateButton.isEnabled()).resolves.toBe(true);
        await q.page.clock.fastForward('25:00:00');
        await q.refusal('token_expired').waitFor();
        await expect(q.summary.getByTestId('countdown').innerText()).resolves.toBe('expired');
        await expect(q.generateButton.isDisabled()).resolves.toBe(true);
      } finally {
        await own.close();
      }
    } finally {
      ca.close();
    }
  });

  it('a token used already is refused by the CA, and the page says so', async () => {
    const token = srv.mint('collab-twice');
    const first = await newEnrollPage();
    await first.open();
    await first.enterToken(token);
    expect(await first.generate('EC-P256')).toBe('done');
    await first.download('director-envoy', dirFor('collab-twice'));
    await first.page.close();

    const again = await newEnrollPage();
    await again.open();
    await again.enterToken(token);
    expect(await again.generate('EC-P256')).toBe('refused');
    await again.refusal('token_used').getByText('This token has already been used.').waitFor();
    // The button pressed is gone: the focus is on the refusal, which is read out.
    await again.page.waitForFunction(() => document.activeElement?.getAttribute('data-code') === 'token_used');
    await screenshot(again.page, 'enroll-refused');
    await again.page.getByRole('button', { name: 'Use another token' }).last().click();
    await again.tokenField.waitFor();
    await again.page.waitForFunction(() => document.activeElement?.id === 'token');
    await again.page.close();
  });

  it('a token of a disabled federation is refused, and the page says so', async () => {
    const port2 = await freePort();
    const created = srv.cli(['federation', 'create', '--id', 'closing', '--ca-url', `localhost:${port2}`, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(created.status, created.stderr).toBe(0);
    const sha = created.stdout.trim();
    // The running server picks the new federation up within seconds.
    for (let i = 0; ; i++) {
      const r = await httpsRequest(`${srv.origin}/root/${sha}`, { insecure: true });
      if (r.status === 200) break;
      expect(i, 'the server did not pick up the new federation').toBeLessThan(150);
      await new Promise((res) => setTimeout(res, 100));
    }
    const token = srv.mint('collab-closing', ['--federation', 'closing']);
    const disabled = srv.cli(['federation', 'disable', 'closing', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(disabled.status, disabled.stderr).toBe(0);

    const p = await newEnrollPage();
    await p.open();
    await p.enterToken(token);
    await p.summary.getByText('Token for collab-closing').waitFor();
    expect(await p.generate('EC-P256')).toBe('refused');
    await p.refusal('federation_disabled').getByText('The federation of this token has been disabled.').waitFor();
    await p.page.close();
  });

  it('without WebCrypto (plain http on a remote name) the page says what to do', async () => {
    const page = await browser.context.newPage();
    // A name that is not localhost, served over plain http: not a secure context.
    await page.route('http://fedpki.example.test/**', async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: `http://127.0.0.1:${httpPort}${url.pathname}${url.search}` });
      await route.fulfill({ response });
    });
    await page.goto('http://fedpki.example.test/enroll');
    const alert = page.locator('[role=alert][data-code="no_webcrypto"]');
    await alert.getByText('This browser will not make keys on this page.').waitFor();
    await expect(alert.innerText()).resolves.toMatch(/ssh -N -L 9123:localhost:80 you@fedpki\.example\.test/);
    await expect(page.evaluate(() => window.isSecureContext)).resolves.toBe(false);
    await page.close();
  });
});

describe('security headers on /enroll', () => {
  it('a strict CSP with a nonce, no referrer, no framing, and only same-origin scripts', async () => {
    const r = await httpsRequest(`${srv.origin}/enroll`, { insecure: true });
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    const scriptSrc = directives.get('script-src')!;
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    const nonce = scriptSrc.find((s) => s.startsWith("'nonce-"))!.slice(7, -1);
    expect(nonce.length).toBeGreaterThanOrEqual(16);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);

    const scripts = [...r.text.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) {
      expect(attrs).toContain(`nonce="${nonce}"`);
      const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
      if (src) expect(src.startsWith('/_next/')).toBe(true);
    }
    expect(r.text).not.toMatch(/<[^>]+\son[a-z]+=/i);
    expect(r.text).not.toMatch(/https?:\/\/(?!localhost)[a-z0-9.-]+\.[a-z]{2,}\/[^"]*\.(js|css|woff2?)/i);

    // a fresh nonce per request
    const again = await httpsRequest(`${srv.origin}/enroll`, { insecure: true });
    expect(String(again.headers['content-security-policy'])).not.toContain(nonce);
  });
});
