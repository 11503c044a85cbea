import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDelivered } from './listeners';

/**
 * Shutdown must not cut an answer that was written but not yet flushed: the token
 * behind it is spent. A large answer to a client that is not reading stays queued on
 * the server, with the response ended.
 */
describe('closeDelivered', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('leaves a connection whose ended answer is still queued, and closes it once delivered', async () => {
    const BODY = 64 * 1024 * 1024;
    const sockets = new Set<net.Socket>();
    let ended!: () => void;
    const endedP = new Promise<void>((r) => (ended = r));
    let finished!: () => void;
    const finishedP = new Promise<void>((r) => (finished = r));
    server = http.createServer((_req, res) => {
      res.once('finish', finished);
      res.writeHead(200, { 'Content-Length': BODY });
      res.end(Buffer.alloc(BODY, 1));
      ended();
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;

    const client = net.connect(port, '127.0.0.1');
    client.pause(); // not reading: the answer backs up on the server
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    await endedP;
    await new Promise((r) => setTimeout(r, 50));

    const [serverSide] = [...sockets];
    expect(serverSide!.writableLength + ((serverSide as unknown as { _httpMessage?: unknown })._httpMessage ? 1 : 0)).toBeGreaterThan(0);
    closeDelivered(sockets);
    expect(serverSide!.destroyed).toBe(false);

    let received = 0;
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.on('data', (d: Buffer) => (received += d.length));
    client.resume();
    await finishedP;
    closeDelivered(sockets);
    await closed;
    expect(serverSide!.destroyed).toBe(true);
    // The whole answer arrived (headers, then every byte of the body).
    expect(received).toBeGreaterThan(BODY);
  });

  it('closes a connection between requests, and one whose request has not fully arrived', async () => {
    const sockets = new Set<net.Socket>();
    server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const idle = net.connect(port, '127.0.0.1');
    const partial = net.connect(port, '127.0.0.1');
    await Promise.all([idle, partial].map((c) => new Promise((r) => c.once('connect', r))));
    partial.write('POST / HTTP/1.1\r\nHost: t\r\nContent-Le'); // headers cut short: nothing acted on yet
    await new Promise((r) => setTimeout(r, 50));
    const closes = [idle, partial].map((c) => new Promise<void>((r) => c.resume().once('close', () => r())));
    closeDelivered(sockets);
    expect([...sockets].map((s) => s.destroyed)).toEqual([true, true]);
    await Promise.all(closes);
  });
});
