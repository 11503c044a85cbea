/**
 * A TCP load balancer in miniature, as HAProxy or nginx `stream` run in front of
 * several FedPKI instances: TLS passes through untouched (clients pin the
 * federation's root and may present client certificates), connections go round-robin,
 * and a backend that refuses the connection is skipped for the next one.
 */

import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections forwarded to each backend port. */
  forwarded: Map<number, number>;
  close: () => Promise<void>;
}

export function startTcpProxy(port: number, backends: number[], host = '127.0.0.1'): Promise<TcpProxy> {
  const forwarded = new Map(backends.map((b) => [b, 0]));
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const attempt = (tries: number) => {
      if (tries >= backends.length) return client.destroy();
      const backend = backends[next++ % backends.length]!;
      const upstream = net.connect(backend, host);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        forwarded.set(backend, (forwarded.get(backend) ?? 0) + 1);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) attempt(tries + 1);
        else client.destroy();
      });
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => connected && client.destroy());
    };
    attempt(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve({
        port,
        forwarded,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
