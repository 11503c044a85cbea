/**
 * Starting FedPKI: open and migrate the database, guide a first start (CA password,
 * first federation, first admin), unlock the federations, then serve. The listeners
 * open before Next.js has finished preparing, so the API answers within a second.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertificateAuthority } from '../lib/ca/authority';
import { ActivityType, auditEntry } from '../lib/ca/audit';
import { CaError } from '../lib/ca/errors';
import { validateCaUrl } from '../lib/ca/federation';
import { openDatabase, closeDatabase, optimizeDatabase } from '../db/client';
import { SqliteCaStore } from '../db/store';
import { createQueries } from '../db/queries';
import { createAccounts } from '../db/accounts';
import { countUsers, createUser } from '../db/users';
import { getSetting, setSetting } from '../db/settings';
import { createAppHandler, type NextHandler } from './app';
import { exportToProcess } from './env';
import { Listeners } from './listeners';
import { createLogger, type Logger, type LogLevel } from './log';
import { ask, askNewPassword, isInteractive } from './prompt';
import { setRuntime, type Runtime, type ServerConfig } from './runtime';
import { existingCaPassword, newCaPassword, readSecretFile, type PasswordSources } from './secrets';

export interface StartOptions {
  config: ServerConfig;
  password: PasswordSources;
  admin?: { username?: string; password?: string; passwordFile?: string };
  /** Name of the first federation (its certificates say "O=<name>"). */
  federationName?: string;
  logLevel: LogLevel;
  /** Skip Next.js (tests of the API alone, the benchmark's API server). */
  apiOnly?: boolean;
  /** Only create the CA; do not serve (`fedpki install`). */
  installOnly?: boolean;
}

export interface RunningServer {
  runtime: Runtime;
  close(): Promise<void>;
}

export function projectVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

async function firstAdmin(o: StartOptions, db: Parameters<typeof countUsers>[0], log: Logger): Promise<void> {
  if (countUsers(db) > 0) return;
  const given = o.admin?.passwordFile ? readSecretFile(o.admin.passwordFile) : o.admin?.password;
  let username = o.admin?.username;
  let password = given;
  if (password === undefined) {
    if (!isInteractive()) {
      log.warn('no portal account yet: set FEDPKI_ADMIN_USERNAME and FEDPKI_ADMIN_PASSWORD(_FILE), or run `fedpki user add --role admin`');
      return;
    }
    process.stderr.write('\nCreate the first portal administrator.\n');
    username = await ask('Admin user name', username ?? 'admin');
    password = await askNewPassword('Admin password (at least 12 characters)', 12);
  }
  await createUser(db, { username: username ?? 'admin', role: 'admin', password, createdBy: 'setup' });
  log.info('created the first administrator', { username: username ?? 'admin' });
}

export async function startServer(o: StartOptions): Promise<RunningServer> {
  const { config } = o;
  const log = createLogger(o.logLevel);
  const db = openDatabase({ file: config.databaseFile, migrationsFolder: join(config.root, 'db', 'migrations'), synchronous: config.synchronous });
  try {
    const store = new SqliteCaStore(db);
    const federations = await store.listFederations();
    const firstStart = federations.length === 0;
    const password = firstStart ? await newCaPassword(o.password) : await existingCaPassword(o.password);
    const authority = new CertificateAuthority({ store, password, iterations: config.kdfIterations, aliases: config.hostnames });

    if (firstStart) {
      validateCaUrl(config.caUrl);
      log.info('first start: creating the CA', { caUrl: config.caUrl });
      await authority.createFederation(
        { id: 'default', name: o.federationName ?? 'FedPKI', caUrl: config.caUrl, publicUrl: config.publicUrl ?? null },
        { id: 'setup' },
      );
    } else {
      await authority.unlockAll();
    }
    await firstAdmin(o, db, log);
    if (o.installOnly) {
      closeDatabase(db);
      return { runtime: undefined as unknown as Runtime, close: async () => {} };
    }

    let authSecret = getSetting<string>(db, 'auth_secret');
    if (!authSecret) {
      authSecret = randomBytes(32).toString('base64url');
      setSetting(db, 'auth_secret', authSecret);
    }
    exportToProcess({ NEXTAUTH_SECRET: authSecret, AUTH_TRUST_HOST: 'true' });
    // The portal answers on every listener (each federation's host:port, the HTTP port):
    // next-auth must take its origin from each request, which a fixed NEXTAUTH_URL prevents.
    if (process.env.NEXTAUTH_URL) {
      log.warn('NEXTAUTH_URL is ignored: the portal takes its origin from each request (set FEDPKI_TRUST_PROXY behind a proxy)');
      delete process.env.NEXTAUTH_URL;
    }

    const version = projectVersion(config.root);
    const nextHandler: Promise<NextHandler> = o.apiOnly
      ? Promise.reject(new CaError('not_found', 'This server only serves the API.'))
      : prepareNext(config);
    nextHandler.catch(() => undefined);
    const handler = createAppHandler({
      step: { authority, log, trustProxy: config.trustProxy, version },
      next: nextHandler,
      log,
      trustProxy: config.trustProxy,
    });
    const listeners = new Listeners({ authority, bindHost: config.bindHost, extraHostnames: config.hostnames, log, handler, httpPort: config.httpPort });
    const runtime: Runtime = {
      version,
      config,
      db,
      store,
      queries: createQueries(db),
      accounts: createAccounts(db),
      authority,
      listeners,
      log,
      startedAt: new Date(),
      federationsChanged: () => listeners.sync(),
    };
    setRuntime(runtime);
    await listeners.sync();
    // Federations created or changed by the CLI (or another instance) appear within seconds.
    const refresher = setInterval(() => {
      authority
        .refresh()
        .then(({ added }) => (added.length ? listeners.sync() : undefined))
        .catch((e: unknown) => log.error('federation refresh failed', { error: e as Error }));
    }, 5_000);
    refresher.unref();
    const optimizer = setInterval(() => optimizeDatabase(db), 3_600_000);
    optimizer.unref();
    await store.appendAudit(auditEntry(ActivityType.CA_STARTED, { at: new Date(), actor: 'system', details: { version, federations: authority.keyring.list().length } }));
    for (const ctx of authority.keyring.list()) {
      log.info('federation ready', { id: ctx.federation.id, caUrl: ctx.federation.caUrl, root: ctx.root.fingerprint });
    }
    return {
      runtime,
      close: async () => {
        clearInterval(refresher);
        clearInterval(optimizer);
        await listeners.close();
        setRuntime(undefined);
        closeDatabase(db);
      },
    };
  } catch (e) {
    try {
      closeDatabase(db);
    } catch {
      /* already closed */
    }
    throw e;
  }
}

async function prepareNext(config: ServerConfig): Promise<NextHandler> {
  if (!config.dev && !existsSync(join(config.root, '.next', 'BUILD_ID'))) {
    throw new CaError('unavailable', 'The portal is not built: run `npm run build` (or start with `npm start`, which builds it).');
  }
  exportToProcess({ NEXT_TELEMETRY_DISABLED: '1' });
  const { default: next } = await import('next');
  const app = next({ dev: config.dev, dir: config.root, quiet: !config.dev });
  await app.prepare();
  const handle = app.getRequestHandler();
  return (req, res) => handle(req, res);
}

export function resolveDatabaseFile(dataDir: string, databaseUrl?: string): string {
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) return resolve(databaseUrl.replace(/^file:/, ''));
  return resolve(dataDir, 'fedpki.db');
}


