/**
 * HTTP-level abuse of the API: oversized bodies, wrong content types and methods, a
 * client that dribbles its request, hundreds of connections at once — each bounded,
 * each answered clearly, and the server keeps serving.
 */

import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../../helpers/https';
import { startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';

let srv: Fedpki;

beforeAll(async () => {
  srv = await startFedpki({ env: { FEDPKI_HEADERS_TIMEOUT_MS: '2000', FEDPKI_REQUEST_TIMEOUT_MS: '4000', FEDPKI_LOG_LEVEL: 'warn' } });
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

const sign = (raw: string | Buffer, headers: Record<string, string> = { 'Content-Type': 'application/json' }, method = 'POST') =>
  httpsRequest(`${srv.origin}/1.0/sign`, { raw, headers, method, ca: srv.rootPem });

describe('HTTP abuse', () => {
  it('refuses bodies over 64 KiB with 413, declared or not', async () => {
    const big = JSON.stringify({ csr: 'A'.repeat(70 * 1024), ott: 'x' });
    const declared = await sign(big);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ status: 413, code: 'body_too_large' });
    // A chunked body (no Content-Length) that grows past the cap.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: srv.rootPem }, () => {
        s.write('POST /1.0/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = 'A'.repeat(16 * 1024);
        for (let i = 0; i < 8; i++) s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      });
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('close', () => resolve({ status: Number(out.match(/^HTTP\/1\.1 (\d+)/)?.[1] ?? 0), body: out }));
      s.on('error', (e) => (out ? resolve({ status: Number(out.match(/^HTTP\/1\.1 (\d+)/)?.[1] ?? 0), body: out }) : reject(e)));
      setTimeout(() => s.destroy(), 8000);
    });
    expect(chunked.status).toBe(413);
  });

  it('refuses other content types with 415, other methods with 405, and unknown API paths with JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      const r = await sign('{"csr":"x","ott":"y"}', { 'Content-Type': type });
      expect(r.status, type).toBe(415);
      expect(r.json).toMatchObject({ code: 'unsupported_media_type' });
    }
    const noType = await sign('{"csr":"x","ott":"y"}', {});
    expect(noType.status).toBe(415);
    const get = await httpsRequest(`${srv.origin}/1.0/sign`, { ca: srv.rootPem });
    expect(get.status).toBe(405);
    expect(get.json).toMatchObject({ status: 405, code: 'method_not_allowed' });
    const put = await sign('{}', { 'Content-Type': 'application/json' }, 'PUT');
    expect(put.status).toBe(405);
  });

  it('cuts a client that dribbles its headers, and one that dribbles its body', async () => {
    const dribble = (first: string, drip: string) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: srv.rootPem }, () => s.write(first));
        const timer = setInterval(() => s.writable && s.write(drip), 500);
        const done = () => {
          clearInterval(timer);
          resolve(Date.now() - started);
        };
        s.on('close', done);
        s.on('error', () => undefined);
        setTimeout(() => s.destroy(), 20_000);
      });
    const headers = await dribble('POST /1.0/sign HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n');
    expect(headers).toBeLessThan(10_000);
    const body = await dribble('POST /1.0/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"csr":"', 'A');
    expect(body).toBeLessThan(12_000);
    recordFigures('slow-clients', { headersCutAfterMs: headers, bodyCutAfterMs: body });
  });

  it('serves 500 simultaneous TLS connections and keeps working', async () => {
    // A server with the production bounds (the shared one above has 2-second bounds, which
    // 500 handshakes on a busy 2-core machine can exceed). All 500 connect at once and
    // each asks for /health as soon as it is connected.
    const big = await startFedpki({ env: { FEDPKI_LOG_LEVEL: 'warn' } });
    try {
      await manyConnections(big);
    } finally {
      await big.stop();
      big.cleanup();
    }
  });

  async function manyConnections(srv: Fedpki) {
    const answers = await Promise.all(
      Array.from(
        { length: 500 },
        () =>
          new Promise<number>((resolve) => {
            let out = '';
            const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: srv.rootPem }, () =>
              s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'),
            );
            s.on('data', (d) => {
              out += d.toString();
              if (out.includes('\r\n\r\n')) {
                resolve(Number(out.match(/^HTTP\/1\.1 (\d+)/)?.[1] ?? 0));
                s.destroy();
              }
            });
            s.on('error', () => resolve(-1));
            s.on('close', () => resolve(-1));
          }),
      ),
    );
    const ok = answers.filter((a) => a === 200).length;
    recordFigures('connections', { simultaneous: 500, answered: ok });
    expect(ok).toBe(500);
    const health = await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem });
    expect(health.status).toBe(200);
  }

  it('puts no-cache, nosniff, framing and HSTS headers on API answers', async () => {
    const r = await httpsRequest(`${srv.origin}/roots`, { ca: srv.rootPem });
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(r.headers['x-frame-options']).toBe('DENY');
  });
});
