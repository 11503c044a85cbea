/**
 * The fedpki verbs' edges: what they refuse and how they say it (one line on stderr,
 * a non-zero exit), on a real data folder.
 */

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/paths';
import { httpsRequest } from '../helpers/https';
import { BIN, ROOT } from '../helpers/paths';
import { baseEnv, runCli, startFedpki, TEST_ADMIN_PASSWORD, TEST_PASSWORD } from '../helpers/server';

const tmp = tempDir();
const dataDir = join(tmp.path, 'data');
const pw = join(tmp.path, 'pw');
const env = baseEnv(dataDir);
const cli = (args: string[]) => runCli(args, env);

beforeAll(() => {
  writeFileSync(pw, `${TEST_PASSWORD}\n`);
  const r = cli(['install', '-p', dataDir, '--ca-url', 'localhost:19999', '--password-file', pw]);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => tmp.remove());

describe('fedpki', () => {
  it('refuses an option the command does not have (naming the one meant), a missing argument and an unknown command: one line, exit 2', () => {
    const typo = cli(['get-token', '-n', 'agg-typo', '--role', 'aggregator', '--sans', '10.0.0.5', '-p', dataDir, '--password-file', pw]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toBe('fedpki: get-token has no option --sans (did you mean --san?). See fedpki get-token --help\n');
    expect(typo.stdout).toBe('');
    const bogus = cli(['run', '-p', join(tmp.path, 'never-made-2'), '--bogus-flag']);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toBe('fedpki: run has no option --bogus-flag. See fedpki run --help\n');
    expect(existsSync(join(tmp.path, 'never-made-2'))).toBe(false);
    const nested = cli(['federation', 'update', 'default', '--public-ur', 'http://x', '-p', dataDir]);
    expect(nested.stderr).toBe('fedpki: federation update has no option --public-ur (did you mean --public-url?). See fedpki federation update --help\n');

    const missing = cli(['certify', '-n', 'x']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('fedpki: Missing required argument: --token. See fedpki certify --help\n');
    const positional = cli(['revoke', '-p', dataDir]);
    expect(positional.status).toBe(2);
    expect(positional.stderr).toBe('fedpki: Missing required positional argument: SERIAL. See fedpki revoke --help\n');
    const unknown = cli(['bogusverb']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('fedpki: Unknown command bogusverb. See fedpki --help\n');
    // A word that is no command of a group is named, not the options after it.
    const sub = cli(['user', 'list', '-p', dataDir]);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toBe('fedpki: user has no command list (its commands: add). See fedpki user --help\n');
    // Help is still help: exit 0, on stdout.
    const help = cli(['get-token', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--san');
    expect(help.stdout).not.toContain('\x1b['); // no colour codes into a pipe
  });

  it('stops quietly when the reader of its output goes away (fedpki federation list | head)', async () => {
    const child = spawn(process.execPath, [BIN, 'federation', 'list', '-p', dataDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first line
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('install refuses a folder that already holds a CA', () => {
    const r = cli(['install', '-p', dataDir, '--password-file', pw]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fedpki: .* already holds a FedPKI CA\.\n$/);
  });

  it('run refuses bad signing settings before it touches anything, naming each variable', () => {
    const fresh = join(tmp.path, 'never-made');
    const r = runCli(['run', '-p', fresh, '--api-only', '--password-file', pw], { ...baseEnv(fresh), FEDPKI_SIGNING_THREADS: 'many', FEDPKI_SIGNING_QUEUE: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^fedpki: Invalid environment: [^\n]*\n$/);
    expect(r.stderr).toMatch(/FEDPKI_SIGNING_THREADS: .*expected number/);
    expect(r.stderr).toMatch(/FEDPKI_SIGNING_QUEUE: .*>=1/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('get-token refuses options that cannot both apply, instead of picking one', () => {
    const both = cli(['get-token', '-n', 'x', '--ca-url', 'localhost:19999', '--federation', 'default', '-p', dataDir, '--password-file', pw]);
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('fedpki: Choose the federation with --ca-url or with --federation, not both.\n');
    const revoke = cli(['get-token', '-n', 'x', '--revoke', '1234', '-p', dataDir, '--password-file', pw]);
    expect(revoke.status).toBe(2);
    expect(revoke.stderr).toBe('fedpki: --revoke makes a revoke token for that certificate; it takes no -n.\n');
  });

  it('get-token names what is wrong: an unknown federation, a bad duration, a bad role', () => {
    const unknown = cli(['get-token', '-n', 'x', '--federation', 'nope', '-p', dataDir, '--password-file', pw]);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toMatch(/No federation "nope"; there are: default/);
    const ttl = cli(['get-token', '-n', 'x', '--ttl', 'soon', '-p', dataDir, '--password-file', pw]);
    expect(ttl.status).toBe(2);
    expect(ttl.stderr).toMatch(/--ttl takes a duration such as 30m, 24h or 7d/);
    const tooLong = cli(['get-token', '-n', 'x', '--ttl', '30d', '-p', dataDir, '--password-file', pw]);
    expect(tooLong.status).toBe(2);
    expect(tooLong.stderr).toMatch(/between 5 minutes and 7 days/);
    const role = cli(['get-token', '-n', 'x', '--role', 'king', '-p', dataDir, '--password-file', pw]);
    expect(role.status).toBe(2);
    const name = cli(['get-token', '-n', '../etc/passwd', '-p', dataDir, '--password-file', pw]);
    expect(name.status).toBe(2);
    expect(name.stderr).toMatch(/may use letters, digits, dots, hyphens and underscores/);
    expect(cli(['get-token', '-n', 'x', '-p', join(tmp.path, 'nowhere'), '--password-file', pw]).status).toBe(3);
  });

  it('certify refuses a token for another name, as step does, and a damaged token', () => {
    const minted = cli(['get-token', '-n', 'alice', '-p', dataDir, '--password-file', pw]);
    expect(minted.status).toBe(0);
    const token = minted.stdout.trim();
    const other = cli(['certify', '-n', 'bob', '-t', token, '-c', join(tmp.path, 'c')]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/token subject 'alice' and argument 'bob' do not match/);
    const cut = cli(['certify', '-n', 'alice', '-t', token.slice(0, 200), '-c', join(tmp.path, 'c')]);
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/^fedpki: This is not a whole enrollment token/);
    const damaged = cli(['certify', '-n', 'alice', '-t', token.slice(0, -120), '-c', join(tmp.path, 'c')]);
    expect(damaged.status).toBe(2);
    expect(damaged.stderr).toMatch(/^fedpki: The token is malformed/);
    // The CA is not running: a clear line, not a stack trace.
    const down = cli(['certify', '-n', 'alice', '-t', token, '-c', join(tmp.path, 'c')]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/Cannot reach the CA at https:\/\/localhost:19999/);
    expect(down.stderr.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('run refuses a bad --log-level or --http-port before starting, as the variables would be refused', () => {
    const level = cli(['run', '-p', dataDir, '--password-file', pw, '--log-level', 'verbose']);
    expect(level.status).toBe(2);
    expect(level.stderr).toMatch(/^fedpki: --log-level "verbose" is refused: .*"debug"\|"info"\|"warn"\|"error"/);
    for (const port of ['abc', '0', '70000']) {
      const r = cli(['run', '-p', dataDir, '--password-file', pw, '--http-port', port]);
      expect(r.status, port).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^fedpki: --http-port "${port}" is refused: `));
    }
  });

  it('a port already taken stops the start with a line naming it, and the process exits instead of serving on the ports it did open', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = cli(['run', '-p', dataDir, '--api-only', '--password-file', pw, '--http-port', String(port)]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`fedpki: Cannot listen on 127\\.0\\.0\\.1:${port} \\(FEDPKI_HTTP_PORT\\): something else is listening there\\.`));
      // Moved there by a port offset: the line names the offset, not only the CA URL.
      const moved = runCli(['run', '-p', dataDir, '--api-only', '--password-file', pw], { ...env, FEDPKI_LISTEN_PORT_OFFSET: String(port - 19999) });
      expect(moved.status, moved.stderr).toBe(1);
      expect(moved.stderr).toContain(`:${port} (FEDPKI_HOST, and the CA URL port 19999 plus FEDPKI_LISTEN_PORT_OFFSET ${port - 19999}): something else is listening there.`);
      // Its only federation's port: no promise of a retry the exiting process will not make.
      expect(moved.stderr).not.toContain('tried again every');
    } finally {
      blocker.close();
    }
    // The HTTP port on a federation's own HTTPS port: said so, not "something else".
    const own = cli(['run', '-p', dataDir, '--api-only', '--password-file', pw, '--http-port', '19999']);
    expect(own.status, own.stderr).toBe(2);
    expect(own.stderr).toContain(`fedpki: Cannot listen on 127.0.0.1:19999 (FEDPKI_HTTP_PORT): a federation's HTTPS listener is on that port; choose another.`);
    // A port offset that leaves the port range is named as such, not as Node's RangeError.
    const offset = runCli(['run', '-p', dataDir, '--api-only', '--password-file', pw], { ...env, FEDPKI_LISTEN_PORT_OFFSET: '60000' });
    expect(offset.status, offset.stderr).toBe(2);
    expect(offset.stderr).toMatch(/^fedpki: Cannot listen on port 79999: the CA URL port 19999 plus FEDPKI_LISTEN_PORT_OFFSET \(60000\) is not a port\.$/m);
  });

  it('migrate and federation list work on the folder', () => {
    expect(cli(['migrate', '-p', dataDir]).stderr).toMatch(/is up to date/);
    expect(cli(['federation', 'list', '-p', dataDir]).stdout).toMatch(/^default\tactive\tlocalhost:19999\tEC-P256\t[0-9A-F]{2}(:[0-9A-F]{2}){31}\tFedPKI\n$/);
  });

  it('a first start that is refused (a short admin password, a bad CA URL, no CA password) creates nothing, so the next try is a first start', () => {
    const folder = join(tmp.path, 'refused');
    const admin = { FEDPKI_ADMIN_USERNAME: 'alice', FEDPKI_ADMIN_PASSWORD: 'short' };
    const short = runCli(['install', '-p', folder, '--password-file', pw], { ...baseEnv(folder), ...admin });
    expect(short.status, short.stderr).toBe(2);
    expect(short.stderr).toMatch(/^fedpki: The first administrator's password: Use at least 12 characters\.\n$/);
    const url = runCli(['install', '-p', folder, '--ca-url', 'bad url', '--password-file', pw], baseEnv(folder));
    expect(url.status, url.stderr).toBe(2);
    expect(url.stderr).toMatch(/The CA URL is host:port/);
    const noPassword = runCli(['run', '-p', folder, '--api-only'], baseEnv(folder), '');
    expect(noPassword.status, noPassword.stderr).toBe(2);
    expect(existsSync(join(folder, 'fedpki.db'))).toBe(false);
    const ok = runCli(['install', '-p', folder, '--password-file', pw], { ...baseEnv(folder), FEDPKI_ADMIN_USERNAME: 'alice', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    expect(ok.status, ok.stderr).toBe(0);
    expect(runCli(['federation', 'list', '-p', folder], baseEnv(folder)).stdout).toMatch(/^default\tactive\t/);
  });

  it('refuses a DATABASE_URL that is neither PostgreSQL nor a file, and migrate creates no database at a mistyped path', () => {
    const before = readdirSync(ROOT);
    for (const url of ['mysql://db.example/fedpki', 'postgre://db.example/fedpki']) {
      const r = runCli(['install', '--password-file', pw], { ...baseEnv(join(tmp.path, 'unused')), DATABASE_URL: url });
      expect(r.status, url).not.toBe(0);
      expect(r.stderr).toMatch(/DATABASE_URL: use postgres:\/\/… \(or postgresql:\/\/…\) for PostgreSQL, or a file path for SQLite/);
      expect(r.stderr).not.toContain('db.example');
    }
    expect(readdirSync(ROOT)).toEqual(before);
    const typo = join(tmp.path, 'nodata');
    const m = cli(['migrate', '-p', typo]);
    expect(m.status).toBe(3);
    expect(m.stderr).toMatch(/No FedPKI database at .*nodata\/fedpki\.db/);
    expect(existsSync(typo)).toBe(false);
  });

  it('with DATABASE_URL naming a file, install says where the CA is and how to start it; -p over it says it is ignored', () => {
    const file = join(tmp.path, 'elsewhere', 'ca.db');
    const withUrl = { ...baseEnv(join(tmp.path, 'unused-data')), DATABASE_URL: file };
    const made = runCli(['install', '--ca-url', 'localhost:19996', '--password-file', pw], withUrl);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stderr).toContain(`FedPKI CA created in ${file} (DATABASE_URL) for https://localhost:19996\nStart it with: fedpki run (with DATABASE_URL set as now)\n`);
    expect(existsSync(file)).toBe(true);
    const listed = runCli(['federation', 'list', '--password-file', pw], withUrl);
    expect(listed.status, listed.stderr).toBe(0);
    // -p wins (flags win), and says so: this folder has no CA, and the hint names it.
    const other = join(tmp.path, 'other-data');
    const overridden = runCli(['federation', 'list', '-p', other, '--password-file', pw], withUrl);
    expect(overridden.status).toBe(3);
    expect(overridden.stderr).toBe(`fedpki: DATABASE_URL (${file}) is ignored: -p names the data folder, and its fedpki.db.\nfedpki: No FedPKI CA in ${other}: create one with \`fedpki install -p ${other}\`.\n`);
  });

  it('certify checks its output folder before it spends the token: a file in the way is one line, exit 2, and the token still works', async () => {
    const srv = await startFedpki();
    try {
      const inTheWay = join(tmp.path, 'in-the-way');
      writeFileSync(inTheWay, 'a file, not a folder\n');
      const token = srv.mint('node8');
      const refused = runCli(['certify', '-n', 'node8', '-t', token, '-c', inTheWay], srv.env);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`fedpki: Cannot write to ${inTheWay}: a file is in the way of a folder. Nothing was sent to the CA.`);
      expect(refused.stderr).not.toMatch(/EEXIST|ENOTDIR|\n\s+at /);
      const certs = join(tmp.path, 'node8-certs');
      const r = runCli(['certify', '-n', 'node8', '-t', token, '-c', certs], srv.env);
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(certs).sort()).toEqual(['node8.crt', 'node8.key', 'root_ca.crt']);
      // renew checks where it will write the same way, before it asks the CA.
      const out = join(inTheWay, 'node8.crt');
      const renew = runCli(['renew', '-c', join(certs, 'node8.crt'), '-k', join(certs, 'node8.key'), '--ca-url', srv.caUrl, '--out', out], srv.env);
      expect(renew.status).toBe(2);
      expect(renew.stderr).toBe(`fedpki: Cannot write to ${inTheWay}: a file is in the way of a folder. Nothing was sent to the CA.\n`);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });

  it('names a missing file or a data folder that is a file in one line: exit 3 for not found, 2 for a misuse', () => {
    const missing = join(tmp.path, 'no-such.crt');
    const renew = cli(['renew', '-c', missing, '-k', join(tmp.path, 'no-such.key'), '--ca-url', 'localhost:19999']);
    expect(renew.status).toBe(3);
    expect(renew.stderr).toBe(`fedpki: No such file or folder: ${missing}.\n`);
    const input = join(tmp.path, 'no-such.jsonl');
    const imported = cli(['import', '-p', join(tmp.path, 'import-here'), '-i', input]);
    expect(imported.status).toBe(3);
    expect(imported.stderr).toContain(`fedpki: No such file or folder: ${input}.`);
    const aFile = join(tmp.path, 'data-is-a-file');
    writeFileSync(aFile, 'x\n');
    const install = cli(['install', '-p', aFile, '--ca-url', 'localhost:19998', '--password-file', pw]);
    expect(install.status).toBe(2);
    expect(install.stderr).toContain(`fedpki: ${aFile} is a file: the data folder must be a folder.`);
  });

  it('certify leaves the key 0600 even where a world-readable file of that name was', async () => {
    const srv = await startFedpki();
    try {
      const certs = join(tmp.path, 'perm-certs');
      mkdirSync(certs);
      for (const f of ['node7.key', 'node7.crt']) {
        writeFileSync(join(certs, f), 'old\n');
        chmodSync(join(certs, f), 0o644);
      }
      const r = runCli(['certify', '-n', 'node7', '-t', srv.mint('node7'), '-c', certs], srv.env);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(join(certs, 'node7.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(certs, 'node7.crt')).mode & 0o777).toBe(0o600);
      expect(statSync(join(certs, 'root_ca.crt')).mode & 0o777).toBe(0o644);
      expect(readdirSync(certs).sort()).toEqual(['node7.crt', 'node7.key', 'root_ca.crt']);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });

  it('uninstall refuses a folder whose database a running server has open, and one whose fedpki.db is not FedPKI\'s', async () => {
    const srv = await startFedpki();
    try {
      const busy = runCli(['uninstall', '-p', srv.dataDir, '--yes'], srv.env);
      expect(busy.status, busy.stderr).toBe(1);
      expect(busy.stderr).toMatch(/is in use: a FedPKI server .* has its database open\. Stop it first; nothing deleted/);
      expect(existsSync(join(srv.dataDir, 'fedpki.db'))).toBe(true);
      expect((await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem })).status).toBe(200);
    } finally {
      await srv.stop();
    }
    // Stopped, it goes.
    const gone = runCli(['uninstall', '-p', srv.dataDir, '--yes'], srv.env);
    expect(gone.status, gone.stderr).toBe(0);
    expect(existsSync(srv.dataDir)).toBe(false);
    srv.cleanup();

    const foreign = join(tmp.path, 'not-ours');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'fedpki.db'), Buffer.alloc(5000, 7));
    writeFileSync(join(foreign, 'precious.txt'), 'keep me');
    const r = runCli(['uninstall', '-p', foreign, '--yes'], baseEnv(foreign));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/holds a fedpki\.db that is not a FedPKI database; nothing deleted/);
    expect(existsSync(join(foreign, 'precious.txt'))).toBe(true);
  });

  it('uninstall deletes only the CA\'s files, and keeps a folder that holds anything else', () => {
    const project = join(tmp.path, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src', 'main.py'), 'print("keep me")\n');
    writeFileSync(join(project, 'notes.txt'), 'keep me too\n');
    const made = cli(['install', '-p', project, '--ca-url', 'localhost:19997', '--password-file', pw]);
    expect(made.status, made.stderr).toBe(0);
    const r = cli(['uninstall', '-p', project, '--yes']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`Deleted the CA (fedpki.db and its journal files). Kept ${project}, which holds other files: notes.txt, src.\n`);
    expect(readdirSync(project).sort()).toEqual(['notes.txt', 'src']);
    expect(readdirSync(join(project, 'src'))).toEqual(['main.py']);
  });

  it('uninstall asks first: without a terminal it needs --yes, and then removes the folder', () => {
    const refused = cli(['uninstall', '-p', dataDir]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/Refusing to delete without confirmation: add --yes/);
    expect(existsSync(join(dataDir, 'fedpki.db'))).toBe(true);
    const removed = cli(['uninstall', '-p', dataDir, '--yes']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    const again = cli(['uninstall', '-p', dataDir, '--yes']);
    expect(again.status).toBe(3);
  });
});
