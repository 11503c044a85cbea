/**
 * Route handlers (downloads) check the session and role themselves, like server
 * actions: `withPermission` answers 401/403 as `{status, message, code}` JSON before
 * the handler runs, and turns errors into the same shape.
 */

import 'server-only';
import { toErrorBody } from '@/lib/ca/errors';
import type { Permission } from '@/lib/auth/roles';
import { checkPermission, type SessionUser } from './auth';
import { runtime } from './runtime';

type Handler<P> = (req: Request, params: P, user: SessionUser) => Promise<Response>;

const NO_STORE = { 'Cache-Control': 'no-store' };

export function withPermission<P = Record<string, never>>(permission: Permission, handler: Handler<P>) {
  return async (req: Request, ctx: { params: Promise<P> }): Promise<Response> => {
    const auth = await checkPermission(permission);
    if (!auth.ok) {
      return Response.json({ status: auth.status, message: auth.message, code: auth.status === 401 ? 'unauthenticated' : 'forbidden' }, { status: auth.status, headers: NO_STORE });
    }
    try {
      return await handler(req, await ctx.params, auth.user);
    } catch (e) {
      const body = toErrorBody(e);
      if (body.status >= 500) runtime().log.error('download failed', { path: new URL(req.url).pathname, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return Response.json(body, { status: body.status, headers: NO_STORE });
    }
  };
}

/** A file download: attachment, never cached. */
export function download(body: BodyInit, filename: string, contentType: string): Response {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  return new Response(body, {
    headers: { 'Content-Type': contentType, 'Content-Disposition': `attachment; filename="${safe}"`, ...NO_STORE },
  });
}
