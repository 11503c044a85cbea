/**
 * The request handler shared by every listener: the step-ca API first (it is the hot
 * path and never touches Next.js), everything else to Next.js (portal, enrollment page,
 * next-auth). Baseline security headers are set here for every answer; the page CSP
 * with its per-request nonce comes from proxy.ts.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CaError } from '../lib/ca/errors';
import type { FederationContext } from '../lib/ca/keyring';
import { clientIp, decodePathPart, sendError } from './http';
import type { Logger } from './log';
import { handleStep, stepRoute, type StepApiDeps } from './step-api';

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface AppHandlerOptions {
  step: StepApiDeps;
  next: Promise<NextHandler>;
  log: Logger;
  trustProxy: boolean;
}

/** next.config.js's serverActions.bodySizeLimit ('2mb'). */
export const ACTION_BODY_LIMIT = 2 * 1024 * 1024;

/** Request headers only a trusted proxy (or proxy.ts) may set. */
const CLIENT_FORBIDDEN = ['x-nonce', 'content-security-policy', 'x-middleware-subrequest', 'x-fedpki-client-ip'];

export function createAppHandler(o: AppHandlerOptions) {
  return (req: IncomingMessage, res: ServerResponse, scope: (servername?: string) => FederationContext[]): void => {
    const secure = Boolean((req.socket as { encrypted?: boolean }).encrypted);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (secure) res.setHeader('Strict-Transport-Security', 'max-age=63072000');

    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const route = stepRoute(path, req.method);
    if (route) {
      void handleStep(route, req, res, scope(), o.step);
      return;
    }

    // Next.js answers a path it cannot decode (/federations/%ZZ) with a bare 500.
    try {
      decodePathPart(path);
    } catch (e) {
      sendError(res, e, o.log, { path });
      return;
    }

    // A server action's body over Next.js's limit would be a 500 with a digest there; the
    // portal's forms check their files first, so only a crafted request gets this 413.
    if (req.method === 'POST' && req.headers['next-action'] !== undefined && Number(req.headers['content-length'] ?? 0) > ACTION_BODY_LIMIT) {
      sendError(res, new CaError('body_too_large', `A form's content is limited to ${ACTION_BODY_LIMIT / 1024 / 1024} MiB.`), o.log, { path });
      return;
    }

    // The portal's audit trail and sign-in throttle see the client, not the proxy in front.
    const ip = clientIp(req, o.trustProxy) ?? '';
    for (const h of CLIENT_FORBIDDEN) delete req.headers[h];
    if (!o.trustProxy) {
      delete req.headers['x-forwarded-for'];
      delete req.headers['x-forwarded-host'];
      req.headers['x-forwarded-proto'] = secure ? 'https' : 'http';
    }
    req.headers['x-fedpki-client-ip'] = ip;
    o.next
      .then((handle) => handle(req, res))
      .catch((e) => sendError(res, e, o.log, { path }));
  };
}
