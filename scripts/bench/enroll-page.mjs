// The enrollment page in Chromium: the JavaScript it loads on first navigation
// (gzipped, as a person on a slow link pays for it), the code it loads on first use,
// and the in-browser time to make a key pair and CSR for each algorithm (several
// runs each, median). Needs `npm run build` first (the .next build and dist/fedpki.mjs).
//
//   import { benchEnrollPage } from './bench/enroll-page.mjs';
//   const result = await benchEnrollPage({ runs: 5 });
//
// or `node scripts/bench/enroll-page.mjs [runs]` to print a table.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fedpki.mjs');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const KEY_SPECS = ['EC-P384', 'EC-P256', 'RSA-2048', 'RSA-3072', 'RSA-4096'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function getStatus(url) {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-bench-enroll-'));
  const dataDir = join(dir, 'data');
  const passwordFile = join(dir, 'ca-password');
  writeFileSync(passwordFile, 'bench enroll page password\n', { mode: 0o600 });
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', FEDPKI_DATA_DIR: dataDir, FEDPKI_CA_URL: `localhost:${port}`, FEDPKI_KDF_ITERATIONS: '1000', FEDPKI_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [BIN, 'run', '-p', dataDir, '--password-file', passwordFile], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const origin = `https://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  while ((await getStatus(`${origin}/health`)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`fedpki did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    mint(name) {
      const r = spawnSync(process.execPath, [BIN, 'get-token', '-n', name, '-p', dataDir, '--password-file', passwordFile], { cwd: ROOT, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`get-token failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records the scripts a page loads, with their bodies, until told to stop. */
function recordScripts(page) {
  const seen = [];
  const onResponse = (response) => {
    if (response.request().resourceType() !== 'script') return;
    seen.push(
      response.body().then(
        (body) => ({ url: response.url(), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length }),
        () => undefined,
      ),
    );
  };
  page.on('response', onResponse);
  return async () => {
    page.off('response', onResponse);
    const files = (await Promise.all(seen)).filter(Boolean);
    return { files: files.map((f) => ({ ...f, url: new URL(f.url).pathname })), bytes: files.reduce((n, f) => n + f.bytes, 0), gzip: files.reduce((n, f) => n + f.gzip, 0) };
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * @param {{ runs?: number, specs?: string[] }} [options] runs per algorithm (default 5)
 * @returns {Promise<{ firstLoadJs: {files: {url: string, bytes: number, gzip: number}[], bytes: number, gzip: number},
 *   pageOwnJs: {files: {url: string, bytes: number, gzip: number}[], bytes: number, gzip: number},
 *   onFirstUseJs: {files: {url: string, bytes: number, gzip: number}[], bytes: number, gzip: number},
 *   keyAndCsrMs: Record<string, {runs: number[], median: number}>, chromium: string}>}
 */
export async function benchEnrollPage(options = {}) {
  const runs = options.runs ?? 5;
  const specs = options.specs ?? KEY_SPECS;
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    // First navigation in a fresh context: nothing cached. The home page gives the
    // framework's share (React, the Next.js runtime) that every page pays.
    const firstLoad = async (path) => {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      const p = await ctx.newPage();
      const done = recordScripts(p);
      await p.goto(`${server.origin}${path}`, { waitUntil: 'networkidle' });
      const r = await done();
      await ctx.close();
      return r;
    };
    const homeJs = await firstLoad('/');
    const firstLoadJs = await firstLoad('/enroll');
    const shared = new Set(homeJs.files.map((f) => f.url));
    const own = firstLoadJs.files.filter((f) => !shared.has(f.url));
    const pageOwnJs = { files: own, bytes: own.reduce((n, f) => n + f.bytes, 0), gzip: own.reduce((n, f) => n + f.gzip, 0) };

    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.origin}/enroll`, { waitUntil: 'networkidle' });

    // What the page fetches when a token is entered (pkijs and the enrollment code).
    const stop = recordScripts(page);
    await page.getByLabel('Enrollment token').fill(server.mint('bench-first-use'));
    await page.getByRole('button', { name: 'Check the token' }).click();
    await page.getByText('Root certificate fingerprint').waitFor();
    await page.waitForLoadState('networkidle');
    const onFirstUseJs = await stop();

    // Key pair + CSR, timed by the page itself around prepareEnrollment (WebCrypto
    // generateKey + pkijs CSR), once per fresh token.
    const keyAndCsrMs = {};
    for (const spec of specs) {
      const times = [];
      for (let i = 0; i < runs; i++) {
        await page.goto(`${server.origin}/enroll`);
        await page.getByLabel('Enrollment token').fill(server.mint(`bench-${spec.toLowerCase()}-${i}`));
        await page.getByRole('button', { name: 'Check the token' }).click();
        await page.locator(`input[name=key][value="${spec}"]`).check();
        await page.getByRole('button', { name: 'Make my key and get the certificate' }).click();
        const made = page.locator('[data-prepare-ms]');
        await made.waitFor({ timeout: 120_000 });
        times.push(Number(await made.getAttribute('data-prepare-ms')));
      }
      keyAndCsrMs[spec] = { runs: times, median: median(times) };
    }
    await context.close();
    return { firstLoadJs, pageOwnJs, onFirstUseJs, keyAndCsrMs, chromium: browser.version() };
  } finally {
    await browser.close();
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchEnrollPage({ runs: Number(process.argv[2] ?? 5) });
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`Chromium ${r.chromium}`);
  console.log(`first-load JS: ${r.firstLoadJs.files.length} files, ${kb(r.firstLoadJs.bytes)} raw, ${kb(r.firstLoadJs.gzip)} gzipped`);
  for (const f of r.firstLoadJs.files) console.log(`  ${f.url}  ${kb(f.bytes)} raw, ${kb(f.gzip)} gz`);
  console.log(`  of which the page's own (not loaded by the home page): ${kb(r.pageOwnJs.bytes)} raw, ${kb(r.pageOwnJs.gzip)} gzipped`);
  console.log(`loaded on first use (token entered): ${r.onFirstUseJs.files.length} files, ${kb(r.onFirstUseJs.bytes)} raw, ${kb(r.onFirstUseJs.gzip)} gzipped`);
  for (const f of r.onFirstUseJs.files) console.log(`  ${f.url}  ${kb(f.bytes)} raw, ${kb(f.gzip)} gz`);
  console.log('key pair + CSR in the browser (median of runs, ms):');
  for (const [spec, t] of Object.entries(r.keyAndCsrMs)) console.log(`  ${spec.padEnd(9)} ${t.median.toFixed(1).padStart(8)}   runs: ${t.runs.map((x) => x.toFixed(0)).join(', ')}`);
}
