/**
 * The step-ca compatible HTTP API, served at the origin root and under /1.0 (the step
 * client strips any path from --ca-url and calls /sign, /root/{sha} …, while tokens
 * name /1.0/sign). A thin adapter: zod at the edge, `CertificateAuthority` inside,
 * errors as `{status, message}`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CertificateAuthority } from '../lib/ca/authority';
import type { IssuedCertificate, SignWithTokenParams } from '../lib/ca/issue';
import { CaError } from '../lib/ca/errors';
import type { FederationContext } from '../lib/ca/keyring';
import { parseTimeSpec } from '../lib/ca/validity';
import { fromPem } from '../lib/pki/pem';
import { clientIp, decodePathPart, readJson, sendError, sendJson } from './http';
import type { Logger } from './log';

/** Bodies on this API are small: a CSR (≤16 KiB) and a token (≤8 KiB). */
export const STEP_BODY_LIMIT = 64 * 1024;

/**
 * step-ca's default TLS options, echoed in /sign answers. step's client decodes them
 * into its own types, so their types matter (test/integration/step-client.integ.ts).
 */
export const TLS_OPTIONS = {
  cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  minVersion: 1.2,
  maxVersion: 1.3,
  renegotiation: false,
};

export interface ListenerScope {
  /** Federations whose CA URL names this listener, the SNI-selected one first. */
  federations(servername?: string): FederationContext[];
}

export interface StepApiDeps {
  authority: CertificateAuthority;
  /** Issues from a token: on signing threads, or on this thread (`authority.signWithToken`). */
  sign: (p: SignWithTokenParams) => Promise<IssuedCertificate>;
  log: Logger;
  trustProxy: boolean;
  version: string;
  /** Extra routes (revocation, renewal, CRL, OCSP) registered by the lifecycle module. */
  extra?: Map<string, StepHandler>;
}

export type StepHandler = (ctx: StepContext) => Promise<void> | void;

export interface StepContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The route path with any /1.0 prefix removed. */
  path: string;
  query: URLSearchParams;
  scope: FederationContext[];
  deps: StepApiDeps;
  sourceIp: string | null;
}

const FIXED = new Set([
  '/health',
  '/version',
  '/roots',
  '/roots.pem',
  '/intermediates',
  '/intermediates.pem',
  '/federation',
  '/provisioners',
  '/sign',
  '/renew',
  '/rekey',
  '/revoke',
  '/crl',
  '/ocsp',
]);
const PREFIXES = ['/root/', '/provisioners/', '/crl/', '/ocsp/', '/intermediate/'];

/**
 * The step route for a path, or undefined when the path belongs to the portal. A
 * browser's GET of /renew is the renewal page; the API's /renew takes only POST.
 */
export function stepRoute(pathname: string, method?: string): string | undefined {
  if (pathname === '/renew' && (method === 'GET' || method === 'HEAD')) return undefined;
  const path = pathname.startsWith('/1.0/') ? pathname.slice(4) : pathname;
  if (FIXED.has(path)) return path;
  for (const p of PREFIXES) if (path.startsWith(p)) return path;
  return undefined;
}

const signBody = z.object({
  csr: z.string().max(64 * 1024).optional(),
  ott: z.string().max(16 * 1024).optional(),
  notBefore: z.string().max(64).optional(),
  notAfter: z.string().max(64).optional(),
  templateData: z.unknown().optional(),
});

async function sign({ req, res, deps, sourceIp }: StepContext): Promise<void> {
  const parsed = signBody.safeParse(await readJson(req, STEP_BODY_LIMIT));
  if (!parsed.success) throw new CaError('bad_request', 'The request could not be completed: the body must be {"csr", "ott", "notBefore"?, "notAfter"?} with string values.');
  const { csr, ott, notBefore, notAfter } = parsed.data;
  if (!csr) throw new CaError('csr_missing', 'The request could not be completed: missing csr.');
  let der: Uint8Array | undefined;
  try {
    der = fromPem(csr);
  } catch {
    der = undefined;
  }
  if (!der) throw new CaError('csr_malformed', 'The request could not be completed: invalid csr (not a PEM certificate request).');
  if (!ott) throw new CaError('ott_missing', 'The request could not be completed: missing ott.');
  const issued = await deps.sign({
    csr: der,
    ott,
    notBefore: parseTimeSpec(notBefore, 'notBefore'),
    notAfter: parseTimeSpec(notAfter, 'notAfter'),
    sourceIp,
  });
  if (deps.log.enabled('info')) {
    deps.log.info('certificate issued', { federation: issued.record.federationId, serial: issued.record.serial, subject: issued.record.commonName });
  }
  sendJson(res, 201, { crt: issued.certificate, ca: issued.intermediate, certChain: issued.chain, tlsOptions: TLS_OPTIONS });
}

function root({ res, path, deps }: StepContext): void {
  const sha = decodePathPart(path.slice('/root/'.length)).toLowerCase().replace(/-/g, '');
  const ctx = /^[0-9a-f]{64}$/.test(sha) ? deps.authority.keyring.byRootFingerprint(sha) : undefined;
  if (!ctx) throw new CaError('not_found', `No root certificate with SHA-256 fingerprint ${sha}.`);
  sendJson(res, 200, { ca: ctx.root.pem });
}

function provisioners({ res, query, scope }: StepContext): void {
  const limitText = query.get('limit');
  if (limitText !== null && !/^\d+$/.test(limitText)) throw new CaError('bad_request', 'The request could not be completed: limit must be an integer.');
  const all = scope.map((ctx) => ({
    type: 'JWK',
    name: ctx.provisioner.name,
    key: { use: 'sig', kty: 'EC', crv: 'P-256', alg: 'ES256', kid: ctx.provisioner.kid, x: ctx.provisioner.jwk.x, y: ctx.provisioner.jwk.y },
  }));
  const cursor = Number(query.get('cursor') || 0) || 0;
  const limit = Math.min(Number(limitText ?? 20) || 20, 100);
  const page = all.slice(cursor, cursor + limit);
  const next = cursor + limit < all.length ? String(cursor + limit) : '';
  sendJson(res, 200, { provisioners: page, nextCursor: next });
}

const pemBundle = (list: string[]) => list.join('');

const handlers = new Map<string, StepHandler>([
  ['/health', ({ res }) => sendJson(res, 200, { status: 'ok' })],
  ['/version', ({ res, deps }) => sendJson(res, 200, { version: deps.version, requireClientAuthentication: false })],
  ['/sign', sign],
  ['/roots', ({ res, scope }) => sendJson(res, 201, { crts: scope.map((c) => c.root.pem) })],
  ['/federation', ({ res, scope }) => sendJson(res, 201, { crts: scope.map((c) => c.root.pem) })],
  ['/intermediates', ({ res, scope }) => sendJson(res, 201, { crts: scope.map((c) => c.intermediate.pem) })],
  ['/roots.pem', ({ res, scope }) => sendPem(res, pemBundle(scope.map((c) => c.root.pem)))],
  ['/intermediates.pem', ({ res, scope }) => sendPem(res, pemBundle(scope.map((c) => c.intermediate.pem)))],
  ['/provisioners', provisioners],
]);

function sendPem(res: ServerResponse, pem: string): void {
  res.writeHead(200, { 'Content-Type': 'application/x-pem-file', 'Content-Length': Buffer.byteLength(pem), 'Cache-Control': 'no-store' });
  res.end(pem);
}

const POST_ROUTES = new Set(['/sign', '/renew', '/rekey', '/revoke']);

export async function handleStep(path: string, req: IncomingMessage, res: ServerResponse, scope: FederationContext[], deps: StepApiDeps): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const sourceIp = clientIp(req, deps.trustProxy);
  try {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const wantsPost = POST_ROUTES.has(path);
    if ((wantsPost && method !== 'POST') || (!wantsPost && method !== 'GET' && !path.startsWith('/ocsp'))) {
      res.setHeader('Allow', wantsPost ? 'POST' : path.startsWith('/ocsp') ? 'GET, HEAD, POST' : 'GET, HEAD');
      throw new CaError('method_not_allowed', `The request could not be completed: ${req.method} is not allowed on ${path}.`);
    }
    let handler = handlers.get(path) ?? deps.extra?.get(path);
    if (!handler) {
      const prefix = PREFIXES.find((p) => path.startsWith(p));
      handler = prefix === '/root/' ? root : prefix ? deps.extra?.get(prefix) : undefined;
    }
    if (!handler) {
      if (path.startsWith('/provisioners/')) throw new CaError('not_found', 'FedPKI does not publish provisioner keys; tokens are minted by FedPKI.');
      throw new CaError('not_implemented', `${path} is not available on this server.`);
    }
    await handler({ req, res, path, query, scope, deps, sourceIp });
  } catch (e) {
    sendError(res, e, deps.log, { path, ip: sourceIp });
  }
}
