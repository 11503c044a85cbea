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
import { startServer, type BenchServer } from './server';
import { runSigning } from './signing';

const [processes = 2, count = 2000, runs = 6] = process.argv.slice(2).map(Number);
const env = { FEDPKI_SIGNING_THREADS: '0' };
const first = await startServer({ apiOnly: true, env });
const also: BenchServer[] = [];
try {
  for (let i = 1; i < processes; i++) {
    also.push(await startServer({ apiOnly: true, dataDir: first.dataDir, port: first.port + i, env: { ...env, FEDPKI_LISTEN_PORT_OFFSET: String(i) } }));
  }
  for (let r = 0; r <= runs; r++) {
    const x = await runSigning(first, 'EC-P256', 16, count, { also });
    // the first run warms the servers up and is not shown
    if (r === 0) continue;
    console.log(
      `${processes} processes: ${Math.round(x.certsPerSecond)} certs/s, p99 ${x.p99.toFixed(1)} ms, ` +
        `server CPU ${x.serverCpuMsPerCert.toFixed(3)} ms/cert (${(x.serverCpuMsPerCertByProcess ?? []).map((ms) => ms.toFixed(3)).join(' + ')}), ` +
        `load generator ${x.clientCpuMsPerCert.toFixed(3)}, errors ${x.errors}, peak RSS ${x.peakRssMiB.toFixed(0)} MiB`,
    );
  }
} finally {
  for (const s of [...also].reverse()) await s.stop();
  await first.stop();
}
