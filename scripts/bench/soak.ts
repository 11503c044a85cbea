/**
 * Soak: many rounds of enrollments against one long-running full server (portal and
 * API, real database file), printing its resident memory after each round and after a
 * short rest, so a leak shows as a line that keeps rising. Not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/soak.ts [EC-P256|EC-P384] [certs per round] [rounds]
 */

import { rssMiB, startServer } from './server';
import { runSigning } from './signing';

const [spec = 'EC-P256', perRound = '3000', rounds = '12'] = process.argv.slice(2);
const s = await startServer({});
try {
  const idle = rssMiB(s.pid);
  console.log(`start: RSS ${idle.rss} MiB`);
  let total = 0;
  for (let i = 1; i <= Number(rounds); i++) {
    const r = await runSigning(s, spec as 'EC-P256' | 'EC-P384', 16, Number(perRound));
    total += r.count;
    const busy = rssMiB(s.pid);
    await new Promise((done) => setTimeout(done, 3000));
    const rest = rssMiB(s.pid);
    console.log(
      `round ${String(i).padStart(2)}: ${String(total).padStart(6)} certs, ${Math.round(r.certsPerSecond)}/s, p99 ${r.p99.toFixed(1)} ms, ${r.serverCpuMsPerCert.toFixed(2)} ms CPU, errors ${r.errors}, checked ${r.checked}; RSS after ${busy.rss} MiB, rested ${rest.rss} MiB, peak ${rest.hwm} MiB`,
    );
  }
} finally {
  await s.stop();
}
