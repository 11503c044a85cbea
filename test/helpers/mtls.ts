/**
 * OpenFL's gRPC transport in miniature: a TLS server that requires a client
 * certificate, trusts a bundle (cert_chain.crt) and reads the client's CN, as the
 * aggregator does before every RPC.
 */

import tls from 'node:tls';

export interface TlsIdentity {
  /** PEM: the leaf, optionally followed by its intermediate. */
  cert: string;
  key: string;
  /** PEM bundle this side trusts. */
  ca: string;
}

export interface HandshakeResult {
  ok: boolean;
  data?: string;
  error?: string;
  /** The CN the server read from the client certificate. */
  cn?: string;
}

/** Serves once as `server`, connects as `client` to `servername`, and reports what happened. */
export async function mtlsHandshake(server: TlsIdentity, client: Partial<TlsIdentity> & { ca: string }, servername: string): Promise<HandshakeResult> {
  let cn: string | undefined;
  const srv = tls.createServer({ cert: server.cert, key: server.key, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
    cn = socket.getPeerCertificate().subject?.CN as string | undefined;
    socket.end('hello');
  });
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const data = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, cert: client.cert, key: client.key, ca: client.ca });
      let buf = '';
      socket.on('data', (d) => (buf += d.toString()));
      socket.on('end', () => resolve(buf));
      socket.on('error', reject);
    });
    // Under TLS 1.3 the server checks the client certificate after the client has
    // finished its handshake: a refusal shows as a connection closed without data.
    return { ok: data === 'hello', data, cn };
  } catch (e) {
    return { ok: false, error: (e as Error).message, cn };
  } finally {
    srv.close();
  }
}
