/** Starting a FedPKI server for the benchmark, and reading its CPU time and memory from /proc. */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import https from 'node:https';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const PASSWORD = 'benchmark ca password';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const TICKS = 100; // USER_HZ on Linux

/** utime + stime from a /proc stat file, in milliseconds. */
export function statCpuMs(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** utime + stime of a process (all its threads), in milliseconds. */
export const cpuMs = (pid: number): number => statCpuMs(`/proc/${pid}/stat`);

/** What a thread of the server does, from its name: signing threads name themselves. */
export type ThreadKind = 'main' | 'signing' | 'other';

/** CPU milliseconds of each thread of a process, with its name and kind; a thread that ends meanwhile is left out. */
export function threadCpu(pid: number): { tid: string; name: string; kind: ThreadKind; ms: number }[] {
  const out = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const kind: ThreadKind = tid === String(pid) ? 'main' : name.startsWith('fedpki-sign') ? 'signing' : 'other';
      out.push({ tid, name, kind, ms: statCpuMs(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** A process's CPU milliseconds summed by kind of thread. */
export function cpuByKind(pid: number): Record<ThreadKind, number> {
  const sum = { main: 0, signing: 0, other: 0 };
  for (const t of threadCpu(pid)) sum[t.kind] += t.ms;
  return sum;
}

export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** The memory allocator a process runs on: a preloaded one seen in its memory map, else glibc's. */
export function allocatorOf(pid: number): string {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  return ['tcmalloc', 'jemalloc', 'mimalloc'].find((name) => maps.includes(`lib${name}`)) ?? 'glibc';
}

/** The median of `xs` (the upper one of an even count), as every bench tool reports its rounds. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function get(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, rejectUnauthorized: Boolean(ca) }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

export interface BenchServer {
  pid: number;
  port: number;
  origin: string;
  dataDir: string;
  /** The PostgreSQL database the server runs on (SQLite in dataDir when absent). */
  databaseUrl?: string;
  rootPem: string;
  /** Milliseconds from spawn to the first answered /health. */
  startMs: number;
  /** 'tcmalloc' when bin/fedpki found it, else 'glibc' (allocatorOf). */
  allocator: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `root`: the checkout whose server runs (default this one), to compare two commits' code. */
export async function startServer(o: { port?: number; apiOnly?: boolean; env?: Record<string, string>; dataDir?: string; nodeArgs?: string[]; databaseUrl?: string; root?: string } = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-bench-'));
  const dataDir = o.dataDir ?? join(dir, 'data');
  const pw = join(dir, 'pw');
  writeFileSync(pw, PASSWORD);
  const port = o.port ?? (await freePort());
  const root = o.root ?? ROOT;
  const args = ['run', '-p', dataDir, '--password-file', pw, '--log-level', 'warn'];
  if (o.apiOnly) args.push('--api-only');
  const env: NodeJS.ProcessEnv = { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, HOME: process.env.HOME, NODE_ENV: 'production', FEDPKI_CA_URL: `localhost:${port}`, NEXT_TELEMETRY_DISABLED: '1', ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}), ...(o.env ?? {}) };
  // Started as users start it: through bin/fedpki (which execs node, so the pid is the
  // server's, with TCMalloc when installed). A checkout from before the launcher: node.
  const launcher = join(root, 'bin/fedpki');
  const viaLauncher = existsSync(launcher);
  if (viaLauncher && o.nodeArgs?.length) env.FEDPKI_NODE_ARGS = o.nodeArgs.join(' ');
  const t0 = performance.now();
  const child = viaLauncher
    ? spawn('sh', [launcher, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, [...(o.nodeArgs ?? []), join(root, 'bin/fedpki.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const origin = `https://localhost:${port}`;
  await waitForHealth(origin, child, { exited: () => `server exited: ${log}` });
  const startMs = performance.now() - t0;
  const roots = await new Promise<string>((resolve, reject) =>
    https.get(`${origin}/roots`, { rejectUnauthorized: false }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(JSON.parse(b).crts[0]));
    }).on('error', reject),
  );
  return {
    pid: child.pid!,
    port,
    origin,
    dataDir,
    databaseUrl: o.databaseUrl,
    rootPem: roots,
    startMs,
    allocator: allocatorOf(child.pid!),
    child,
    stop: () => stopAndRemove(child, dir),
  };
}

/**
 * Polls `origin`/health every 20 ms until it answers 200 (trusting `ca` when given);
 * throws `exited()`'s message if the process exits first.
 */
export async function waitForHealth(origin: string, child: ChildProcess, o: { ca?: string; exited: () => string }): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(o.exited());
    try {
      if ((await get(`${origin}/health`, o.ca)) === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stops a server process (SIGTERM, and waits for it to exit), then removes its folder. */
export async function stopAndRemove(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
