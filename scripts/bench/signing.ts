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
import { PASSWORD, ROOT, cpuMs, rssMiB, type BenchServer } from './server';

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

export async function runSigning(server: BenchServer, spec: 'EC-P256' | 'EC-P384', concurrency: number, count: number, o: { databaseCpuMs?: () => number } = {}): Promise<SignRun> {
  const { jobs, intermediatePem } = await makeJobs(server, spec, count);
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-load-'));
  const jobsFile = join(dir, 'jobs.json');
  const outFile = join(dir, 'out.json');
  const rootFile = join(dir, 'root.pem');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  writeFileSync(rootFile, server.rootPem);
  const client = fork(join(ROOT, 'scripts/bench/load-client.mjs'), [jobsFile, outFile, server.origin, rootFile, String(concurrency)], { stdio: 'inherit' });
  await new Promise<void>((resolve) => client.once('message', () => resolve()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid).rss)), 50);
  const cpu0 = cpuMs(server.pid);
  const db0 = o.databaseCpuMs?.();
  client.send('go');
  await new Promise<void>((resolve) => client.once('message', () => resolve()));
  const cpu1 = cpuMs(server.pid);
  const db1 = o.databaseCpuMs?.();
  clearInterval(sampler);
  await new Promise((r) => client.once('exit', r));
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as { wallMs: number; clientCpuMs: number; latencies: number[]; errors: number; certs: (string | null)[] };
  rmSync(dir, { recursive: true, force: true });

  // Every certificate: parses, is signed by the intermediate, holds the CSR's key, is unique.
  const issuer = new X509Certificate(intermediatePem);
  const serials = new Set<string>();
  let checked = 0;
  out.certs.forEach((pem, i) => {
    if (!pem) return;
    const cert = new X509Certificate(pem);
    if (!cert.verify(issuer.publicKey)) throw new Error(`certificate ${i} does not verify`);
    if (serials.has(cert.serialNumber)) throw new Error('duplicate serial');
    serials.add(cert.serialNumber);
    checked++;
  });
  const sorted = [...out.latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const ok = count - out.errors;
  return {
    curve: spec === 'EC-P256' ? 'P-256' : 'P-384',
    concurrency,
    count,
    certsPerSecond: (ok / out.wallMs) * 1000,
    p50: pct(50),
    p99: pct(99),
    serverCpuMsPerCert: (cpu1 - cpu0) / Math.max(ok, 1),
    clientCpuMsPerCert: out.clientCpuMs / Math.max(ok, 1),
    errors: out.errors,
    checked,
    peakRssMiB: peak,
    ...(db0 !== undefined && db1 !== undefined ? { databaseCpuMsPerCert: (db1 - db0) / Math.max(ok, 1) } : {}),
  };
}
