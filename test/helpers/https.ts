/**
 * HTTPS requests with an explicit trust anchor (or none), and optional client
 * certificates; an http: URL (the plain listener behind a proxy) is sent the same way.
 */

import http from 'node:http';
import https from 'node:https';

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Raw body bytes; overrides `body`. */
  raw?: Buffer | string;
  headers?: Record<string, string>;
  /** Trust only this root (PEM). */
  ca?: string;
  /** Skip certificate checks (bootstrap, as step does before pinning). */
  insecure?: boolean;
  cert?: string;
  key?: string;
  agent?: https.Agent;
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Buffer;
  json: unknown;
}

export function httpsRequest(url: string, o: RequestOptions = {}): Promise<Response> {
  const u = new URL(url);
  const payload = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
  const headers: Record<string, string> = { ...(o.body !== undefined && o.raw === undefined ? { 'Content-Type': 'application/json' } : {}), ...(o.headers ?? {}) };
  if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
  const client: Pick<typeof https, 'request'> = u.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: o.method ?? (payload !== undefined ? 'POST' : 'GET'),
        headers,
        ca: o.ca,
        rejectUnauthorized: !o.insecure,
        cert: o.cert,
        key: o.key,
        agent: o.agent,
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}
