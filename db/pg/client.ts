/**
 * Opening PostgreSQL: a node-postgres pool and the committed migrations in
 * ./migrations, applied under an advisory lock so that instances starting together
 * migrate one after the other (drizzle's migrator runs the pending files in one
 * transaction but does not lock against a second migrator).
 *
 * node-postgres (`pg`) rather than postgres.js: it sends unnamed statements unless told
 * otherwise, so queries work unchanged through PgBouncer in transaction mode (the
 * migration lock below is session-level, though: migrate directly, or through session
 * mode); it is the driver drizzle documents first; and its failure modes (a dropped
 * connection is an error on that query, the pool replaces the client) are the ones an
 * operator expects. postgres.js pipelines and would sign a little faster, but uses named
 * prepared statements by default.
 *
 * Durability: PostgreSQL's defaults (fsync on, synchronous_commit on) make a COMMIT
 * return only once its WAL is on disk, as `synchronous=FULL` does for SQLite: a
 * certificate a client was given, and the token it consumed, survive a power cut.
 */

import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { CaError, isCaError } from '../../lib/ca/errors';
import { pgStorageError } from './errors';
import * as schema from './schema';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export const DEFAULT_PG_MIGRATIONS = fileURLToPath(new URL('../db/pg/migrations', import.meta.url));

/** Any constant: the key of the session-level lock migrators take in turn. */
const MIGRATION_LOCK = 0x66656470;

export interface OpenPgOptions {
  url: string;
  /** Default is db/pg/migrations next to the bundle. */
  migrationsFolder?: string;
  /** Apply migrations on open. Default true. */
  migrate?: boolean;
  /** Pool size. Default 10. */
  max?: number;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return Boolean(url && /^postgres(ql)?:\/\//i.test(url));
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function openPostgres(o: OpenPgOptions): Promise<PgDb> {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.max ?? 10,
    application_name: 'fedpki',
    // A database host that does not answer fails a request in 10 s (503) instead of
    // holding it; TCP keepalive notices a peer that vanished under an open connection.
    // (Server-side timeouts would be startup parameters, which PgBouncer refuses.)
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client whose server went away emits 'error' on the pool; without a
  // listener that would end the process. The next query simply gets a new client.
  pool.on('error', () => undefined);
  try {
    if (o.migrate !== false) await migratePostgres(pool, o.migrationsFolder ?? DEFAULT_PG_MIGRATIONS);
  } catch (e) {
    await pool.end();
    throw openError(o.url, e);
  }
  return drizzle(pool, { schema }) as PgDb;
}

/**
 * At start (server or CLI) the person reading the error runs FedPKI: tell them which
 * database could not be reached and what the driver said (never the password).
 */
export function openError(url: string, e: unknown): unknown {
  const mapped = pgStorageError(e);
  if (!isCaError(mapped) || mapped.code !== 'unavailable' || isCaError(e)) return e;
  const detail = mapped.cause instanceof Error ? mapped.cause.message : String(mapped.cause);
  return new CaError('unavailable', `Cannot use the PostgreSQL database ${redactUrl(url)}: ${detail}. Is it running, and are DATABASE_URL and its password right?`, { cause: mapped.cause });
}

async function migratePostgres(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export async function closePostgres(db: PgDb): Promise<void> {
  await db.$client.end();
}

/** SQLSTATE 23505: a unique or primary key constraint refused the row. */
export function isPgUniqueViolation(e: unknown): boolean {
  for (let c: unknown = e; c && typeof c === 'object'; c = (c as { cause?: unknown }).cause) {
    if ((c as { code?: string }).code === '23505') return true;
  }
  return false;
}
