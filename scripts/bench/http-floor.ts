/**
 * What HTTPS alone costs per request on this machine: the load generator against a
 * server that does no CA work, only read the request and send a canned answer of a
 * real /sign answer's size over a keep-alive TLS connection. Server CPU per request is
 * the part of FedPKI's per-certificate cost that any Node server pays before it signs
 * anything. A tool for the hot path, not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/http-floor.ts [count] [runs]
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cpuMs } from './server';

const [count = 4000, runs = 3] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'fedpki-http-floor-'));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { stdio: 'ignore' });
// Bodies the size of a P-256 enrollment's: a ~560-byte CSR PEM and a ~950-byte token.
const jobs = Array.from({ length: count }, (_, i) => ({ csr: `-----BEGIN CERTIFICATE REQUEST-----\n${'B'.repeat(500)}${i}\n-----END CERTIFICATE REQUEST-----\n`, ott: 'C'.repeat(950) }));
const jobsFile = join(dir, 'jobs.json');
writeFileSync(jobsFile, JSON.stringify(jobs));

async function run(mode: string) {
  const server = fork(join(ROOT, 'scripts/bench/http-floor-server.mjs'), [mode, key, cert], { stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((r) => server.once('message', (m) => r(m as { port: number })));
  const results: string[] = [];
  for (let i = 0; i <= runs; i++) {
    const outFile = join(dir, 'out.json');
    const client = fork(join(ROOT, 'scripts/bench/load-client.mjs'), [jobsFile, outFile, `https://localhost:${port}`, cert, '16'], { stdio: 'inherit' });
    await new Promise<void>((r) => client.once('message', () => r()));
    const c0 = cpuMs(server.pid!);
    client.send('go');
    await new Promise<void>((r) => client.once('message', () => r()));
    const c1 = cpuMs(server.pid!);
    await new Promise((r) => client.once('exit', r));
    const out = JSON.parse(readFileSync(outFile, 'utf8')) as { wallMs: number; clientCpuMs: number };
    // the first run warms the server up and is not shown
    if (i > 0) results.push(`${Math.round((count / out.wallMs) * 1000)} req/s, server ${((c1 - c0) / count).toFixed(3)} ms/req, client ${(out.clientCpuMs / count).toFixed(3)} ms/req`);
  }
  server.kill();
  console.log(`${mode.padEnd(5)} ${results.join(' | ')}`);
}

try {
  await run('https');
  await run('tls');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
