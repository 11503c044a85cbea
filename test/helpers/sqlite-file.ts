/**
 * Reading (and, where a test must, changing) a running server's SQLite file directly,
 * beside the server's own connection: WAL mode lets both in.
 */

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
