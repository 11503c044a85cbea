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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './server';
import { driveLoad } from './signing';

const [count = 4000, runs = 3] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'fedpki-http-floor-'));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { stdio: 'ignore' });
// Bodies the size of a P-256 enrollment's: a ~560-byte CSR PEM and a ~950-byte token.
const jobs = Array.from({ length: count }, (_, i) => ({ csr: `-----BEGIN CERTIFICATE REQUEST-----\n${'B'.repeat(500)}${i}\n-----END CERTIFICATE REQUEST-----\n`, ott: 'C'.repeat(950) }));

async function run(mode: string) {
  const server = fork(join(ROOT, 'scripts/bench/http-floor-server.mjs'), [mode, key, cert], { stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((r) => server.once('message', (m) => r(m as { port: number })));
  const results: string[] = [];
  for (let i = 0; i <= runs; i++) {
    const out = await driveLoad({ jobs, origins: [`https://localhost:${port}`], rootPem: readFileSync(cert, 'utf8'), concurrency: 16, pids: [server.pid!] });
    // the first run warms the server up and is not shown
    if (i > 0) results.push(`${Math.round((count / out.wallMs) * 1000)} req/s, server ${(out.serverCpuMs[0]! / count).toFixed(3)} ms/req, client ${(out.clientCpuMs / count).toFixed(3)} ms/req`);
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
