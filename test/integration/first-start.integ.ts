/**
 * The guided first start, on a real terminal: `fedpki run` (what `npm start` runs)
 * asks for the CA password twice and for the first administrator, then serves; without
 * a terminal it refuses clearly rather than inventing a password; a later start asks
 * only for the password, and says so when given a CA URL it no longer applies.
 */

import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@/db/client';
import { verifyPassword } from '@/lib/auth/password';
import { httpsRequest } from '../helpers/https';
import { BIN, ROOT, tempDir } from '../helpers/paths';
import { baseEnv, freePort, runCli, startFedpki } from '../helpers/server';
import { runInTerminal } from '../helpers/terminal';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('first start', () => {
  it('asks for the CA password twice (and again when the two differ), then for the first administrator, then serves', async () => {
    const dataDir = join(tmp.path, 'guided');
    const port = await freePort();
    const env = baseEnv(dataDir, { FEDPKI_CA_URL: `localhost:${port}`, TERM: 'dumb' });
    delete env.FEDPKI_CA_PASSWORD;
    const term = runInTerminal(`${process.execPath} ${BIN} run -p ${dataDir} --api-only`, env, ROOT);
    try {
      await term.expect(/Choose the CA password: /);
      term.type('first try password\r');
      await term.expect(/Repeat it: /);
      term.type('a different one\r');
      await term.expect(/differ/);
      await term.expect(/Choose the CA password: /);
      term.type('short\r');
      await term.expect(/at least 8 characters/);
      await term.expect(/Choose the CA password: /);
      term.type('the real ca password\r');
      await term.expect(/Repeat it: /);
      term.type('the real ca password\r');
      await term.expect(/Admin user name \[admin\]: /);
      term.type('alice\r');
      await term.expect(/Admin password \(at least 12 characters\): /);
      term.type('alice portal password\r');
      await term.expect(/Repeat it: /);
      term.type('alice portal password\r');
      await term.expect(/FedPKI is serving on https:\/\/127\.0\.0\.1:\d+/);
      // No secret was echoed to the terminal.
      expect(term.output()).not.toContain('the real ca password');
      expect(term.output()).not.toContain('alice portal password');
      const health = await httpsRequest(`https://localhost:${port}/health`, { insecure: true });
      expect(health.json).toEqual({ status: 'ok' });
    } finally {
      term.kill();
      await term.exited;
    }
    const db = openDatabase({ file: join(dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
    const user = db.$client.prepare('select username, role, password_hash from users').get() as { username: string; role: string; password_hash: string };
    db.$client.close();
    expect(user).toMatchObject({ username: 'alice', role: 'admin' });
    expect(user.password_hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('alice portal password', user.password_hash)).toBe(true);

    // A later start asks only for the CA password, and refuses a wrong one.
    const again = runInTerminal(`${process.execPath} ${BIN} run -p ${dataDir} --api-only`, baseEnv(dataDir, { TERM: 'dumb' }), ROOT);
    try {
      await again.expect(/CA password: /);
      again.type('not the password\r');
      await again.expect(/CA password is wrong/);
      expect(await again.exited).toBe(2);
    } finally {
      again.kill();
    }
  });

  it('without a terminal and without a password source, refuses and creates nothing', () => {
    const dataDir = join(tmp.path, 'headless');
    const env = baseEnv(dataDir, { FEDPKI_CA_URL: 'localhost:1' });
    const r = runCli(['run', '-p', dataDir, '--api-only'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/No CA password: give --password-file FILE or set FEDPKI_CA_PASSWORD/);
    const federations = existsSync(join(dataDir, 'fedpki.db'))
      ? (() => {
          const db = openDatabase({ file: join(dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
          const n = (db.$client.prepare('select count(*) n from federations').get() as { n: number }).n;
          db.$client.close();
          return n;
        })()
      : 0;
    expect(federations).toBe(0);
  });

  it('refuses a CA password shorter than 8 characters from a file', () => {
    const dataDir = join(tmp.path, 'shortpw');
    const r = runCli(['install', '-p', dataDir, '--ca-url', 'localhost:1'], { ...baseEnv(dataDir), FEDPKI_CA_PASSWORD: 'short' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('fedpki: The CA password (from FEDPKI_CA_PASSWORD) needs at least 8 characters.\n');
    const file = join(tmp.path, 'shortpw-file');
    writeFileSync(file, 'short\n');
    const fromFile = runCli(['install', '-p', dataDir, '--ca-url', 'localhost:1', '--password-file', file], baseEnv(dataDir));
    expect(fromFile.stderr).toBe(`fedpki: The CA password (from ${file}) needs at least 8 characters.\n`);
    // Two sources at once are refused rather than one silently taken.
    const both = runCli(['install', '-p', dataDir, '--ca-url', 'localhost:1'], { ...baseEnv(dataDir), FEDPKI_CA_PASSWORD: 'long enough password', FEDPKI_CA_PASSWORD_FILE: file });
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('fedpki: Both FEDPKI_CA_PASSWORD and FEDPKI_CA_PASSWORD_FILE are set: set one.\n');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says on a later start that a different CA URL is ignored, and keeps serving on the first one', async () => {
    const dataDir = join(tmp.path, 'ca-url-later');
    const first = await startFedpki({ dataDir });
    await first.stop();
    const same = await startFedpki({ dataDir, port: first.port });
    await same.stop();
    expect(same.logs()).not.toMatch(/is read on the first start only/);

    const moved = await startFedpki({ dataDir, port: first.port, caUrl: `ca.elsewhere.test:${first.port + 1}` });
    try {
      expect(moved.logs()).toContain(
        `warn  FEDPKI_CA_URL is read on the first start only and is ignored: federation "default" keeps its CA URL caUrl=localhost:${first.port} given=ca.elsewhere.test:${first.port + 1}`,
      );
      expect((await httpsRequest(`${moved.origin}/health`, { ca: moved.rootPem })).status).toBe(200);
    } finally {
      await moved.stop();
    }
  });

  it('makes its data folder 0700 and its database 0600, and warns on a later start when either is open to other users', async () => {
    const dataDir = join(tmp.path, 'modes');
    const first = await startFedpki({ dataDir });
    await first.stop();
    const db = join(dataDir, 'fedpki.db');
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(first.logs()).not.toMatch(/open to other users|readable by other users/);

    chmodSync(dataDir, 0o755);
    chmodSync(db, 0o644);
    const open = await startFedpki({ dataDir, port: first.port });
    try {
      expect(open.logs()).toContain(`warn  the data folder is open to other users (mode 0755): \`chmod 700\` it folder=${dataDir}`);
      expect(open.logs()).toContain(`warn  a database file is readable by other users (mode 0644): \`chmod 600\` it file=${db}`);
      // A warning, not a refusal: the CA still serves.
      expect((await httpsRequest(`${open.origin}/health`, { ca: open.rootPem })).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('warns about a data folder the operator made open before the first start', async () => {
    const dataDir = join(tmp.path, 'made-open');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const s = await startFedpki({ dataDir });
    try {
      expect(s.logs()).toContain(`the data folder is open to other users (mode 0755)`);
      expect(statSync(join(dataDir, 'fedpki.db')).mode & 0o777).toBe(0o600);
    } finally {
      await s.stop();
    }
  });
});
