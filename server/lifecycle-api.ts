/**
 * The certificate lifecycle on the step-compatible API (registered as `extra` routes
 * of server/step-api.ts, so they answer at / and /1.0):
 *
 * | Method   | Path                                   | Answer |
 * |----------|----------------------------------------|--------|
 * | POST     | /revoke                                | 200 {"status":"ok"}; `{"serial","ott"?,"reasonCode"?,"reason"?,"passive"?}`, a revoke token or the certificate itself over mTLS |
 * | POST     | /renew                                 | 201 like /sign; mTLS, or `Authorization: Bearer <x5c token>` |
 * | POST     | /rekey                                 | 201 like /sign; `{"csr"}` + mTLS or Bearer x5c token bound to the CSR |
 * | GET      | /crl, /crl/{federation}                | DER `application/pkix-crl`; `?pem` for PEM. /crl is the listener's default federation |
 * | GET      | /intermediate/{federation}.crt         | the issuing CA certificate, DER (AIA caIssuers) |
 * | POST     | /ocsp, /ocsp/{federation}              | `application/ocsp-request` in, `application/ocsp-response` out |
 * | GET      | /ocsp/{base64}, /ocsp/{federation}/{base64} | RFC 6960 appendix A.1 |
 *
 * In `/ocsp/{x}`, x is a federation id when it names one (ids are lowercase; a
 * base64 OCSP request starts with "M"), otherwise a request. The issuer in each CertID
 * picks the federation anyway; the id only orders the search.
 */

import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { CaError } from '../lib/ca/errors';
import type { FederationContext } from '../lib/ca/keyring';
import { fromBase64 } from '../lib/pki/encoding';
import { fromPem, toPem } from '../lib/pki/pem';
import { decodePathPart, isTls, readBody, readJson, sendBytes, sendJson } from './http';
import { STEP_BODY_LIMIT, TLS_OPTIONS, type StepContext, type StepHandler } from './step-api';

const revokeBody = z.object({
  serial: z.string().min(1).max(200),
  ott: z.string().max(16 * 1024).optional(),
  reasonCode: z.number().int().min(0).max(10).optional(),
  reason: z.string().max(1024).optional(),
  passive: z.boolean().optional(),
});

const rekeyBody = z.object({ csr: z.string().min(1).max(64 * 1024) });

/** The DER of the certificate the client presented in the TLS handshake, if any. */
export function peerCertificate(req: IncomingMessage): Uint8Array | undefined {
  if (!isTls(req)) return undefined;
  const cert = req.socket.getPeerCertificate(true);
  if (!cert?.raw?.length) return undefined;
  return new Uint8Array(cert.raw);
}

/** The Host header's name, lowercase, without port or IPv6 brackets. */
function requestHost(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (!host) return null;
  try {
    return new URL(`https://${host}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = header.match(/^Bearer\s+(\S+)\s*$/i);
  if (!m) throw new CaError('unauthenticated', 'The request lacked necessary authorization: the Authorization header must be "Bearer <token>".');
  return m[1];
}

const noCredentials = (what: string) =>
  new CaError('unauthenticated', `The request lacked necessary authorization: ${what}: present the current certificate over mutual TLS, or send a renewal token as "Authorization: Bearer …".`);

async function revoke({ req, res, deps, scope, sourceIp }: StepContext): Promise<void> {
  const parsed = revokeBody.safeParse(await readJson(req, STEP_BODY_LIMIT));
  if (!parsed.success) {
    throw new CaError('bad_request', 'The request could not be completed: the body must be {"serial", "ott"?, "reasonCode"? (0–10), "reason"?, "passive"?}.');
  }
  const { serial, ott, reasonCode, reason } = parsed.data;
  // step-ca answers 501 for passive:false (active revocation at a CAS). FedPKI's revocations
  // are always published (CRL and OCSP), so both values mean the same here.
  let result;
  if (ott) {
    result = await deps.authority.revokeWithToken({ serial, ott, reasonCode, reason, sourceIp });
  } else {
    const presented = peerCertificate(req);
    if (!presented) throw new CaError('unauthenticated', 'The request lacked necessary authorization: send a revoke token (ott) or present the certificate itself over mutual TLS.');
    result = await deps.authority.revokeWithCertificate({ serial, presented, scope, reasonCode, reason, sourceIp });
  }
  deps.log.info('certificate revoked', { federation: result.certificate.federationId, serial: result.certificate.serial, crl: result.crl?.number ?? null });
  sendJson(res, 200, { status: 'ok' });
}

async function renewOrRekey(ctx: StepContext, rekey: boolean): Promise<void> {
  const { req, res, deps, scope, sourceIp } = ctx;
  const token = bearerToken(req);
  let csr: Uint8Array | undefined;
  if (rekey) {
    const parsed = rekeyBody.safeParse(await readJson(req, STEP_BODY_LIMIT));
    if (!parsed.success) throw new CaError('csr_missing', 'The request could not be completed: missing csr.');
    try {
      csr = fromPem(parsed.data.csr);
    } catch {
      csr = undefined;
    }
    if (!csr) throw new CaError('csr_malformed', 'The request could not be completed: invalid csr (not a PEM certificate request).');
  } else {
    // step sends an empty body; read and drop whatever comes, within the cap.
    await readBody(req, STEP_BODY_LIMIT);
  }
  let issued;
  if (token) {
    issued = await deps.authority.renewWithToken({ token, csr, scope, sourceIp, requestHost: requestHost(req) });
  } else {
    const presented = peerCertificate(req);
    if (!presented) throw noCredentials(rekey ? 'no certificate to rekey' : 'no certificate to renew');
    issued = rekey ? await deps.authority.rekey({ presented, csr: csr!, scope, sourceIp }) : await deps.authority.renew({ presented, scope, sourceIp });
  }
  deps.log.info(rekey ? 'certificate rekeyed' : 'certificate renewed', {
    federation: issued.record.federationId,
    serial: issued.record.serial,
    renewedFrom: issued.record.renewedFrom,
    via: token ? 'x5c' : 'mtls',
  });
  sendJson(res, 201, { crt: issued.certificate, ca: issued.intermediate, certChain: issued.chain, tlsOptions: TLS_OPTIONS });
}

function federationById(ctx: StepContext, id: string): FederationContext {
  const fed = ctx.deps.authority.keyring.get(id);
  if (!fed) throw new CaError('not_found', `No federation "${id}" is served here.`);
  return fed;
}

async function crl(ctx: StepContext): Promise<void> {
  const { req, res, path, query, scope, deps } = ctx;
  const id = path === '/crl' ? scope[0]?.federation.id : decodePathPart(path.slice('/crl/'.length)).replace(/\.(crl|pem)$/, '');
  if (!id) throw new CaError('not_found', 'No federation is served here.');
  const fed = federationById(ctx, id);
  const current = await deps.authority.currentCrl(fed.federation.id);
  const etag = `"crl-${fed.federation.id}-${current.number}"`;
  const headers = {
    ETag: etag,
    'Last-Modified': current.thisUpdate.toUTCString(),
    Expires: current.nextUpdate.toUTCString(),
    // Revalidate every time: a new CRL follows every revocation.
    'Cache-Control': 'public, no-cache',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if (query.has('pem') || path.endsWith('.pem')) sendBytes(res, 200, toPem(current.der, 'X509 CRL'), 'application/x-pem-file', headers);
  else sendBytes(res, 200, current.der, 'application/pkix-crl', headers);
}

function intermediate(ctx: StepContext): void {
  const name = decodePathPart(ctx.path.slice('/intermediate/'.length));
  const m = name.match(/^([a-z0-9-]+)\.(crt|cer|pem)$/);
  if (!m) throw new CaError('not_found', 'Ask for /intermediate/<federation>.crt.');
  const fed = federationById(ctx, m[1]!);
  if (m[2] === 'pem') sendBytes(ctx.res, 200, fed.intermediate.pem, 'application/x-pem-file', { 'Cache-Control': 'public, max-age=86400' });
  else sendBytes(ctx.res, 200, fed.intermediate.der, 'application/pkix-cert', { 'Cache-Control': 'public, max-age=86400' });
}

/** Upper bound on an OCSP request body (a handful of CertIDs and a nonce is ~100 bytes). */
const OCSP_BODY_LIMIT = 16 * 1024;

async function ocsp(ctx: StepContext): Promise<void> {
  const { req, res, path, scope, deps } = ctx;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method !== 'GET' && method !== 'POST') {
    res.setHeader('Allow', 'GET, HEAD, POST');
    throw new CaError('method_not_allowed', `The request could not be completed: ${req.method} is not allowed on /ocsp.`);
  }
  let rest = path.slice('/ocsp'.length).replace(/^\//, '');
  let hint: FederationContext | undefined;
  const first = rest.split('/')[0] ?? '';
  if (/^[a-z0-9-]+$/.test(first) && deps.authority.keyring.get(first)) {
    hint = deps.authority.keyring.get(first);
    rest = rest.slice(first.length).replace(/^\//, '');
  }
  let der: Uint8Array | undefined;
  if (method === 'POST') {
    if (rest) throw new CaError('not_found', 'POST OCSP requests to /ocsp or /ocsp/<federation>.');
    der = new Uint8Array(await readBody(req, OCSP_BODY_LIMIT));
  } else {
    if (!rest) throw new CaError('bad_request', 'GET /ocsp/<base64 request>, or POST an application/ocsp-request.');
    try {
      der = fromBase64(decodeURIComponent(rest));
    } catch {
      der = new Uint8Array(0); // answered below as malformedRequest
    }
  }
  const federations = [...new Set([...(hint ? [hint] : []), ...scope, ...deps.authority.keyring.list()])];
  const answer = await deps.authority.ocsp(der, federations);
  if (deps.log.enabled('debug')) deps.log.debug('ocsp', { federation: answer.federationId ?? null, statuses: answer.statuses.join(',') });
  const headers: Record<string, string> = {};
  if (method === 'GET' && answer.nextUpdate) {
    // RFC 5019 §6: GET answers may be cached until they are due to be refreshed.
    const maxAge = Math.max(0, Math.floor((answer.nextUpdate.getTime() - Date.now()) / 1000));
    headers['Cache-Control'] = `public, max-age=${Math.min(maxAge, 300)}, no-transform, must-revalidate`;
  }
  sendBytes(res, 200, answer.der, 'application/ocsp-response', headers);
}

/** The routes to pass as `StepApiDeps.extra`. */
export function lifecycleRoutes(): Map<string, StepHandler> {
  return new Map<string, StepHandler>([
    ['/revoke', revoke],
    ['/renew', (ctx) => renewOrRekey(ctx, false)],
    ['/rekey', (ctx) => renewOrRekey(ctx, true)],
    ['/crl', crl],
    ['/crl/', crl],
    ['/intermediate/', intermediate],
    ['/ocsp', ocsp],
    ['/ocsp/', ocsp],
  ]);
}
