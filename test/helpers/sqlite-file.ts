/**
 * Reading (and, where a test must, changing) a running server's SQLite file directly,
 * beside the server's own connection: WAL mode lets both in.
 */

import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const fileOf = (dataDir: string) => join(dataDir, 'fedpki.db');

/** Rows of a query, on a read-only connection opened and closed for it. */
export function queryFile<T>(dataDir: string, sql: string, ...args: unknown[]): T[] {
  const d = new Database(fileOf(dataDir), { readonly: true, fileMustExist: true });
  try {
    return d.prepare(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}

/** A write the server's own code never makes (lifting a lock early, to go on testing). */
export function writeFile(dataDir: string, sql: string, ...args: unknown[]): void {
  const d = new Database(fileOf(dataDir), { fileMustExist: true });
  try {
    d.pragma('busy_timeout = 10000');
    d.prepare(sql).run(...args);
  } finally {
    d.close();
  }
}

/**
 * A database file made from an SQL text dump (`sqlite3 FILE .dump`), mode 0600 as the
 * server makes its own: fixtures keep databases as text, never as database files.
 */
export function restoreDump(file: string, sql: string): void {
  const d = new Database(file);
  try {
    d.exec(sql);
  } finally {
    d.close();
  }
  chmodSync(file, 0o600);
}
