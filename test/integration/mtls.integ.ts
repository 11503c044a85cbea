/**
 * OpenFL's transport in miniature: a TLS server holding an aggregator certificate
 * requires a client certificate, trusts the federation's chain (OpenFL's
 * cert_chain.crt: root then intermediate) and reads the client's CN, as the aggregator
 * does before every RPC. Certificates come from a running FedPKI via `fedpki certify`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/paths';
import { baseEnv, runCli, startFedpki, type Fedpki } from '../helpers/server';

let a: Fedpki;
let b: Fedpki;
let tmp: ReturnType<typeof tempDir>;

function enroll(srv: Fedpki, name: string, extra: string[] = []) {
  const token = srv.mint(name, extra);
  const dir = join(tmp.path, `${srv.port}-${name}`);
  const r = runCli(['certify', '-n', name, '-t', token, '-c', dir], baseEnv(srv.dataDir));
  expect(r.status, r.stderr).toBe(0);
  const chain = readFileSync(join(dir, `${name}.crt`), 'utf8');
  const intermediate = chain.slice(chain.indexOf('-----END CERTIFICATE-----') + 26);
  return {
    cert: chain,
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    root: readFileSync(join(dir, 'root_ca.crt'), 'utf8'),
    certChainBundle: readFileSync(join(dir, 'root_ca.crt'), 'utf8') + intermediate,
  };
}

/** Starts the "aggregator" and returns the CN it saw from the client, or the handshake error. */
async function handshake(server: ReturnType<typeof enroll>, client: ReturnType<typeof enroll>, servername: string) {
  let seenCn: string | undefined;
  const srv = tls.createServer({ cert: server.cert, key: server.key, ca: server.certChainBundle, requestCert: true, rejectUnauthorized: true }, (socket) => {
    seenCn = socket.getPeerCertificate().subject?.CN as string | undefined;
    socket.end('hello');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const data = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, cert: client.cert, key: client.key, ca: client.certChainBundle }, () => undefined);
      let buf = '';
      socket.on('data', (d) => (buf += d.toString()));
      socket.on('end', () => resolve(buf));
      socket.on('error', reject);
    });
    // Under TLS 1.3 the server checks the client certificate after the client has
    // finished its handshake: a refusal shows as a connection closed without data.
    return { ok: data === 'hello', data, cn: seenCn };
  } catch (e) {
    return { ok: false, error: (e as Error).message, cn: seenCn };
  } finally {
    srv.close();
  }
}

beforeAll(async () => {
  tmp = tempDir();
  [a, b] = await Promise.all([startFedpki(), startFedpki()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  a?.cleanup();
  b?.cleanup();
  tmp?.remove();
});

describe('mutual TLS with FedPKI certificates', () => {
  it('an aggregator and a collaborator of one federation complete the handshake; the server reads the CN', async () => {
    const aggregator = enroll(a, 'agg.local', ['--role', 'aggregator']);
    const collaborator = enroll(a, 'collaborator7');
    const r = await handshake(aggregator, collaborator, 'agg.local');
    expect(r).toMatchObject({ ok: true, data: 'hello', cn: 'collaborator7' });
  });

  it('a collaborator certificate from another federation is refused', async () => {
    const aggregator = enroll(a, 'agg.local', ['--role', 'aggregator']);
    const stranger = enroll(b, 'collaborator7');
    // the stranger trusts federation A's chain so that only the server's check can fail
    const r = await handshake(aggregator, { ...stranger, certChainBundle: aggregator.certChainBundle }, 'agg.local');
    expect(r.ok).toBe(false);
    expect(r.cn).toBeUndefined();
  });

  it('a client that trusts only its own federation refuses an aggregator of another', async () => {
    const aggregator = enroll(b, 'agg.local', ['--role', 'aggregator']);
    const collaborator = enroll(a, 'collaborator8');
    const r = await handshake(aggregator, collaborator, 'agg.local');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/certificate/i);
  });
});
