/**
 * A throwaway PostgreSQL cluster for the tests: Debian's server binaries
 * (`apt-get install postgresql`, see .ci/run), `initdb` into a temporary folder,
 * `pg_ctl start` on 127.0.0.1 at a free port with its socket in that folder, and
 * `pg_ctl stop` + removal at the end. PostgreSQL refuses to run as root, so as root
 * (CI, this machine) the cluster runs as the `postgres` system user the Debian package
 * creates, in a folder that user owns.
 *
 * fsync is off: the tests kill FedPKI instances, never PostgreSQL, so it only saves
 * time on a shared machine. The benchmark starts its own cluster with the defaults.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres — the superuser, trusted locally. */
  adminUrl: string;
  port: number;
  dir: string;
  stop: () => void;
}

/** /usr/lib/postgresql/<newest>/bin, or undefined when the server is not installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function asOwner(uid: number | undefined): (cmd: string, args: string[]) => string[] {
  if (uid === undefined) return (cmd, args) => [cmd, ...args];
  return (cmd, args) => ['runuser', '-u', 'postgres', '--', cmd, ...args];
}

export interface StartClusterOptions {
  port: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

export function startCluster(o: StartClusterOptions): PgCluster {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: `apt-get install postgresql` (or set FEDPKI_TEST_POSTGRES=0 to skip the PostgreSQL suites).');
  const isRoot = process.getuid?.() === 0;
  const uid = isRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const gid = isRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  // As root, under /tmp: the postgres user must be able to reach the folder, and a
  // TMPDIR under /root would not let it.
  const dir = mkdtempSync(join(isRoot ? '/tmp' : tmpdir(), 'fedpki-pg-'));
  if (uid !== undefined) {
    chownSync(dir, uid, gid!);
    chmodSync(dir, 0o700);
  }
  const cmd = asOwner(uid);
  const run = (c: string, args: string[]) => {
    const [file, ...rest] = cmd(c, args);
    const r = spawnSync(file!, rest, { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${c} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const settings = { listen_addresses: '127.0.0.1', port: String(o.port), unix_socket_directories: dir, max_connections: '200', ...(o.settings ?? {}) };
  const opts = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  let stopped = false;
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${o.port}/postgres`,
    port: o.port,
    dir,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A new, empty database on the cluster; returns its URL. The test cluster's databases
 * sort text as bytes (C); `icuLocale` ("en-US") makes one that sorts as people do, like
 * most production databases (PostgreSQL 15+).
 */
export async function createDatabase(adminUrl: string, prefix = 'fedpki', o: { icuLocale?: string } = {}): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const locale = o.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${o.icuLocale.replace(/[^A-Za-z0-9_-]/g, '')}' LOCALE 'C.UTF-8'` : '';
    await client.query(`CREATE DATABASE ${name}${locale}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
