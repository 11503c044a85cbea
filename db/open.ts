/**
 * The one place that chooses the database. `DATABASE_URL=postgres://…` selects
 * PostgreSQL (several FedPKI instances may share it); anything else is the embedded
 * SQLite file. The server (server/run.ts), the CLI (cli/_shared.ts) and the tests open
 * storage through `openStore` and see only dialect-free interfaces: the `CaStore`
 * that `lib/ca` uses, the portal's `Queries`, and small user and settings services.
 * Code that truly needs one dialect (export/import, tests) switches on `handle.kind`.
 */

import { existsSync } from 'node:fs';
import type { AuditEntry } from '../lib/ca/audit';
import type { CaStore } from '../lib/ca/store';
import type { UserRow } from './schema';
import type { CreateUserParams } from './users';
import type { Queries } from './queries';
import type { Accounts } from './accounts';

export type DatabaseKind = 'sqlite' | 'postgres';

export type DatabaseHandle = { kind: 'sqlite'; db: import('./client').Db } | { kind: 'postgres'; db: import('./pg/client').PgDb };

export interface UserService {
  count(): Promise<number>;
  getByUsername(username: string): Promise<UserRow | undefined>;
  /** @throws CaError validation_failed, conflict */
  create(p: CreateUserParams): Promise<UserRow>;
}

export interface SettingService {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** The stored value, or `value` stored now; instances starting together agree. */
  init<T>(key: string, value: T): Promise<T>;
  /** Stores (null: removes) a setting with its audit entry, in one transaction. */
  setAudited(key: string, value: unknown, audit: AuditEntry): Promise<void>;
}

export interface Database {
  kind: DatabaseKind;
  /** The SQLite file, or the PostgreSQL URL without its password (for messages). */
  location: string;
  store: CaStore;
  queries: Queries;
  users: UserService;
  settings: SettingService;
  /** The portal's account and session functions. */
  accounts: Accounts;
  handle: DatabaseHandle;
  /** Refreshes the query planner's statistics (SQLite's PRAGMA optimize; ANALYZE certificates on PostgreSQL). */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreConfig {
  /** The SQLite file (used unless `databaseUrl` is a postgres:// URL). */
  databaseFile: string;
  /** postgres://… selects PostgreSQL. */
  databaseUrl?: string;
  /** db/migrations (SQLite) and db/pg/migrations are looked up under this root. */
  root: string;
  synchronous?: 'FULL' | 'NORMAL';
  /** Apply the committed migrations. Default true. */
  migrate?: boolean;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
}

export function databaseKind(c: Pick<StoreConfig, 'databaseUrl'>): DatabaseKind {
  return c.databaseUrl && /^postgres(ql)?:\/\//i.test(c.databaseUrl) ? 'postgres' : 'sqlite';
}

/**
 * Whether a CA exists there yet: the SQLite file exists, or the PostgreSQL database
 * has a federation. Never creates anything.
 */
export async function storeExists(c: StoreConfig): Promise<boolean> {
  if (databaseKind(c) === 'sqlite') {
    (await import('./client')).refuseOrphanedJournal(c.databaseFile);
    return existsSync(c.databaseFile);
  }
  const pg = (await import('pg')).default;
  const { openError } = await import('./pg/client');
  const client = new pg.Client({ connectionString: c.databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect().catch((e: unknown) => {
    throw openError(c.databaseUrl!, e);
  });
  try {
    const r = await client.query<{ n: string }>("select count(*) n from information_schema.tables where table_name = 'federations'");
    if (Number(r.rows[0]?.n) === 0) return false;
    const f = await client.query<{ n: string }>('select count(*) n from federations');
    return Number(f.rows[0]?.n) > 0;
  } finally {
    await client.end();
  }
}

export async function openStore(c: StoreConfig): Promise<Database> {
  const { join } = await import('node:path');
  if (databaseKind(c) === 'postgres') {
    const { openPostgres, closePostgres, redactUrl } = await import('./pg/client');
    const { PgCaStore } = await import('./pg/store');
    const { createPgQueries } = await import('./pg/queries');
    const { createPgAccounts } = await import('./pg/accounts');
    const users = await import('./pg/users');
    const settings = await import('./pg/settings');
    const { guardAll, guardPg } = await import('./pg/errors');
    const { sql } = await import('drizzle-orm');
    const db = await openPostgres({ url: c.databaseUrl!, migrationsFolder: join(c.root, 'db', 'pg', 'migrations'), migrate: c.migrate, max: c.poolSize });
    const store = new PgCaStore(db);
    // Certificates stored before keys were hashed get theirs (db/key-hashes.ts).
    if (c.migrate !== false) await store.fillKeyHashes();
    return {
      kind: 'postgres',
      location: redactUrl(c.databaseUrl!),
      store,
      // A database that goes away mid-run is CaError `unavailable` (503) here too, not a 500.
      queries: guardAll(createPgQueries(db)),
      users: guardAll({
        count: () => users.countUsers(db),
        getByUsername: (u: string) => users.getUserByUsername(db, u),
        create: (p: CreateUserParams) => users.createUser(db, p),
      }),
      settings: guardAll<SettingService>({
        get: (k) => settings.getSetting(db, k),
        set: (k, v) => settings.setSetting(db, k, v),
        init: (k, v) => settings.initSetting(db, k, v),
        setAudited: (k, v, a) => settings.setSettingAudited(db, k, v, a),
      }),
      accounts: guardAll(createPgAccounts(db)),
      handle: { kind: 'postgres', db },
      // Autovacuum refreshes statistics once a tenth of a table has changed; the
      // hourly ANALYZE of the table the portal's lists filter keeps their plans right
      // between times (after an import, say). It samples: cheap at millions of rows.
      optimize: () => guardPg(db.execute(sql`analyze certificates`).then(() => undefined)),
      close: () => closePostgres(db),
    };
  }
  const { openDatabase, closeDatabase, optimizeDatabase } = await import('./client');
  const { createAccounts } = await import('./accounts');
  const { SqliteCaStore } = await import('./store');
  const { createQueries } = await import('./queries');
  const users = await import('./users');
  const settings = await import('./settings');
  const { guardMethods } = await import('./errors');
  const db = openDatabase({ file: c.databaseFile, migrationsFolder: join(c.root, 'db', 'migrations'), synchronous: c.synchronous, migrate: c.migrate });
  const store = new SqliteCaStore(db);
  // Certificates stored before keys were hashed get theirs (db/key-hashes.ts).
  if (c.migrate !== false) await store.fillKeyHashes();
  return {
    kind: 'sqlite',
    location: c.databaseFile,
    store,
    // A full disk or a read-only file is CaError `unavailable` (503) in the portal too, not a 500.
    queries: guardMethods(createQueries(db)),
    users: guardMethods({
      count: async () => users.countUsers(db),
      getByUsername: async (u: string) => users.getUserByUsername(db, u),
      create: (p: CreateUserParams) => users.createUser(db, p),
    }),
    settings: guardMethods<SettingService>({
      get: async (k) => settings.getSetting(db, k),
      set: async (k, v) => settings.setSetting(db, k, v),
      init: async (k, v) => settings.initSetting(db, k, v),
      setAudited: async (k, v, a) => settings.setSettingAudited(db, k, v, a),
    }),
    accounts: guardMethods(createAccounts(db)),
    handle: { kind: 'sqlite', db },
    optimize: async () => {
      optimizeDatabase(db);
    },
    close: async () => closeDatabase(db),
  };
}
