/**
 * Opening the embedded database: one SQLite file in the data folder, WAL mode, and the
 * committed migrations applied before anything else touches it.
 *
 * synchronous=FULL: in WAL mode this fsyncs the log on every commit, so a certificate
 * a client has been given, and the token it consumed, survive a power cut as well as a
 * crash. NORMAL would only survive a process crash; on the target machine FULL costs
 * ~60 µs of fsync wait per issuance (measured), which the signing path can afford.
 */

import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { CaError } from '../lib/ca/errors';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const DEFAULT_MIGRATIONS = fileURLToPath(new URL('../db/migrations', import.meta.url));

export interface OpenDatabaseOptions {
  file: string;
  /** Default is ../db/migrations next to this module (or the bundle). */
  migrationsFolder?: string;
  synchronous?: 'FULL' | 'NORMAL';
  /** Apply migrations on open. Default true. */
  migrate?: boolean;
}

export function openDatabase(o: OpenDatabaseOptions): Db {
  refuseOrphanedJournal(o.file);
  const dir = dirname(o.file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (!statSync(dir).isDirectory()) throw new CaError('validation_failed', `${dir} is a file: the data folder must be a folder.`);
  const isNew = !existsSync(o.file);
  const sqlite = new Database(o.file);
  if (isNew) chmodSync(o.file, 0o600);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${o.synchronous ?? 'FULL'}`);
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema }) as Db;
  if (o.migrate !== false) {
    migrate(db, { migrationsFolder: o.migrationsFolder ?? DEFAULT_MIGRATIONS });
    // Connections that only read (signing threads) leave the statistics to the writer.
    optimizeDatabase(db);
  }
  return db;
}

/**
 * Refreshes the query planner's statistics where tables have grown or shrunk (sampled,
 * so it stays cheap on millions of rows). Without them SQLite picks the certificate
 * list's indexes blind: at 100,000 rows a "valid" filter took ~110 ms instead of
 * ~0.1 ms. SQLite advises running it on open and then hourly on long-lived connections.
 */
export function optimizeDatabase(db: Db): boolean {
  try {
    db.$client.pragma('optimize=0x10002');
    return true;
  } catch {
    // Advisory: a full disk or a read-only file must not stop the CA from opening
    // (it will say so itself on the first write).
    return false;
  }
}

export function closeDatabase(db: Db): void {
  db.$client.close();
}

/**
 * What a SQLite file is, without changing it: a FedPKI database nothing else has open
 * ('idle'), one that some connection has open ('in-use': an exclusive lock is refused
 * while any other connection holds the file), or not a FedPKI database ('foreign').
 */
export function sqliteFileState(file: string): 'idle' | 'in-use' | 'foreign' {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    const tables = db.prepare("select name from sqlite_master where type = 'table' and name in ('federations', 'ca_keys', 'certificates')").all();
    db.exec('ROLLBACK');
    return tables.length === 3 ? 'idle' : 'foreign';
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? 'in-use' : 'foreign';
  } finally {
    db?.close();
  }
}

/** Which file an open database is: to notice it deleted, replaced or emptied under a running server. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export function fileIdentity(file: string): FileIdentity {
  const st = statSync(file);
  return { dev: st.dev, ino: st.ino };
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * What has happened to an open SQLite file behind its connection's back, if anything:
 * a connection holds the file it opened, so after `rm` it goes on writing into an
 * unlinked file that is lost when it closes, and after a truncation into a file no
 * later start can read.
 */
export function databaseFileProblem(file: string, opened: FileIdentity): string | undefined {
  let fd: number | undefined;
  try {
    const st = statSync(file);
    if (st.dev !== opened.dev || st.ino !== opened.ino) return 'replaced by another file';
    fd = openSync(file, 'r');
    const header = Buffer.alloc(16);
    const n = readSync(fd, header, 0, 16, 0);
    return n === 16 && header.toString('latin1') === SQLITE_HEADER ? undefined : 'emptied or overwritten';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'deleted or moved' : undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A database that is gone while its journal files are still there was deleted or moved
 * while in use. Opening a new database there would take those files for its own (SQLite
 * replays a -wal into whatever file it finds) and hide what happened, so every opener
 * refuses it: a start, the CLI verbs, an import.
 */
export function refuseOrphanedJournal(file: string): void {
  if (existsSync(file)) return;
  const journal = ['-wal', '-shm'].map((suffix) => file + suffix).find((j) => existsSync(j));
  if (!journal) return;
  throw new CaError(
    'conflict',
    `${file} is missing, but ${basename(journal)} beside it is not: the database was deleted or moved while FedPKI used it. Put it back, or restore a backup with \`fedpki import\`; to make a new CA here instead, delete its -wal and -shm files first.`,
  );
}
