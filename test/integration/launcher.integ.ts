/**
 * bin/fedpki, the command as `npm start` and an installed fedpki run it: a shell
 * launcher that execs node on bin/fedpki.mjs with TCMalloc preloaded when the system has
 * it (README, "Performance"). Read from the running server's /proc entry:
 *   - the server is node itself (exec, no shell left in between), on TCMalloc, and
 *     issues a certificate openssl accepts; CI installs libtcmalloc-minimal4, so there
 *     the library must be found, not skipped;
 *   - FEDPKI_MALLOC=system keeps glibc's allocator, any value but system or tcmalloc
 *     is refused before node starts;
 *   - an LD_PRELOAD that already names the library is left as it is, one that names
 *     something else keeps it after the library;
 *   - under npm it runs on npm's node (npm_node_execpath), not the first on PATH;
 *   - FEDPKI_NODE_ARGS reaches node;
 *   - package.json's bin and start script go through the launcher.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unwrapToken } from '@/lib/ca/token';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { opensslVerify } from '../helpers/openssl';
import { LAUNCHER, ROOT, tempDir } from '../helpers/paths';
import { runCli, startFedpki, type Fedpki } from '../helpers/server';

const TCMALLOC = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].map((d) => join(d, 'libtcmalloc_minimal.so.4')).find((f) => existsSync(f));

const proc = (pid: number) => ({
  maps: readFileSync(`/proc/${pid}/maps`, 'utf8'),
  cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'),
  env: Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
});

describe('bin/fedpki', () => {
  let srv: Fedpki | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv?.cleanup();
    srv = undefined;
  });

  it('finds TCMalloc where CI installs it', () => {
    if (process.env.CI) expect(TCMALLOC, 'apt-get install libtcmalloc-minimal4').toBeDefined();
  });

  it.skipIf(!TCMALLOC)('runs the server as node itself on TCMalloc, and it issues certificates', async () => {
    srv = await startFedpki();
    const p = proc(srv.child.pid!);
    expect(p.cmdline[0]).toMatch(/node$/);
    expect(p.cmdline).toContain(join(ROOT, 'bin', 'fedpki.mjs'));
    expect(p.maps).toContain('libtcmalloc_minimal.so');
    expect(p.env.LD_PRELOAD).toBe(TCMALLOC);

    const minted = runCli(['get-token', '-n', 'tc-node', '-p', srv.dataDir, '--password-file', srv.passwordFile], srv.env);
    expect(minted.status, minted.stderr).toBe(0);
    const r = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: (await makeCsr('tc-node')).pem, ott: unwrapToken(minted.stdout).jwt }, ca: srv.rootPem });
    expect(r.status, r.text).toBe(201);
    const { crt, ca } = r.json as { crt: string; ca: string };
    const tmp = tempDir();
    try {
      expect(opensslVerify(tmp.path, srv.rootPem, ca, crt).ok).toBe(true);
    } finally {
      tmp.remove();
    }
  });

  it('keeps glibc’s allocator with FEDPKI_MALLOC=system', async () => {
    srv = await startFedpki({ env: { FEDPKI_MALLOC: 'system' } });
    const p = proc(srv.child.pid!);
    expect(p.maps).not.toMatch(/libtcmalloc/);
    expect(p.env.LD_PRELOAD).toBeUndefined();
    expect((await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem })).status).toBe(200);
  });

  it('refuses a FEDPKI_MALLOC it does not know, before starting anything, and takes the known ones in any case', () => {
    const launch = (value: string) => spawnSync('sh', [LAUNCHER, '--help'], { env: { ...process.env, FEDPKI_MALLOC: value }, encoding: 'utf8', timeout: 60_000 });
    const r = launch('jemalloc');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('fedpki: FEDPKI_MALLOC must be tcmalloc or system, not "jemalloc"\n');
    expect(r.stdout).toBe('');
    for (const value of ['SYSTEM', 'TCMalloc']) {
      const ok = launch(value);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('USAGE');
    }
  });

  it.skipIf(!TCMALLOC)('leaves an LD_PRELOAD that names the library as it is, and keeps another one after it', async () => {
    srv = await startFedpki({ env: { LD_PRELOAD: TCMALLOC! } });
    expect(proc(srv.child.pid!).env.LD_PRELOAD).toBe(TCMALLOC);
    await srv.stop();
    srv.cleanup();
    // libm is in every node process already: preloading it changes nothing but the variable.
    const other = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64'].map((d) => join(d, 'libm.so.6')).find((f) => existsSync(f))!;
    srv = await startFedpki({ env: { LD_PRELOAD: other } });
    expect(proc(srv.child.pid!).env.LD_PRELOAD).toBe(`${TCMALLOC}:${other}`);
  });

  it('runs on the node npm runs on under npm, not on the first node on PATH', async () => {
    const fake = tempDir();
    try {
      const impostor = join(fake.path, 'node');
      writeFileSync(impostor, '#!/bin/sh\necho "not this node" >&2\nexit 97\n', { mode: 0o755 });
      srv = await startFedpki({ env: { PATH: `${fake.path}:${process.env.PATH}`, npm_node_execpath: process.execPath } });
      expect(proc(srv.child.pid!).cmdline[0]).toBe(process.execPath);
    } finally {
      fake.remove();
    }
  });

  it('passes FEDPKI_NODE_ARGS to node', async () => {
    srv = await startFedpki({ env: { FEDPKI_NODE_ARGS: '--max-semi-space-size=8 --max-old-space-size=1024' } });
    const { cmdline } = proc(srv.child.pid!);
    expect(cmdline.slice(1, 3)).toEqual(['--max-semi-space-size=8', '--max-old-space-size=1024']);
  });

  it('is the package’s command and what npm start runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(join(ROOT, pkg.bin.fedpki!)).toBe(LAUNCHER);
    expect(pkg.scripts.start).toBe('sh bin/fedpki run');
    expect(statSync(LAUNCHER).mode & 0o111).toBe(0o111);
  });
});
