/**
 * Signing throughput against a real HTTPS server and database file: tokens and CSRs are
 * made before the timed part, a separate client process sends them at a fixed
 * concurrency, and every certificate returned is checked afterwards.
 */

import { fork } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../lib/ca/authority';
import { nodeCrypto } from '../../lib/crypto/node-crypto';
import { createCsr } from '../../lib/pki/csr';
import { generateKeyPair, type KeySpec } from '../../lib/pki/keys';
import { toPem } from '../../lib/pki/pem';
import { openDatabase } from '../../db/client';
import { SqliteCaStore } from '../../db/store';
import { openStore } from '../../db/open';
import { PASSWORD, ROOT, cpuByKind, cpuMs, rssMiB, type BenchServer, type ThreadKind } from './server';

export interface SignRun {
  curve: 'P-256' | 'P-384';
  concurrency: number;
  count: number;
  certsPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMsPerCert: number;
  /** The load generator's own CPU: with both on one machine, the two share its cores. */
  clientCpuMsPerCert: number;
  errors: number;
  checked: number;
  peakRssMiB: number;
  /** With several server processes (`also`), each one's share of serverCpuMsPerCert. */
  serverCpuMsPerCertByProcess?: number[];
  /**
   * serverCpuMsPerCert by kind of thread, over all processes: the main thread (HTTPS,
   * database, group commit), the signing threads, and the rest (V8's GC and compiler
   * helpers, libuv's pool).
   */
  serverCpuMsPerCertByThread: Record<ThreadKind, number>;
  /** CPU of the database server's own processes per certificate (PostgreSQL runs, scripts/bench/pg.ts). */
  databaseCpuMsPerCert?: number;
}

export async function makeJobs(server: BenchServer, spec: KeySpec, count: number) {
  // A server on PostgreSQL (scripts/bench/pg.ts) is reached through openStore; SQLite as before.
  const pg = server.databaseUrl ? await openStore({ databaseFile: '', databaseUrl: server.databaseUrl, root: ROOT, migrate: false, poolSize: 2 }) : undefined;
  const db = pg ? undefined : openDatabase({ file: join(server.dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db/migrations') });
  const authority = new CertificateAuthority({ store: pg ? pg.store : new SqliteCaStore(db!), password: PASSWORD, crypto: nodeCrypto() });
  await authority.unlockAll();
  const jobs: { csr: string; ott: string }[] = [];
  const mintStart = performance.now();
  const tokens = [];
  for (let i = 0; i < count; i++) tokens.push(await authority.mintToken('default', { subject: `node-${spec}-${i}-${Math.random().toString(36).slice(2, 8)}` }, { id: 'bench' }));
  const mintMs = performance.now() - mintStart;
  for (const t of tokens) {
    const keys = await generateKeyPair(spec);
    const csr = await createCsr({ keys, commonName: t.claims.sub, sans: t.claims.sans });
    jobs.push({ csr: toPem(csr, 'CERTIFICATE REQUEST'), ott: t.jwt });
  }
  db?.$client.close();
  await pg?.close();
  return { jobs, mintPerSecond: (count / mintMs) * 1000, intermediatePem: authority.keyring.require('default').intermediate.pem };
}

/** What the load generator reports, and what the server processes spent meanwhile. */
export interface LoadResult {
  wallMs: number;
  clientCpuMs: number;
  latencies: number[];
  errors: number;
  /** The `crt` of each 201 answer, in job order; null for a refusal. */
  certs: (string | null)[];
  /** CPU milliseconds of each server process during the timed part, in `pids` order. */
  serverCpuMs: number[];
  /** The same summed over the processes by kind of thread. */
  serverCpuMsByThread: Record<ThreadKind, number>;
  /** The processes' summed RSS at its highest, sampled every 50 ms. */
  peakRssMiB: number;
}

/**
 * Sends `jobs` to `POST /1.0/sign` from the load-generator process, `concurrency`
 * keep-alive connections spread over `origins` in turn, and measures the server
 * processes `pids` around the timed part only.
 */
export async function driveLoad(o: { jobs: { csr: string; ott: string }[]; origins: string[]; rootPem: string; concurrency: number; pids: number[]; during?: { start(): void; stop(): void } }): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-load-'));
  try {
    const jobsFile = join(dir, 'jobs.json');
    const outFile = join(dir, 'out.json');
    const rootFile = join(dir, 'root.pem');
    writeFileSync(jobsFile, JSON.stringify(o.jobs));
    writeFileSync(rootFile, o.rootPem);
    const client = fork(join(ROOT, 'scripts/bench/load-client.mjs'), [jobsFile, outFile, o.origins.join(','), rootFile, String(o.concurrency)], { stdio: 'inherit' });
    await new Promise<void>((resolve) => client.once('message', () => resolve()));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, o.pids.reduce((sum, pid) => sum + rssMiB(pid).rss, 0))), 50);
    const cpu0 = o.pids.map(cpuMs);
    const kinds0 = o.pids.map(cpuByKind);
    o.during?.start();
    client.send('go');
    await new Promise<void>((resolve) => client.once('message', () => resolve()));
    const cpu1 = o.pids.map(cpuMs);
    const kinds1 = o.pids.map(cpuByKind);
    o.during?.stop();
    clearInterval(sampler);
    await new Promise((r) => client.once('exit', r));
    const out = JSON.parse(readFileSync(outFile, 'utf8')) as Omit<LoadResult, 'serverCpuMs' | 'serverCpuMsByThread' | 'peakRssMiB'>;
    const byThread = { main: 0, signing: 0, other: 0 };
    for (const [i, k1] of kinds1.entries()) for (const kind of ['main', 'signing', 'other'] as const) byThread[kind] += k1[kind] - kinds0[i]![kind];
    return { ...out, serverCpuMs: cpu1.map((c, i) => c - cpu0[i]!), serverCpuMsByThread: byThread, peakRssMiB: peak };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One signing run against `server` (and `also`: more processes on the same database,
 * whose connections take turns with its own). Server CPU and RSS are those of all of
 * them together.
 */
export async function runSigning(
  server: BenchServer,
  spec: 'EC-P256' | 'EC-P384',
  concurrency: number,
  count: number,
  o: { databaseCpuMs?: () => number; also?: BenchServer[] } = {},
): Promise<SignRun> {
  const { jobs, intermediatePem } = await makeJobs(server, spec, count);
  const servers = [server, ...(o.also ?? [])];
  let db0: number | undefined;
  let db1: number | undefined;
  const out = await driveLoad({
    jobs,
    origins: servers.map((s) => s.origin),
    rootPem: server.rootPem,
    concurrency,
    pids: servers.map((s) => s.pid),
    during: { start: () => (db0 = o.databaseCpuMs?.()), stop: () => (db1 = o.databaseCpuMs?.()) },
  });

  const perCert = (ms: number) => ms / Math.max(count - out.errors, 1);
  return {
    ...summarizeLoad(out, { spec, concurrency, count, intermediatePem }),
    ...(servers.length > 1 ? { serverCpuMsPerCertByProcess: out.serverCpuMs.map(perCert) } : {}),
    ...(db0 !== undefined && db1 !== undefined ? { databaseCpuMsPerCert: perCert(db1 - db0) } : {}),
  };
}

/**
 * Checks every certificate a load run got back (each verifies under `intermediatePem`,
 * no serial repeats; else this throws, naming `label`) and sums the run up: all server
 * processes' CPU together, per certificate issued.
 */
export function summarizeLoad(out: LoadResult, o: { spec: 'EC-P256' | 'EC-P384'; concurrency: number; count: number; intermediatePem: string; label?: string }): SignRun {
  const issuer = new X509Certificate(o.intermediatePem);
  const serials = new Set<string>();
  let checked = 0;
  const who = o.label ? `${o.label}: ` : '';
  out.certs.forEach((pem, i) => {
    if (!pem) return;
    const cert = new X509Certificate(pem);
    if (!cert.verify(issuer.publicKey)) throw new Error(`${who}certificate ${i} does not verify`);
    if (serials.has(cert.serialNumber)) throw new Error(`${who}duplicate serial`);
    serials.add(cert.serialNumber);
    checked++;
  });
  const sorted = [...out.latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const ok = o.count - out.errors;
  const perCert = (ms: number) => ms / Math.max(ok, 1);
  return {
    curve: o.spec === 'EC-P256' ? 'P-256' : 'P-384',
    concurrency: o.concurrency,
    count: o.count,
    certsPerSecond: (ok / out.wallMs) * 1000,
    p50: pct(50),
    p99: pct(99),
    serverCpuMsPerCert: perCert(out.serverCpuMs.reduce((a, b) => a + b, 0)),
    serverCpuMsPerCertByThread: { main: perCert(out.serverCpuMsByThread.main), signing: perCert(out.serverCpuMsByThread.signing), other: perCert(out.serverCpuMsByThread.other) },
    clientCpuMsPerCert: perCert(out.clientCpuMs),
    errors: out.errors,
    checked,
    peakRssMiB: out.peakRssMiB,
  };
}
