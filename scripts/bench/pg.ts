/**
 * Signing throughput on PostgreSQL, measured exactly as scripts/bench/signing.ts
 * measures SQLite: the same server start (`startServer`), tokens and CSRs made before
 * the timed part, a separate client process at a fixed concurrency, every certificate
 * checked. Only the database differs: a throwaway PostgreSQL cluster on this machine
 * (test/helpers/postgres.ts) with its default durability — fsync and
 * synchronous_commit on, as SQLite runs with synchronous=FULL — stopped at the end.
 *
 * `npm run bench` loads this file and calls `benchPostgres(quick)`; alone:
 * `npx tsx scripts/bench/pg.ts [--quick]`.
 *
 * Besides the `SignRun` figures, each run carries `databaseCpuMsPerCert`: the CPU the
 * PostgreSQL processes (postmaster, backends, background writers) spent per
 * certificate, which `serverCpuMsPerCert` (FedPKI's process only) leaves out.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, startCluster, type PgCluster } from '../../test/helpers/postgres';
import { freePort, startServer } from './server';
import { runSigning, type SignRun } from './signing';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime (and, with `children`, cutime + cstime) of a process, in ms; 0 once it is gone. */
function processCpuMs(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields 14–17 of proc(5), counted from the state (field 3) at index 0.
    return ((f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) * 1000) / TICKS;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/**
 * CPU of the whole cluster so far: the postmaster with the children it has reaped
 * (backends that have exited) plus the children still running.
 */
function clusterCpuMs(cluster: PgCluster): number {
  const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = processCpuMs(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (pid && parentOf(pid) === postmaster) total += processCpuMs(pid);
  }
  return total;
}

export async function benchPostgres(quick: boolean): Promise<SignRun[]> {
  const cluster = startCluster({ port: await freePort() });
  try {
    const databaseUrl = await createDatabase(cluster.adminUrl, 'fedpki_bench');
    // API only: the portal is not on the signing path (the SQLite run in main.ts loads it
    // for its memory figures, which are not measured here).
    const server = await startServer({ apiOnly: true, databaseUrl });
    try {
      return [await runSigning(server, 'EC-P256', 16, quick ? 400 : 2000, { databaseCpuMs: () => clusterCpuMs(cluster) })];
    } finally {
      await server.stop();
    }
  } finally {
    cluster.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = await benchPostgres(process.argv.includes('--quick'));
  for (const r of runs) {
    console.log(
      `PostgreSQL, ${r.curve} CSRs, concurrency ${r.concurrency}: ${r.certsPerSecond.toFixed(0)} certs/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
        `FedPKI CPU ${r.serverCpuMsPerCert.toFixed(2)} ms/cert, PostgreSQL CPU ${(r.databaseCpuMsPerCert ?? NaN).toFixed(2)} ms/cert, ${r.checked}/${r.count} checked, ${r.errors} errors`,
    );
  }
}
