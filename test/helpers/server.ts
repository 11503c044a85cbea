/**
 * Starts a real FedPKI server (bin/fedpki.mjs run) in a child process on a free
 * loopback port, with its own data folder, and waits until /health answers. The
 * database is SQLite in that folder, or — in the integration tier's `postgres`
 * project (FEDPKI_TEST_DATABASE=postgres) or with `database: 'postgres'` — a fresh
 * database on the test cluster, or the `databaseUrl` given (instances sharing one).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net, { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { BIN, LAUNCHER, ROOT, tempDir } from './paths';
import { httpsRequest } from './https';

export type TestDatabase = 'sqlite' | 'postgres';

/** The database the current test project runs on (vitest.config.ts sets it). */
export function testDatabase(): TestDatabase {
  return process.env.FEDPKI_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
}

/** A fresh, empty PostgreSQL database on the test cluster (the `postgres` project only). */
export async function newTestPostgresUrl(): Promise<string> {
  const { inject } = await import('vitest');
  const { createDatabase } = await import('./postgres');
  const admin = inject('postgresAdminUrl');
  if (!admin) throw new Error('No PostgreSQL test cluster: run this file in the `postgres` project (vitest --project postgres).');
  return createDatabase(admin);
}

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_ADMIN_PASSWORD = 'admin password for tests';

/** Another program holding a port on 127.0.0.1 (it accepts and drops connections). */
export async function holdPort(port: number): Promise<net.Server> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  return server;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface FedpkiOptions {
  /** Serve only the API (no Next.js): faster to start. Default true. */
  apiOnly?: boolean;
  /** Reuse a data folder (for restarts). */
  dataDir?: string;
  port?: number;
  host?: string;
  env?: Record<string, string>;
  /** PBKDF2 iterations for CA keys; low in tests for speed. Default 1000. */
  kdfIterations?: number;
  extraArgs?: string[];
  httpPort?: number;
  /** Default: the test project's (testDatabase()). */
  database?: TestDatabase;
  /** A PostgreSQL database to use (implies postgres): instances sharing one. */
  databaseUrl?: string;
  /** The first federation's CA URL (default localhost:<port>). */
  caUrl?: string;
  /** FEDPKI_LISTEN_PORT_OFFSET: the server listens on (CA URL port + offset). */
  listenPortOffset?: number;
}

export interface Fedpki {
  port: number;
  origin: string;
  caUrl: string;
  dataDir: string;
  /** The PostgreSQL database, when the server runs on one. */
  databaseUrl?: string;
  database: TestDatabase;
  /** The environment the server and its CLI verbs run with. */
  env: NodeJS.ProcessEnv;
  passwordFile: string;
  child: ChildProcess;
  logs: () => string;
  /** The default federation's root PEM (from /roots). */
  rootPem: string;
  stop: () => Promise<void>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  cleanup: () => void;
  /** Runs a `fedpki` CLI verb against this server's data folder. */
  cli: (args: string[], opts?: { input?: string; env?: Record<string, string> }) => { status: number; stdout: string; stderr: string };
  /** `fedpki get-token -n NAME [extra…]` on this server's data folder: the token; throws with the CLI's stderr if it fails. */
  mint: (name: string, extra?: string[]) => string;
}

export function baseEnv(dataDir: string, extra: Record<string, string> = {}, kdfIterations = 1000): NodeJS.ProcessEnv {
  return {
    // The launcher starts `node` from PATH: this one.
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    FEDPKI_DATA_DIR: dataDir,
    FEDPKI_KDF_ITERATIONS: String(kdfIterations),
    FEDPKI_LOG_LEVEL: 'info',
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function startFedpki(o: FedpkiOptions = {}): Promise<Fedpki> {
  const tmp = o.dataDir ? undefined : tempDir();
  const dataDir = o.dataDir ?? join(tmp!.path, 'data');
  const passwordFile = join(dataDir, '..', 'ca-password');
  writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  const port = o.port ?? (await freePort());
  const caUrl = o.caUrl ?? `localhost:${port - (o.listenPortOffset ?? 0)}`;
  const database: TestDatabase = o.databaseUrl ? 'postgres' : (o.database ?? testDatabase());
  const databaseUrl = o.databaseUrl ?? (database === 'postgres' ? await newTestPostgresUrl() : undefined);
  const env = baseEnv(
    dataDir,
    {
      FEDPKI_CA_URL: caUrl,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(o.listenPortOffset ? { FEDPKI_LISTEN_PORT_OFFSET: String(o.listenPortOffset) } : {}),
      ...(o.env ?? {}),
    },
    o.kdfIterations,
  );
  // Through bin/fedpki, as `npm start` and the installed command run it.
  const args = [LAUNCHER, 'run', '-p', dataDir, '--password-file', passwordFile, ...(o.apiOnly === false ? [] : ['--api-only']), ...(o.extraArgs ?? [])];
  if (o.host) args.push('--host', o.host);
  if (o.httpPort) args.push('--http-port', String(o.httpPort));
  const child = spawn('sh', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const origin = `https://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  let rootPem = '';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fedpki exited with ${child.exitCode}:\n${output}`);
    try {
      const r = await httpsRequest(`${origin}/roots`, { insecure: true });
      if (r.status === 201) {
        rootPem = (r.json as { crts: string[] }).crts[0]!;
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`fedpki did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    port,
    origin,
    caUrl,
    dataDir,
    databaseUrl,
    database,
    env,
    passwordFile,
    child,
    logs: () => output,
    rootPem,
    stop: () => kill('SIGTERM'),
    kill,
    cleanup: () => tmp?.remove(),
    cli: (cliArgs, opts = {}) => runCli(cliArgs, { ...env, ...(opts.env ?? {}) }, opts.input),
    mint: (name, extra = []) => {
      const r = runCli(['get-token', '-n', name, '-p', dataDir, '--password-file', passwordFile, ...extra], env);
      if (r.status !== 0) throw new Error(`fedpki get-token -n ${name} failed (${r.status}): ${r.stderr}`);
      return r.stdout.trim();
    },
  };
}
