// Signing throughput on PostgreSQL beside SQLite, measured the same way on both: a real
// FedPKI server (bin/fedpki.mjs run --api-only) in a child process, N one-time tokens
// minted beforehand, and N POST /1.0/sign requests over HTTPS keep-alive at a fixed
// concurrency, each one a full issuance (token check, CSR check, signing, the
// transaction that consumes the token and records the certificate and its audit entry).
//
//   import { benchPostgres, benchSigning } from './bench/pg.mjs'
//   await benchPostgres({ databaseUrl })  → { certsPerSecond, p50, p99, count, concurrency, database }
//   await benchSigning({})                 → the same on SQLite in a temporary data folder
//
// Without a databaseUrl, benchPostgres starts a throwaway PostgreSQL cluster with the
// server's default durability (fsync and synchronous_commit on, as SQLite runs with
// synchronous=FULL), and stops it. Run alone: `node scripts/bench/pg.mjs [count]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'bench password, not a secret';

const ts = (path) => tsImport(join(root, path), import.meta.url);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function post(agent, port, rootPem, body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: 'localhost', port, path: '/1.0/sign', method: 'POST', agent, ca: rootPem, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function startServer(dataDir, port, env) {
  const passwordFile = join(dataDir, '..', 'ca-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const child = spawn(process.execPath, [join(root, 'bin', 'fedpki.mjs'), 'run', '-p', dataDir, '--password-file', passwordFile, '--api-only', '--log-level', 'warn'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', FEDPKI_CA_URL: `localhost:${port}`, FEDPKI_KDF_ITERATIONS: '1000', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fedpki exited: ${log}`);
    const ok = await new Promise((resolve) => {
      https.get({ host: 'localhost', port, path: '/health', rejectUnauthorized: false }, (res) => (res.resume(), resolve(res.statusCode === 200))).on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`fedpki did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** The measurement, on SQLite (no databaseUrl) or the PostgreSQL database given. */
export async function benchSigning({ databaseUrl, count = 2000, concurrency = 16 } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'fedpki-bench-'));
  const dataDir = join(tmp, 'data');
  const port = await freePort();
  const server = await startServer(dataDir, port, databaseUrl ? { DATABASE_URL: databaseUrl } : {});
  try {
    const { openStore } = await ts('db/open.ts');
    const { CertificateAuthority } = await ts('lib/ca/authority.ts');
    const { createCsr } = await ts('lib/pki/csr.ts');
    const { generateKeyPair } = await ts('lib/pki/keys.ts');
    const { toPem } = await ts('lib/pki/pem.ts');
    const database = await openStore({ databaseFile: join(dataDir, 'fedpki.db'), databaseUrl, root, migrate: false });
    let jwts;
    let rootPem;
    try {
      const authority = new CertificateAuthority({ store: database.store, password: PASSWORD, iterations: 1000 });
      const [ctx] = await authority.unlockAll();
      rootPem = ctx.root.pem;
      jwts = [];
      for (let i = 0; i < count; i++) jwts.push((await authority.mintToken(ctx.federation.id, { subject: 'bench-node' }, { id: 'bench' })).jwt);
    } finally {
      await database.close();
    }
    const keys = await generateKeyPair('EC-P256');
    const csr = toPem(await createCsr({ keys, commonName: 'bench-node', sans: ['bench-node'] }), 'CERTIFICATE REQUEST');
    const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency });
    // warm-up: TLS sessions and the server's code paths, not counted
    const warm = jwts.splice(0, Math.min(50, Math.floor(count / 10)));
    await Promise.all(warm.map((ott) => post(agent, port, rootPem, { csr, ott })));
    const latencies = [];
    let next = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < jwts.length; i = next++) {
          const t0 = performance.now();
          const status = await post(agent, port, rootPem, { csr, ott: jwts[i] });
          latencies.push(performance.now() - t0);
          if (status !== 201) failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    if (failed) throw new Error(`${failed} of ${jwts.length} signing requests failed`);
    latencies.sort((a, b) => a - b);
    return {
      database: databaseUrl ? 'postgres' : 'sqlite',
      count: jwts.length,
      concurrency,
      certsPerSecond: Math.round(jwts.length / seconds),
      p50: Number(percentile(latencies, 50).toFixed(2)),
      p99: Number(percentile(latencies, 99).toFixed(2)),
    };
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Signing throughput on PostgreSQL: on `databaseUrl`, or on a throwaway cluster. */
export async function benchPostgres({ databaseUrl, count, concurrency } = {}) {
  if (databaseUrl) return benchSigning({ databaseUrl, count, concurrency });
  const { startCluster, createDatabase } = await ts('test/helpers/postgres.ts');
  const cluster = startCluster({ port: await freePort() });
  try {
    return await benchSigning({ databaseUrl: await createDatabase(cluster.adminUrl, 'fedpki_bench'), count, concurrency });
  } finally {
    cluster.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 2000);
  const results = [await benchSigning({ count }), await benchPostgres({ databaseUrl: process.env.FEDPKI_BENCH_DATABASE_URL, count })];
  for (const r of results) process.stdout.write(`${r.database.padEnd(9)} ${String(r.certsPerSecond).padStart(6)} certs/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (${r.count} signings, ${r.concurrency} at a time)\n`);
}
