/**
 * SQLite failures as the CA's errors: the person on the other side learns that the CA
 * cannot write (and why, in words), the log gets the driver's detail, and nothing is
 * half-written because every write is one transaction that either commits or not.
 */

import { CaError, isCaError } from '../lib/ca/errors';

const MESSAGES: [RegExp, string][] = [
  [/^SQLITE_FULL/, 'The certificate authority cannot store anything: the disk holding its database is full. Nothing was issued or changed.'],
  [/^SQLITE_READONLY/, 'The certificate authority cannot store anything: its database file is read-only. Nothing was issued or changed.'],
  [/^SQLITE_BUSY/, 'The certificate authority database is busy; try again in a moment. Nothing was issued or changed.'],
  [/^SQLITE_(IOERR|CANTOPEN|CORRUPT|NOTADB)/, 'The certificate authority cannot write to its database. Nothing was issued or changed.'],
];

/** Maps a driver error to CaError `unavailable` (503); CaErrors pass through. */
export function storageError(e: unknown): unknown {
  if (isCaError(e)) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  for (const [re, message] of MESSAGES) if (re.test(code)) return new CaError('unavailable', message, { cause: e });
  return e;
}

/** Runs a synchronous write, translating storage failures. */
export function guardWrite<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storageError(e);
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  Boolean(v) && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' && typeof (v as { then?: unknown }).then !== 'function';

async function* translated<T>(source: AsyncIterable<T>, translate: (e: unknown) => unknown): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (e) {
    throw translate(e);
  }
}

/**
 * The same functions, each translating storage failures with `translate` (`storageError`
 * here, `pgStorageError` for PostgreSQL): a thrown error or rejected promise, and a
 * failure part-way through a returned async iterable (the audit export reads in batches).
 * For the query and service objects the portal calls, so a full disk or a lost database
 * is a 503 in words there as on the signing path.
 */
export function guardMethods<T extends object>(o: T, translate: (e: unknown) => unknown = storageError): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'function') {
      out[k] = v;
      continue;
    }
    out[k] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (v as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        return Promise.reject(translate(e));
      }
      if (isAsyncIterable(result)) return translated(result, translate);
      return Promise.resolve(result).catch((e: unknown) => {
        throw translate(e);
      });
    };
  }
  return out as T;
}
