/**
 * Two server settings compared on one machine state: both servers start and warm up,
 * then take turns at P-256 or P-384 signing (concurrency 16 unless `c=N`), so the machine's drift
 * (which here moves single runs by ±20 %) hits both alike. Prints each round and the
 * medians. A tool for work on the hot path, not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/ab.ts [EC-P256|EC-P384] [count] [rounds] [c=16] A:NAME=value,… B:NAME=value,…
 *
 * e.g. `npx tsx scripts/bench/ab.ts EC-P256 2000 6 A:FEDPKI_SIGNING_THREADS=1 B:FEDPKI_SIGNING_THREADS=2`
 *
 * NODE_ARGS is not an environment variable but flags for the server's node, spaces
 * between them (V8 flags that NODE_OPTIONS refuses): `B:NODE_ARGS=--single-threaded-gc`.
 * Nor is ROOT: the checkout whose server runs, to compare two commits' code, e.g.
 * `git worktree add /tmp/before HEAD~1 && ln -s $PWD/node_modules /tmp/before/ &&
 * (cd /tmp/before && node scripts/build-server.mjs)`, then `A:ROOT=/tmp/before B:`. Tokens
 * are minted by this checkout's code for both, into each server's database.
 * Nor is PREFILL: that many enrollments go to that server before the warm-up, to compare
 * a fresh database with one holding many certificates: `A: B:PREFILL=60000`.
 */

import { median, startServer, type BenchServer } from './server';
import { runSigning, type SignRun } from './signing';

const args = process.argv.slice(2);
const spec = (args.find((a) => a.startsWith('EC-')) ?? 'EC-P256') as 'EC-P256' | 'EC-P384';
const [count = 2000, rounds = 6] = args.filter((a) => /^\d+$/.test(a)).map(Number);
const concurrency = Number(args.find((a) => a.startsWith('c='))?.slice(2) ?? 16);
const settings = args
  .filter((a) => /^[A-Z]:/.test(a))
  .map((a) => ({ name: a.slice(0, 1), env: Object.fromEntries(a.slice(2).split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) }));
if (settings.length < 2) throw new Error('name two settings, e.g. A:FEDPKI_SIGNING_THREADS=1 B:FEDPKI_SIGNING_THREADS=2');

const servers: BenchServer[] = [];
try {
  for (const { NODE_ARGS, ROOT, PREFILL, ...env } of settings.map((s) => s.env)) {
    const server = await startServer({ apiOnly: true, env, nodeArgs: NODE_ARGS?.split(' ').filter(Boolean), root: ROOT });
    servers.push(server);
    for (let left = Number(PREFILL ?? 0); left > 0; left -= 10_000) await runSigning(server, spec, 64, Math.min(left, 10_000));
  }
  for (const server of servers) await runSigning(server, spec, concurrency, count); // warm-up, not counted
  const runs = settings.map(() => [] as SignRun[]);
  for (let r = 0; r < rounds; r++) {
    // alternate who goes first, so neither always follows the other
    const order = r % 2 === 0 ? servers.map((_, i) => i) : servers.map((_, i) => i).reverse();
    for (const i of order) {
      const x = await runSigning(servers[i]!, spec, concurrency, count);
      runs[i]!.push(x);
      console.log(`round ${r + 1} ${settings[i]!.name}: ${Math.round(x.certsPerSecond)} certs/s, server CPU ${x.serverCpuMsPerCert.toFixed(3)} ms/cert, p99 ${x.p99.toFixed(1)} ms, peak RSS ${x.peakRssMiB.toFixed(0)} MiB, errors ${x.errors}`);
    }
  }
  for (const [i, s] of settings.entries()) {
    const xs = runs[i]!;
    console.log(
      `${s.name} ${JSON.stringify(s.env)} (${servers[i]!.allocator}): median ${Math.round(median(xs.map((x) => x.certsPerSecond)))} certs/s, ${median(xs.map((x) => x.serverCpuMsPerCert)).toFixed(3)} ms/cert, p99 ${median(xs.map((x) => x.p99)).toFixed(1)} ms, peak RSS ${Math.max(...xs.map((x) => x.peakRssMiB)).toFixed(0)} MiB`,
    );
  }
} finally {
  for (const s of servers) await s.stop();
}
