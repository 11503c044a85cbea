/**
 * The environment, validated once. Nothing else in FedPKI reads `process.env`; the CLI
 * passes its flags over these values, and `lib/ca` receives plain configuration.
 */

import { z } from 'zod';
import { parseRoleMap } from '../lib/auth/sso';
import { CaError } from '../lib/ca/errors';
import { parseIp } from '../lib/pki/extensions/subject-alt-name';

const lowercase = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const bool = z.preprocess(
  lowercase,
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
    .optional()
    .transform((v) => v === '1' || v === 'true' || v === 'yes'),
);

/** A DNS name (letters, digits, hyphens, dots) as a TLS certificate names a host; IP addresses are parsed. */
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A secret from the environment, read as a password file is (server/secrets.ts): one
 * trailing newline is not part of it. Secrets passed from files through a variable (an
 * env file, a Kubernetes secret) often end with one, and a CA made with it would then
 * open from the variable but never from the same value in a file.
 */
const secretValue = z
  .string()
  .transform((v) => v.replace(/\r?\n$/, ''))
  .pipe(z.string().min(1))
  .optional();

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  FEDPKI_DATA_DIR: z.string().min(1).default('./data'),
  /** A SQLite file path (default <data>/fedpki.db), or postgres://… */
  DATABASE_URL: z
    .string()
    .min(1)
    // Any other scheme (mysql://, a mistyped postgre://) would otherwise be taken for a
    // file path and get a new, empty CA there.
    .refine((v) => !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) || /^(postgres(ql)?|file):\/\//i.test(v), 'use postgres://… (or postgresql://…) for PostgreSQL, or a file path for SQLite')
    .optional(),
  FEDPKI_CA_PASSWORD: secretValue,
  FEDPKI_CA_PASSWORD_FILE: z.string().min(1).optional(),
  /** Address the HTTPS listeners bind to. */
  FEDPKI_HOST: z.string().min(1).default('127.0.0.1'),
  /** host:port of the first federation (what `fx pki install --ca-url` sets). */
  FEDPKI_CA_URL: z.string().min(1).default('localhost:9123'),
  /** Extra host names every federation's TLS certificate and token audience accept. */
  FEDPKI_HOSTNAMES: z
    .string()
    .optional()
    .refine(
      (v) => (v ?? '').split(',').map((h) => h.trim()).filter(Boolean).every((h) => parseIp(h) !== undefined || HOSTNAME_RE.test(h)),
      'a comma-separated list of host names (letters, digits, hyphens, dots) or IP addresses',
    ),
  /** Optional plain-HTTP listener on 127.0.0.1 (for a TLS-terminating proxy or http://localhost). */
  FEDPKI_HTTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Listeners bind (CA URL port + offset): several instances on one host behind a TCP proxy. */
  FEDPKI_LISTEN_PORT_OFFSET: z.coerce.number().int().min(-65535).max(65535).default(0),
  /**
   * Base URL written into the CRL distribution point / AIA extensions of the first
   * federation's leaves (applied at every start); usually plain http, as RFC 5280 advises.
   */
  FEDPKI_PUBLIC_URL: z.string().url().optional(),
  FEDPKI_ADMIN_USERNAME: z.string().min(1).optional(),
  FEDPKI_ADMIN_PASSWORD: secretValue,
  FEDPKI_ADMIN_PASSWORD_FILE: z.string().min(1).optional(),
  FEDPKI_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  FEDPKI_TRUST_PROXY: bool,
  /** PBKDF2 iterations for new CA keys; lowering it is for tests only. */
  FEDPKI_KDF_ITERATIONS: z.coerce.number().int().min(1000).optional(),
  FEDPKI_DB_SYNCHRONOUS: z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(['FULL', 'NORMAL']).default('FULL')),
  /** Slow-client bounds (milliseconds); the defaults suit production. */
  FEDPKI_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  FEDPKI_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  /** Threads that prepare certificates; 0 signs on the main thread. Default: one per core but one, at least 1, at most 4. */
  FEDPKI_SIGNING_THREADS: z.coerce.number().int().min(0).max(32).optional(),
  /** Requests each signing thread may have in flight before the main thread signs new ones itself. */
  FEDPKI_SIGNING_QUEUE: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Seconds between lifecycle passes (CRL refresh, expiry webhook); lowering it is for tests. */
  FEDPKI_LIFECYCLE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  /** "alice@example.org=admin,*@example.org=auditor" */
  OIDC_ROLE_MAP: z.string().optional(),
  OIDC_NAME: z.string().optional(),
});

export type Env = z.infer<typeof schema>;

/**
 * A command-line flag checked by the rule of the variable it stands for, so
 * `--log-level verbose` or `--http-port abc` is refused as the variable would be.
 * @returns the parsed value, or undefined when the flag is absent
 * @throws CaError bad_request naming the flag and the rule
 */
export function flagValue<K extends keyof Env>(variable: K, flag: string, value: string | undefined): Env[K] | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.shape[variable].safeParse(value);
  if (!parsed.success) throw new CaError('bad_request', `${flag} ${JSON.stringify(value)} is refused: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data as Env[K];
}

let cached: Env | undefined;

/** Validates an environment; the message names each variable refused (never its value). */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(source);
  const problems = parsed.success ? ssoProblems(parsed.data) : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // One line, a usage error (exit code 2 in the CLI), like a refused flag.
  if (!parsed.success || problems.length) throw new CaError('validation_failed', `Invalid environment: ${problems.join('; ')}`);
  return parsed.data;
}

/**
 * Single sign-on set up by halves is refused at start, not found at the first sign-in:
 * without all three of issuer, client id and secret the provider would silently not be
 * offered, and a malformed role map would refuse every SSO sign-in.
 */
function ssoProblems(e: Env): string[] {
  const problems: string[] = [];
  const parts = { OIDC_ISSUER: e.OIDC_ISSUER, OIDC_CLIENT_ID: e.OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: e.OIDC_CLIENT_SECRET };
  const missing = Object.entries(parts).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0 && missing.length < 3) problems.push(`${missing.join(', ')}: single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together`);
  if (e.OIDC_ROLE_MAP !== undefined) {
    try {
      parseRoleMap(e.OIDC_ROLE_MAP);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** For the custom server: hands values to code that runs inside Next.js (next-auth). */
export function exportToProcess(values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) process.env[k] = v;
}
