/**
 * PostgreSQL failures as the CA's errors, as ../errors.ts does for SQLite: a database
 * that is down, unreachable, full, read-only (a standby after a failover) or busy is
 * CaError `unavailable` (503) with a message in plain words; the driver's own error
 * stays in `cause`, for the log only. Anything else (a constraint, a bug) passes
 * through unchanged.
 *
 * drizzle wraps a failed query in DrizzleQueryError, whose message carries the SQL and
 * its parameters; the cause kept here is the driver's error underneath, which carries
 * neither.
 *
 * One thing a message must not promise: when the connection breaks while a COMMIT is
 * on its way, the transaction may or may not have been committed. So "nothing was
 * changed" is said only when the database was never reached or refused the statement.
 */

import { CaError, isCaError } from '../../lib/ca/errors';
import { guardMethods } from '../errors';

const UNREACHED = 'The certificate authority cannot reach its database; try again in a moment. Nothing was issued or changed.';
const LOST = 'The certificate authority lost its connection to its database; try again in a moment (if the request was recorded just before, the retry will say so).';
const FULL = 'The certificate authority cannot store anything: the disk holding its database is full. Nothing was issued or changed.';
const READ_ONLY = 'The certificate authority cannot store anything: its database accepts no writes (read-only, or a standby). Nothing was issued or changed.';
const BUSY = 'The certificate authority database is busy; try again in a moment. Nothing was issued or changed.';
const BROKEN = 'The certificate authority cannot use its database. Nothing was issued or changed.';

/** Node's socket errors: before a connection exists, or after it broke. */
const SOCKET_UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT']);
const SOCKET_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** SQLSTATE → message. Classes: 08 connection, 53 resources, 57 operator intervention, 58 system. */
function forSqlState(code: string): string | undefined {
  if (code === '08001' || code === '08004') return UNREACHED; // could not connect / server refused the connection
  if (code.startsWith('08')) return LOST;
  if (code === '57P01' || code === '57P02') return LOST; // server shutting down / crashed
  if (code === '57P03' || code === '53300' || code === '3D000') return UNREACHED; // starting up / too many connections / no such database
  if (code.startsWith('28')) return UNREACHED; // the server refused our credentials
  if (code === '53100') return FULL;
  if (code === '25006') return READ_ONLY;
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') return BUSY; // serialization, deadlock, lock or statement timeout
  if (code.startsWith('53') || code.startsWith('58') || code === 'XX001' || code === 'XX002') return BROKEN;
  return undefined;
}

/** Messages node-postgres uses for a connection that broke or never came up (no code). */
function forDriverMessage(message: string): string | undefined {
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return UNREACHED;
  if (/Connection terminated|not queryable|Client was closed/i.test(message)) return LOST;
  return undefined;
}

function classify(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const { code, message, errors } = e as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (SOCKET_UNREACHED.has(code)) return UNREACHED;
    if (SOCKET_LOST.has(code)) return LOST;
    if (/^[0-9A-Z]{5}$/.test(code)) return forSqlState(code);
  }
  // Node reports a host name with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  if (Array.isArray(errors)) for (const inner of errors) if (classify(inner)) return classify(inner);
  return typeof message === 'string' ? forDriverMessage(message) : undefined;
}

/** Maps a PostgreSQL failure to CaError `unavailable` (503); CaErrors and other errors pass through. */
export function pgStorageError(e: unknown): unknown {
  if (isCaError(e)) return e;
  // The wrapper (DrizzleQueryError) first, then what it wraps: the driver's error decides.
  const chain: unknown[] = [];
  for (let c: unknown = e; c && typeof c === 'object' && chain.length < 5; c = (c as { cause?: unknown }).cause) chain.push(c);
  for (let i = chain.length - 1; i >= 0; i--) {
    const message = classify(chain[i]);
    if (message) return new CaError('unavailable', message, { cause: chain[i] });
  }
  return e;
}

/** Awaits `p`, translating storage failures. */
export async function guardPg<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw pgStorageError(e);
  }
}

/** `guardMethods` with PostgreSQL's failures: each method's rejection or iteration failure as CaError `unavailable`. */
export function guardAll<T extends object>(o: T): T {
  return guardMethods(o, pgStorageError);
}
