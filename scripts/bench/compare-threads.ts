// Signing with and without signing threads, alternating, on one machine state.
// `npx tsx scripts/bench/compare-threads.ts [count] [rounds] [EC-P256|EC-P384] [concurrency]`
import { startServer } from './server';
import { runSigning } from './signing';

const count = Number(process.argv[2] ?? 1500);
const rounds = Number(process.argv[3] ?? 2);
const spec = (process.argv[4] ?? 'EC-P256') as 'EC-P256';
const conc = Number(process.argv[5] ?? 16);
for (let r = 0; r < rounds; r++) {
  for (const threads of ['0', '2']) {
    const s = await startServer({ apiOnly: true, env: { FEDPKI_SIGNING_THREADS: threads } });
    try {
      const x = await runSigning(s, spec, conc, count);
      console.log(`threads=${threads} ${spec} c=${conc}: ${Math.round(x.certsPerSecond)} certs/s, server CPU ${x.serverCpuMsPerCert.toFixed(2)} ms/cert, p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)} ms, errors ${x.errors}`);
    } finally {
      await s.stop();
    }
  }
}
