/**
 * Two things PostgreSQL refuses that SQLite takes, for values that come from a URL or
 * a cursor: a text value holding a NUL character (SQLSTATE 22021) and a time or an id
 * out of its column's range (22008, 22003). Either would be a failed query — a 500 —
 * where SQLite simply finds nothing, so the read models check such values first.
 */

import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/** Text PostgreSQL can store and compare (no NUL). */
export const storable = (s: string): boolean => !s.includes('\0');

/** A millisecond time a timestamptz holds (years 1–9999), as a Date; else undefined. */
export function timeFromMs(ms: number): Date | undefined {
  if (!Number.isSafeInteger(ms) || ms < -62_135_596_800_000 || ms > 253_402_300_799_999) return undefined;
  return new Date(ms);
}

/**
 * The column compared byte by byte (`COLLATE "C"`), as SQLite compares text. The
 * database's own collation (en_US.UTF-8, say) orders "col-2" and "col10" otherwise and
 * ignores punctuation, so prefix ranges, name order and name cursors would not match
 * SQLite's, nor each other across databases created with different locales.
 */
export const bytewise = (column: SQLWrapper): SQL => sql`${column} collate "C"`;
