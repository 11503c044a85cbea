/**
 * Starting FedPKI: open and migrate the database, guide a first start (CA password,
 * first federation, first admin), unlock the federations, then serve. The listeners
 * open before Next.js has finished preparing, so the API answers within a second.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CertificateAuthority } from '../lib/ca/authority';
import { nodeCrypto } from '../lib/crypto/node-crypto';
import { ActivityType, auditEntry } from '../lib/ca/audit';
import { CaError } from '../lib/ca/errors';
import { validateCaUrl, validatePublicUrl } from '../lib/ca/federation';
import { databaseKind, openStore, storeExists, type Database } from '../db/open';
import { databaseFileProblem, fileIdentity } from '../db/client';
import { USERNAME_RE, USERNAME_RULE, passwordProblem } from '../lib/auth/rules';
import { EXPIRY_WEBHOOK_KEY, webhookUrlFrom } from '../lib/ca/webhook';
import { createAppHandler, type NextHandler } from './app';
import { env, exportToProcess } from './env';
import { lifecycleRoutes } from './lifecycle-api';
import { nextSelfAddress } from './next-self';
import { startLifecycleJobs } from './lifecycle-jobs';
import { DEFAULT_CLIENT_BOUNDS, Listeners } from './listeners';
import { SigningPool } from './signing-pool';
import type { SignWithTokenParams } from '../lib/ca/issue';
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
  /**
   * Settles with the reason when the server must stop (its SQLite file was deleted,
   * replaced or emptied under it); `fedpki run` then stops with exit code 1.
   */
  fatal: Promise<string>;
}

/** How long a stopping server lets the requests it is answering finish. */
const SHUTDOWN_GRACE_MS = 10_000;

export function projectVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * What a first start was given — the CA URL, and the first administrator's name and
 * password when given — checked before it creates anything: a bad one must not leave a
 * CA behind with no keys or nobody to run it.
 */
function checkFirstStart(o: StartOptions): void {
  validateCaUrl(o.config.caUrl);
  const username = o.admin?.username?.trim().toLowerCase();
  if (username !== undefined && !USERNAME_RE.test(username)) throw new CaError('validation_failed', `FEDPKI_ADMIN_USERNAME: ${USERNAME_RULE}`);
  const password = o.admin?.passwordFile ? readSecretFile(o.admin.passwordFile) : o.admin?.password;
  const problem = password === undefined ? undefined : passwordProblem(password);
  if (problem) throw new CaError('validation_failed', `The first administrator's password: ${problem}`);
}

async function firstAdmin(o: StartOptions, database: Database, log: Logger): Promise<void> {
  if ((await database.users.count()) > 0) return;
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
  await database.users.create({ username: username ?? 'admin', role: 'admin', password, createdBy: 'setup' });
  log.info('created the first administrator', { username: username ?? 'admin' });
}

export async function startServer(o: StartOptions): Promise<RunningServer> {
  const { config } = o;
  const log = createLogger(o.logLevel);
  // A first start checks what it was given (the CA password, the CA URL, the first
  // admin) before it creates the SQLite file: a refused one must leave nothing behind,
  // or the next attempt finds "a CA" with no keys or nobody to run it.
  let password: string | undefined;
  if (databaseKind(config) === 'sqlite' && !(await storeExists(config))) {
    checkFirstStart(o);
    password = await newCaPassword(o.password);
  }
  const database = await openStore(config);
  if (database.kind === 'sqlite') warnOpenFiles(config.databaseFile, log);
  // What to stop if the start fails after opening it: a server must not keep serving
  // (and holding its ports) after reporting that it could not start.
  const opened: { close(): Promise<void> }[] = [];
  try {
    const { store } = database;
    const federations = await store.listFederations();
    const firstStart = federations.length === 0;
    if (firstStart && password === undefined) checkFirstStart(o);
    password ??= firstStart ? await newCaPassword(o.password) : await existingCaPassword(o.password);
    const authority = new CertificateAuthority({ store, password, iterations: config.kdfIterations, aliases: config.hostnames, crypto: nodeCrypto() });

    if (firstStart) {
      log.info('first start: creating the CA', { caUrl: config.caUrl, database: database.location });
      try {
        await authority.createFederation(
          { id: 'default', name: o.federationName ?? 'FedPKI', caUrl: config.caUrl, publicUrl: config.publicUrl ?? null },
          { id: 'setup' },
        );
      } catch (e) {
        // Another instance sharing the database created it first: use theirs.
        if (!(e instanceof CaError && e.code === 'conflict' && database.kind === 'postgres')) throw e;
        await authority.unlockAll();
      }
    } else {
      await authority.unlockAll();
      await applyPublicUrl(authority, config.publicUrl, log);
      warnIgnoredCaUrl(authority, config, log);
    }
    await firstAdmin(o, database, log);
    if (o.installOnly) {
      await database.close();
      return { runtime: undefined as unknown as Runtime, close: async () => {}, fatal: new Promise<string>(() => undefined) };
    }

    // Every instance sharing a database must sign sessions with the same secret.
    const authSecret = await database.settings.init('auth_secret', randomBytes(32).toString('base64url'));
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
      : prepareNext(config, nextSelfAddress(config, authority.keyring.list()[0]?.federation.caUrl), log);
    nextHandler.catch(() => undefined);
    let pool: SigningPool | undefined;
    if (config.signingThreads > 0) {
      pool = new SigningPool({
        authority,
        store,
        threads: config.signingThreads,
        queue: config.signingQueue,
        aliases: config.hostnames,
        log,
        workerUrl: new URL('./signing-worker.mjs', import.meta.url),
      });
      opened.push(pool);
      await pool.start();
    }
    const sign = pool ? (p: SignWithTokenParams) => pool.sign(p) : (p: SignWithTokenParams) => authority.signWithToken(p);
    const handler = createAppHandler({
      step: { authority, sign, log, trustProxy: config.trustProxy, version, extra: lifecycleRoutes() },
      next: nextHandler,
      log,
      trustProxy: config.trustProxy,
    });
    const listeners = new Listeners({
      authority,
      bindHost: config.bindHost,
      extraHostnames: config.hostnames,
      log,
      handler,
      httpPort: config.httpPort,
      bounds: {
        ...DEFAULT_CLIENT_BOUNDS,
        headersTimeoutMs: config.headersTimeoutMs ?? DEFAULT_CLIENT_BOUNDS.headersTimeoutMs,
        requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_CLIENT_BOUNDS.requestTimeoutMs,
      },
      portOffset: config.listenPortOffset,
    });
    const runtime: Runtime = {
      version,
      config,
      database,
      store,
      queries: database.queries,
      accounts: database.accounts,
      authority,
      listeners,
      log,
      startedAt: new Date(),
      federationsChanged: () => listeners.sync(),
    };
    setRuntime(runtime);
    opened.push(listeners);
    await listeners.sync();
    // The SQLite file this server opened must stay the database: deleted, replaced or
    // emptied, every certificate from then on would be lost, so the server stops instead.
    let fatal!: (reason: string) => void;
    const fatalPromise = new Promise<string>((resolve) => (fatal = resolve));
    const databaseIdentity = database.kind === 'sqlite' ? fileIdentity(config.databaseFile) : undefined;
    // Federations created or changed by the CLI (or another instance) appear within seconds.
    const refresher = setInterval(() => {
      const problem = databaseIdentity && databaseFileProblem(config.databaseFile, databaseIdentity);
      if (problem) {
        clearInterval(refresher);
        log.error(`the database file was ${problem} while FedPKI ran: stopping, so that nothing more is issued into it`, { file: config.databaseFile });
        fatal(`the database file ${config.databaseFile} was ${problem}`);
        return;
      }
      authority
        .refresh()
        .then(({ added }) => (added.length ? listeners.sync() : undefined))
        .catch((e: unknown) => log.error('federation refresh failed', { error: e as Error }));
    }, 5_000);
    refresher.unref();
    // CRL refresh and expiry notices, off the request path.
    const jobs = startLifecycleJobs({ authority, store, log, version, webhookUrl: async () => webhookUrlFrom(await database.settings.get(EXPIRY_WEBHOOK_KEY)), intervalSeconds: env().FEDPKI_LIFECYCLE_INTERVAL_SECONDS });
    // Query planner statistics: the portal's list filters need them (see db/client.ts).
    const optimizer = setInterval(() => void database.optimize().catch((e: unknown) => log.warn('database optimize failed', { error: e as Error })), 3_600_000);
    optimizer.unref();
    await store.appendAudit(auditEntry(ActivityType.CA_STARTED, { at: new Date(), actor: 'system', details: { version, federations: authority.keyring.list().length } }));
    for (const ctx of authority.keyring.list()) {
      log.info('federation ready', { id: ctx.federation.id, caUrl: ctx.federation.caUrl, root: ctx.root.fingerprint });
    }
    return {
      runtime,
      fatal: fatalPromise,
      close: async () => {
        clearInterval(refresher);
        jobs.stop();
        clearInterval(optimizer);
        // In-flight requests finish first (up to 10 s): the signing pool and the
        // database stay open for them.
        await listeners.close(SHUTDOWN_GRACE_MS);
        await pool?.close();
        setRuntime(undefined);
        await database.close();
      },
    };
  } catch (e) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    setRuntime(undefined);
    await database.close().catch(() => undefined);
    throw e;
  }
}

/**
 * FEDPKI_PUBLIC_URL names where the first federation's CRL and OCSP responder are
 * reachable; it is applied at every start, so changing it takes effect on restart
 * (for certificates issued from then on).
 */
async function applyPublicUrl(authority: CertificateAuthority, publicUrl: string | undefined, log: Logger): Promise<void> {
  if (!publicUrl) return;
  const first = authority.keyring.first();
  const url = validatePublicUrl(publicUrl);
  if (!first || first.federation.publicUrl === url) return;
  await authority.updateFederation(first.federation.id, { publicUrl: url }, { id: 'env:FEDPKI_PUBLIC_URL' });
  log.info('public URL set from the environment', { federation: first.federation.id, publicUrl: url });
}

/**
 * The CA URL is the first federation's name and address from its first start on: its
 * tokens carry it as their audience, its nodes were given it, and its listener binds its
 * port. A different one given on a later start is not applied; the operator is told so,
 * rather than left wondering why the server still answers on the old address.
 */
function warnIgnoredCaUrl(authority: CertificateAuthority, config: ServerConfig, log: Logger): void {
  if (!config.caUrlFrom) return;
  const first = authority.keyring.first();
  if (!first || first.federation.caUrl.toLowerCase() === config.caUrl.toLowerCase()) return;
  log.warn(`${config.caUrlFrom} is read on the first start only and is ignored: federation "${first.federation.id}" keeps its CA URL`, {
    caUrl: first.federation.caUrl,
    given: config.caUrl,
  });
}

async function prepareNext(config: ServerConfig, self: { hostname: string; port: number }, log: Logger): Promise<NextHandler> {
  if (!config.dev && !existsSync(join(config.root, '.next', 'BUILD_ID'))) {
    throw new CaError('unavailable', 'The portal is not built: run `npm run build` (or start with `npm start`, which builds it).');
  }
  exportToProcess({ NEXT_TELEMETRY_DISABLED: '1' });
  const { default: next } = await import('next');
  quietForwardedActions(log);
  const app = next({ dev: config.dev, dir: config.root, quiet: !config.dev, hostname: self.hostname, port: self.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  return (req, res) => handle(req, res);
}

/**
 * The data folder holds the CA: its keys (encrypted), the token MACs, the portal's
 * password hashes. FedPKI makes the folder 0700 and the database 0600, but a folder
 * the operator made, or a database restored with `cp`, may be open to other users.
 * A warning, not a refusal (as PostgreSQL refuses): the keys stay encrypted either
 * way, and an upgrade must not stop a CA that ran yesterday.
 */
function warnOpenFiles(databaseFile: string, log: Logger): void {
  const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');
  const folder = dirname(databaseFile);
  const folderMode = statSync(folder).mode;
  if (folderMode & 0o077) log.warn(`the data folder is open to other users (mode ${octal(folderMode)}): \`chmod 700\` it`, { folder });
  for (const file of [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]) {
    const mode = existsSync(file) ? statSync(file).mode : 0;
    if (mode & 0o077) log.warn(`a database file is readable by other users (mode ${octal(mode)}): \`chmod 600\` it`, { file });
  }
}

/**
 * A server action posted to a page that does not host it makes Next.js forward the
 * request to itself, with the caller's headers; that fetch fails by design (see
 * next-self.ts), and Next.js then prints the error with its stack through
 * console.error. Anyone can post such a request, so each would add a dozen lines to
 * the log: it becomes one warning line instead. Every other console.error passes.
 */
let consoleWrapped = false;
function quietForwardedActions(log: Logger): void {
  if (consoleWrapped) return;
  consoleWrapped = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (args[0] === 'failed to forward action response') {
      log.warn('a server action was posted to a page that does not host it: answered with nothing, not forwarded');
      return;
    }
    original(...args);
  };
}

/** The SQLite file: DATABASE_URL when it names a file, else <data>/fedpki.db. */
export function resolveDatabaseFile(dataDir: string, databaseUrl?: string): string {
  if (databaseUrl && !/^postgres(ql)?:\/\//i.test(databaseUrl)) return resolve(databaseUrl.replace(/^file:/, ''));
  return resolve(dataDir, 'fedpki.db');
}


