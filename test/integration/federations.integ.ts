/**
 * Several federations on one FedPKI: each has its own root, and the HTTPS certificate
 * at its CA URL chains to that root — on its own port, or on a shared port told apart
 * by SNI. Federations created or disabled from the CLI take effect on the running
 * server within seconds.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/https';
import { openssl } from '../helpers/openssl';
import { tempDir } from '../helpers/paths';
import { baseEnv, freePort, holdPort, runCli, startFedpki, type Fedpki } from '../helpers/server';

let srv: Fedpki;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  srv = await startFedpki();
  tmp = tempDir();
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
});

const cli = (args: string[]) => srv.cli([...args, '-p', srv.dataDir, '--password-file', srv.passwordFile]);

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (ok(v)) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The certificate chain a listener presents for a server name (or none). */
function presentedChain(port: number, servername?: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const chain: string[] = [];
      let c = s.getPeerCertificate(true);
      const seen = new Set<string>();
      while (c && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(c.subject.CN as string);
        c = c.issuerCertificate;
      }
      s.end();
      resolve(chain);
    });
    s.on('error', reject);
  });
}

describe('federations', () => {
  it('a federation created from the CLI gets its own listener whose TLS chains to its own root', async () => {
    const port = await freePort();
    const created = cli(['federation', 'create', '--id', 'study-b', '--name', 'Study B', '--ca-url', `localhost:${port}`]);
    expect(created.status, created.stderr).toBe(0);
    const rootB = await eventually(
      () => httpsRequest(`https://localhost:${port}/roots`, { insecure: true }),
      (r) => r.status === 201,
    ).then((r) => (r.json as { crts: string[] }).crts[0]!);
    expect(rootB).not.toBe(srv.rootPem);
    // pinned to B's root the connection verifies; pinned to the default root it does not
    expect((await httpsRequest(`https://localhost:${port}/health`, { ca: rootB })).status).toBe(200);
    await expect(httpsRequest(`https://localhost:${port}/health`, { ca: srv.rootPem })).rejects.toThrow(/certificate/);

    const minted = cli(['get-token', '-n', 'col-b', '--federation', 'study-b']);
    expect(minted.status, minted.stderr).toBe(0);
    const dir = join(tmp.path, 'b');
    const enrolled = runCli(['certify', '-n', 'col-b', '-t', minted.stdout.trim(), '-c', dir], baseEnv(srv.dataDir));
    expect(enrolled.status, enrolled.stderr).toBe(0);
    const crt = join(dir, 'col-b.crt');
    expect(readFileSync(join(dir, 'root_ca.crt'), 'utf8')).toBe(rootB);
    expect(openssl(['verify', '-CAfile', join(dir, 'root_ca.crt'), '-untrusted', crt, crt]).stdout).toContain(': OK');
    const otherRoot = join(tmp.path, 'default-root.pem');
    writeFileSync(otherRoot, srv.rootPem);
    expect(openssl(['verify', '-CAfile', otherRoot, '-untrusted', crt, crt]).status).not.toBe(0);
    // Renewing at another federation's address: it answers, and the CLI says it is the
    // wrong CA rather than that none could be reached.
    const wrong = runCli(['renew', '-c', crt, '-k', join(dir, 'col-b.key'), '--ca-url', `localhost:${srv.port}`], baseEnv(srv.dataDir));
    expect(wrong.status, wrong.stderr).toBe(1);
    expect(wrong.stderr).toContain(`fedpki: The server at https://localhost:${srv.port} answered, but it is not this federation's CA: its TLS certificate does not chain to the federation's root (`);
    expect(wrong.stderr).not.toContain('Cannot reach');
  });

  it('a federation created from the CLI takes FEDPKI_PUBLIC_URL as its public URL unless given one, as in the portal', () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const args = (id: string) => ['federation', 'create', '--id', id, '--ca-url', `pub-${id}.fedpki.test:${port}`, '-p', srv.dataDir, '--password-file', srv.passwordFile];
    const publicUrlOf = (id: string) => srv.cli(['federation', 'update', id, '--renew-after-expiry', 'off', '-p', srv.dataDir, '--password-file', srv.passwordFile]).stderr;
    const fromEnv = srv.cli(args('pub-env'), { env: { FEDPKI_PUBLIC_URL: 'http://crl.fedpki.test:8080/' } });
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(publicUrlOf('pub-env')).toContain('public URL http://crl.fedpki.test:8080,');
    const given = srv.cli([...args('pub-flag'), '--public-url', 'http://other.fedpki.test'], { env: { FEDPKI_PUBLIC_URL: 'http://crl.fedpki.test:8080' } });
    expect(given.status, given.stderr).toBe(0);
    expect(publicUrlOf('pub-flag')).toContain('public URL http://other.fedpki.test,');
    const none = srv.cli(args('pub-none'));
    expect(none.status, none.stderr).toBe(0);
    expect(publicUrlOf('pub-none')).toContain('public URL (none),');
    for (const id of ['pub-env', 'pub-flag', 'pub-none']) expect(srv.cli(['federation', 'disable', id, '-p', srv.dataDir, '--password-file', srv.passwordFile]).status).toBe(0);
  });

  it('federations sharing a port are told apart by SNI; clients without SNI get the oldest', async () => {
    const created = cli(['federation', 'create', '--id', 'study-c', '--name', 'Study C', '--ca-url', `c.fedpki.test:${srv.port}`]);
    expect(created.status, created.stderr).toBe(0);
    const chainC = await eventually(
      () => presentedChain(srv.port, 'c.fedpki.test'),
      (c) => c[1] === 'Study C Intermediate CA',
    );
    expect(chainC).toEqual(['Study C FedPKI', 'Study C Intermediate CA']);
    expect(await presentedChain(srv.port, 'localhost')).toEqual(['FedPKI FedPKI', 'FedPKI Intermediate CA']);
    expect(await presentedChain(srv.port)).toEqual(['FedPKI FedPKI', 'FedPKI Intermediate CA']);
  });

  it('a federation disabled from the CLI stops issuing; enabled again, it issues', async () => {
    const minted = cli(['get-token', '-n', 'col-d', '--federation', 'study-b']);
    expect(minted.status).toBe(0);
    expect(cli(['federation', 'disable', 'study-b']).status).toBe(0);
    expect(cli(['federation', 'list']).stdout).toMatch(/^study-b\tdisabled\t/m);
    const dir = join(tmp.path, 'd');
    const refused = runCli(['certify', '-n', 'col-d', '-t', minted.stdout.trim(), '-c', dir], baseEnv(srv.dataDir));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/federation "Study B" has been disabled/);
    expect(cli(['federation', 'enable', 'study-b']).status).toBe(0);
    const accepted = await eventually(
      async () => runCli(['certify', '-n', 'col-d', '-t', minted.stdout.trim(), '-c', dir], baseEnv(srv.dataDir)),
      (r) => r.status === 0,
    );
    expect(accepted.stderr).toMatch(/Certificate [0-9a-f]+ valid until/);
  });

  it('refuses to create a federation on a port another program holds, and creates nothing', async () => {
    const port = await freePort();
    const other = await holdPort(port);
    try {
      const r = cli(['federation', 'create', '--id', 'study-busy', '--ca-url', `localhost:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`fedpki: Port ${port} cannot be opened on 127.0.0.1: something else is listening there. Choose another port for --ca-url.\n`);
      expect(cli(['federation', 'list']).stdout).not.toMatch(/study-busy/);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    // A port a federation already has (shared, by host name) is FedPKI's own, not busy.
    const shared = cli(['federation', 'create', '--id', 'study-shared', '--ca-url', `shared.fedpki.test:${srv.port}`]);
    expect(shared.status, shared.stderr).toBe(0);
  });

  it('a port taken while the server was stopped keeps only that federation down, says so once, and opens when freed', async () => {
    const dataDir = join(tmp.path, 'taken');
    const first = await startFedpki({ dataDir });
    const port = await freePort();
    const own = (args: string[]) => first.cli([...args, '-p', dataDir, '--password-file', first.passwordFile]);
    expect(own(['federation', 'create', '--id', 'later-busy', '--ca-url', `localhost:${port}`]).status).toBe(0);
    await first.stop();
    const other = await holdPort(port);
    let again: Fedpki | undefined;
    try {
      again = await startFedpki({ dataDir, port: first.port });
      // The other federations serve; the one whose port is held is named in one error line.
      expect((await httpsRequest(`${again.origin}/health`, { ca: again.rootPem })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 6_000));
      const lines = again.logs().split('\n').filter((l) => l.includes("a federation's port could not be opened"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\S+ error a federation's port could not be opened; its nodes cannot reach it until it can \(tried again every 5 s\) federations=later-busy error="Cannot listen on 127\.0\.0\.1:\d+ .*something else is listening there\."$/);
      await new Promise((resolve) => other.close(resolve));
      const roots = await eventually(
        () => httpsRequest(`https://localhost:${port}/roots`, { insecure: true }),
        (r) => r.status === 201,
      );
      expect((roots.json as { crts: string[] }).crts[0]).not.toBe(again.rootPem);
    } finally {
      if (other.listening) await new Promise((resolve) => other.close(resolve));
      await again?.stop();
      first.cleanup();
    }
  }, 60_000);
});
