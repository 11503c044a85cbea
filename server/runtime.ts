/**
 * The running server's services, registered on globalThis so that code Next.js bundles
 * separately (server actions, route handlers, next-auth callbacks) reaches the same
 * unlocked CA and database handle. Next code imports only the types from here and
 * reads the instance through app/_lib/runtime.ts.
 */

import type { CertificateAuthority } from '../lib/ca/authority';
import type { Database } from '../db/open';
import type { CaStore } from '../lib/ca/store';
import type { Queries } from '../db/queries';
import type { Accounts } from '../db/accounts';
import type { Listeners } from './listeners';
import type { Logger } from './log';

export interface ServerConfig {
  /** The project root (where .next and db/migrations live). */
  root: string;
  dataDir: string;
  /** The SQLite file (unless `databaseUrl` is set). */
  databaseFile: string;
  /** postgres://… when FedPKI runs on PostgreSQL (DATABASE_URL). */
  databaseUrl?: string;
  bindHost: string;
  /** host:port of the first federation. */
  caUrl: string;
  /** Where `caUrl` came from when it was given (`--ca-url`, FEDPKI_CA_URL); unset for the default. */
  caUrlFrom?: string;
  hostnames: string[];
  httpPort?: number;
  /** Listeners bind (CA URL port + offset): several instances on one host behind a proxy. */
  listenPortOffset: number;
  publicUrl?: string;
  trustProxy: boolean;
  kdfIterations?: number;
  synchronous: 'FULL' | 'NORMAL';
  /** Signing worker threads (0: sign on the main thread). */
  signingThreads: number;
  /** Requests a signing thread may have in flight before the main thread signs new ones itself. */
  signingQueue: number;
  /** Slow-client bounds; unset means the defaults. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  dev: boolean;
}

export interface Runtime {
  version: string;
  config: ServerConfig;
  /** The database, SQLite or PostgreSQL (db/open.ts); `database.handle` for dialect-specific code. */
  database: Database;
  store: CaStore;
  /** Read models for the portal (db/queries). */
  queries: Queries;
  /** Portal accounts and sessions (db/accounts). */
  accounts: Accounts;
  authority: CertificateAuthority;
  listeners: Listeners;
  log: Logger;
  startedAt: Date;
  /** Call after a federation is created or changed, to open its listener. */
  federationsChanged(): Promise<void>;
}

const KEY = Symbol.for('fedpki.runtime');

export function setRuntime(rt: Runtime | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = rt;
}

export function getRuntime(): Runtime {
  const rt = (globalThis as Record<symbol, unknown>)[KEY] as Runtime | undefined;
  if (!rt) throw new Error('The FedPKI runtime is not started: run FedPKI with `npm start` (or `fedpki run`), not `next start`.');
  return rt;
}
