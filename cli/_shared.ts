/** What the CLI verbs share: locating the data folder, opening the CA, and failing clearly. */

import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertificateAuthority } from '../lib/ca/authority';
import { nodeCrypto } from '../lib/crypto/node-crypto';
import { CaError, isCaError } from '../lib/ca/errors';
import { isPostgresUrl } from '../db/pg/client';
import { openStore, storeExists, type Database } from '../db/open';
import type { CaStore } from '../lib/ca/store';
import { env, flagValue } from '../server/env';
import { resolveDatabaseFile } from '../server/run';
import { DEFAULT_SIGNING_QUEUE, defaultSigningThreads } from '../server/signing-pool';
import { existingCaPassword } from '../server/secrets';
import type { ServerConfig } from '../server/runtime';

/** The project root: the folder holding package.json, db/migrations and .next. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const dataDirArg = {
  type: 'string',
  alias: 'p',
  description: 'FedPKI data folder (database and CA keys); default ./data or $FEDPKI_DATA_DIR',
} as const;

export const passwordFileArg = {
  type: 'string',
  description: 'file holding the CA password (else $FEDPKI_CA_PASSWORD(_FILE) or a prompt)',
} as const;

export function serverConfig(args: { dataDir?: string; caUrl?: string; host?: string; httpPort?: string; dev?: boolean }): ServerConfig {
  const e = env();
  const dataDir = resolve(args.dataDir ?? e.FEDPKI_DATA_DIR);
  // Flags win, but not in silence: a CA made in one file and looked for in another is
  // how an operator ends up with two.
  if (args.dataDir && e.DATABASE_URL && !isPostgresUrl(e.DATABASE_URL)) {
    process.stderr.write(`fedpki: DATABASE_URL (${e.DATABASE_URL}) is ignored: -p names the data folder, and its fedpki.db.\n`);
  }
  return {
    root: projectRoot(),
    dataDir,
    databaseFile: resolveDatabaseFile(dataDir, args.dataDir ? undefined : e.DATABASE_URL),
    databaseUrl: isPostgresUrl(e.DATABASE_URL) ? e.DATABASE_URL : undefined,
    bindHost: args.host ?? e.FEDPKI_HOST,
    caUrl: args.caUrl ?? e.FEDPKI_CA_URL,
    caUrlFrom: args.caUrl !== undefined ? '--ca-url' : process.env.FEDPKI_CA_URL ? 'FEDPKI_CA_URL' : undefined,
    hostnames: (e.FEDPKI_HOSTNAMES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    httpPort: flagValue('FEDPKI_HTTP_PORT', '--http-port', args.httpPort) ?? e.FEDPKI_HTTP_PORT,
    listenPortOffset: e.FEDPKI_LISTEN_PORT_OFFSET,
    publicUrl: e.FEDPKI_PUBLIC_URL,
    trustProxy: e.FEDPKI_TRUST_PROXY,
    kdfIterations: e.FEDPKI_KDF_ITERATIONS,
    synchronous: e.FEDPKI_DB_SYNCHRONOUS,
    signingThreads: e.FEDPKI_SIGNING_THREADS ?? defaultSigningThreads(),
    signingQueue: e.FEDPKI_SIGNING_QUEUE ?? DEFAULT_SIGNING_QUEUE,
    headersTimeoutMs: e.FEDPKI_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.FEDPKI_REQUEST_TIMEOUT_MS,
    dev: Boolean(args.dev),
  };
}

/** --password-file wins over the environment (flags win); the two variables at once are refused. */
export function passwordSources(passwordFile?: string) {
  const e = env();
  if (!passwordFile && e.FEDPKI_CA_PASSWORD_FILE && e.FEDPKI_CA_PASSWORD) {
    throw new CaError('bad_request', 'Both FEDPKI_CA_PASSWORD and FEDPKI_CA_PASSWORD_FILE are set: set one.');
  }
  return { file: passwordFile ?? e.FEDPKI_CA_PASSWORD_FILE, value: e.FEDPKI_CA_PASSWORD };
}

export interface OpenedCa {
  database: Database;
  store: CaStore;
  authority: CertificateAuthority;
  close(): Promise<void>;
}

/** Where the CA lives, for messages: a data folder or a PostgreSQL database. */
export function caLocation(config: ServerConfig): string {
  if (config.databaseUrl) return 'the PostgreSQL database in DATABASE_URL';
  return usesDatabaseUrlFile(config) ? `${config.databaseFile} (DATABASE_URL)` : config.dataDir;
}

/** The SQLite file is DATABASE_URL's, not the data folder's fedpki.db. */
export function usesDatabaseUrlFile(config: ServerConfig): boolean {
  return !config.databaseUrl && config.databaseFile !== resolve(config.dataDir, 'fedpki.db');
}

/** Opens an existing CA (data folder or PostgreSQL) and checks the password against its keys. */
export async function openCa(dataDir: string | undefined, passwordFile: string | undefined, o: { unlock?: boolean } = {}): Promise<OpenedCa> {
  const config = serverConfig({ dataDir });
  if (!(await storeExists(config))) {
    throw new CaError('not_found', `No FedPKI CA in ${caLocation(config)}: create one with \`fedpki install${config.databaseUrl || usesDatabaseUrlFile(config) ? '' : ` -p ${config.dataDir}`}\`.`);
  }
  const database = await openStore(config);
  try {
    const password = o.unlock === false ? '' : await existingCaPassword(passwordSources(passwordFile));
    const authority = new CertificateAuthority({ store: database.store, password, iterations: config.kdfIterations, aliases: config.hostnames, crypto: nodeCrypto() });
    return { database, store: database.store, authority, close: () => database.close() };
  } catch (e) {
    await database.close();
    throw e;
  }
}

/** A file system error (from node:fs): its code and the path it names. */
function fsError(e: unknown): { code: string; path?: string } | undefined {
  const x = e as NodeJS.ErrnoException | undefined;
  return x instanceof Error && typeof x.code === 'string' && typeof x.syscall === 'string' ? { code: x.code, path: x.path } : undefined;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'a file is in the way of a folder',
  ENOTDIR: 'a file is in the way of a folder',
  EISDIR: 'a folder, not a file',
  EROFS: 'a read-only file system',
  ENOSPC: 'no space left on the device',
};

/** One line for a file system error: "what: path", without the errno jargon. */
function fsMessage(e: unknown): string | undefined {
  const f = fsError(e);
  const reason = f && FS_REASONS[f.code];
  return reason ? `${reason[0]!.toUpperCase()}${reason.slice(1)}${f.path ? `: ${f.path}` : ''}.` : undefined;
}

/**
 * Makes sure a folder exists and takes new files, before anything is sent to the CA:
 * a token spent on a certificate that then cannot be written is lost, with its key.
 */
export function writableFolder(dir: string): string {
  const path = resolve(dir);
  try {
    mkdirSync(path, { recursive: true });
    const probe = join(path, `.fedpki-probe-${process.pid}`);
    writeFileSync(probe, '', { mode: 0o600 });
    rmSync(probe);
  } catch (e) {
    const f = fsError(e);
    throw new CaError('validation_failed', `Cannot write to ${path}: ${(f && FS_REASONS[f.code]) ?? (e as Error).message}. Nothing was sent to the CA.`);
  }
  return path;
}

/** Exit codes: 1 refused or failed, 2 usage or wrong password, 3 not found. */
export function exitCodeFor(e: unknown): number {
  if (fsError(e)?.code === 'ENOENT') return 3;
  if (!isCaError(e)) return 1;
  // A malformed argument (a serial that is no number, a name or token that cannot be
  // one) is a usage error; a well-formed one the CA turns down is a refusal (1).
  if (['wrong_password', 'bad_request', 'validation_failed', 'serial_invalid', 'policy_name_invalid', 'token_malformed'].includes(e.code)) return 2;
  if (e.code === 'not_found') return 3;
  return 1;
}

/** Runs a verb, turning errors into one clear line on stderr and an exit code. */
export async function guard(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const message = isCaError(e) ? e.message : (fsMessage(e) ?? (e instanceof Error ? e.message : String(e)));
    process.stderr.write(`fedpki: ${message}\n`);
    if (isCaError(e) && e.fieldErrors) {
      for (const [field, msgs] of Object.entries(e.fieldErrors)) process.stderr.write(`  ${field}: ${msgs.join(' ')}\n`);
    }
    if (!isCaError(e) && process.env.FEDPKI_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    process.exitCode = exitCodeFor(e);
  }
}

/** Collects a repeatable flag (`--san a --san b`) and comma lists from raw arguments. */
export function repeated(rawArgs: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === `--${name}` && rawArgs[i + 1] !== undefined) out.push(rawArgs[++i]!);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** "24h", "30m", "7d", "90s" → seconds. */
export function parseDuration(text: string, field: string): number {
  const m = text.trim().match(/^(\d+)(s|m|h|d)$/);
  if (!m) throw new CaError('bad_request', `${field} takes a duration such as 30m, 24h or 7d.`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * Writes a file in one step (aside, then renamed over the old one) with exactly this
 * mode: writeFile's mode applies only to a file it creates, so a key written over an
 * existing world-readable file would have stayed world-readable.
 */
export function replaceFile(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
