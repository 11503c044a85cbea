/** Plain node:http helpers for the adapters the custom server runs itself. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { CaError, isCaError, toErrorBody } from '../lib/ca/errors';
import type { Logger } from './log';

/** Headers on every API answer: JSON only, never cached, never framed. */
const API_HEADERS: Record<string, string> = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADERS, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendBytes(res: ServerResponse, status: number, body: Uint8Array | string, contentType: string, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...headers });
  res.end(buf);
}

/**
 * Answers with the step-compatible error JSON; logs server faults without detail to the
 * client. A fault the CA foresaw and put in words (`unavailable`: a full disk, a lost
 * database) is logged in one short line with the driver's cause; a stack would only
 * repeat the same frames for every refused request while the condition lasts. Anything
 * else gets its stack, to be found and fixed.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger, context: Record<string, unknown> = {}): void {
  const body = toErrorBody(err);
  if (body.status >= 500) log.error('request failed', { ...context, code: body.code, error: faultText(err), cause: causeOf(err) });
  else log.info('request refused', { ...context, status: body.status, code: body.code });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (body.status === 413) headers.Connection = 'close';
  sendJson(res, body.status, body, headers);
}

function faultText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const foreseen = isCaError(err) && err.code === 'unavailable';
  return foreseen ? err.message : (err.stack ?? err.message);
}

/** What a 5xx CaError wraps (a database driver's error), for the operator: code and message, no stack. */
function causeOf(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
}

/** A percent-encoded path segment, decoded; malformed encoding (`/root/%`) is the client's 400, not a 500. */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new CaError('bad_request', 'The request could not be completed: the path is not validly percent-encoded.');
  }
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops reading and
 * throws body_too_large; the caller answers 413 and the connection is closed.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new CaError('body_too_large', `The request body is larger than ${limit} bytes.`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeListener('data', onData);
        req.resume();
        reject(new CaError('body_too_large', `The request body is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new CaError('bad_request', 'The request was aborted.')));
  });
}

export function requireJson(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new CaError('unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).');
  }
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  requireJson(req);
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new CaError('bad_request', 'The request could not be completed: the body is not valid JSON.');
  }
}

/**
 * The peer address. Behind a configured proxy, the last X-Forwarded-For entry: the one
 * the proxy itself wrote. Entries before it came from the client (a proxy that appends,
 * as nginx's $proxy_add_x_forwarded_for does, keeps whatever the client sent), so the
 * first would let anyone choose the address audited and throttled.
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const last = (Array.isArray(xff) ? xff.join(',') : xff)?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? null;
}

export function isTls(req: IncomingMessage): req is IncomingMessage & { socket: TLSSocket } {
  return Boolean((req.socket as TLSSocket).encrypted);
}
