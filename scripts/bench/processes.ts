/**
 * Several server processes on one SQLite file, as an alternative to signing threads:
 * each process runs the whole hot path (TLS, HTTP, token, CSR, leaf, commit) with no
 * threads, the instances bind their CA URL port plus an offset
 * (FEDPKI_LISTEN_PORT_OFFSET), and the load generator spreads its connections over
 * them. Prints each run with every process's CPU per certificate (of all certificates
 * issued). A tool for design work on the hot path, not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/processes.ts [processes] [count] [runs]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ROOT, cpuMs, rssMiB, startServer, type BenchServer } from './server';
import { makeJobs } from './signing';

const [processes = 2, count = 2000, runs = 6] = process.argv.slice(2).map(Number);
const env = { FEDPKI_SIGNING_THREADS: '0' };
const first = await startServer({ apiOnly: true, env });
const servers: BenchServer[] = [first];
const dir = mkdtempSync(join(tmpdir(), 'fedpki-processes-'));
try {
  for (let i = 1; i < processes; i++) {
    servers.push(await startServer({ apiOnly: true, dataDir: first.dataDir, port: first.port + i, env: { ...env, FEDPKI_LISTEN_PORT_OFFSET: String(i) } }));
  }
  const origins = servers.map((s, i) => `https://localhost:${first.port + i}`).join(',');
  for (let r = 0; r <= runs; r++) {
    const { jobs, intermediatePem } = await makeJobs(first, 'EC-P256', count);
    const jobsFile = join(dir, 'jobs.json');
    const outFile = join(dir, 'out.json');
    const rootFile = join(dir, 'root.pem');
    writeFileSync(jobsFile, JSON.stringify(jobs));
    writeFileSync(rootFile, first.rootPem);
    const client = fork(join(ROOT, 'scripts/bench/load-client.mjs'), [jobsFile, outFile, origins, rootFile, '16'], { stdio: 'inherit' });
    await new Promise<void>((res) => client.once('message', () => res()));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, servers.reduce((t, s) => t + rssMiB(s.pid).rss, 0))), 50);
    const c0 = servers.map((s) => cpuMs(s.pid));
    client.send('go');
    await new Promise<void>((res) => client.once('message', () => res()));
    const c1 = servers.map((s) => cpuMs(s.pid));
    clearInterval(sampler);
    await new Promise((res) => client.once('exit', res));
    const out = JSON.parse(readFileSync(outFile, 'utf8')) as { wallMs: number; clientCpuMs: number; latencies: number[]; errors: number; certs: (string | null)[] };
    const issuer = new X509Certificate(intermediatePem);
    for (const pem of out.certs) if (pem && !new X509Certificate(pem).verify(issuer.publicKey)) throw new Error('a certificate does not verify');
    const ok = count - out.errors;
    const lat = [...out.latencies].sort((a, b) => a - b);
    const perProcess = c1.map((c, i) => (c - c0[i]!) / ok);
    // the first run warms the servers up and is not shown
    if (r > 0) {
      console.log(
        `${processes} processes: ${Math.round((ok / out.wallMs) * 1000)} certs/s, p99 ${lat[Math.floor(lat.length * 0.99)]!.toFixed(1)} ms, ` +
          `server CPU ${perProcess.reduce((a, b) => a + b, 0).toFixed(3)} ms/cert (${perProcess.map((x) => x.toFixed(3)).join(' + ')}), ` +
          `load generator ${(out.clientCpuMs / ok).toFixed(3)}, errors ${out.errors}, peak RSS ${peak.toFixed(0)} MiB`,
      );
    }
  }
} finally {
  for (const s of servers.reverse()) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
