/**
 * Moving a federation from SQLite to PostgreSQL (and back) with `fedpki export` and
 * `fedpki import`, without re-enrolling a node: the same root and keys (still
 * encrypted), tokens that keep their state (a pending one still enrolls, a used one
 * stays used), certificates, users and the audit log with its ids; the rows read back
 * identical from either database.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { tempDir } from '../helpers/paths';
import { baseEnv, newTestPostgresUrl, runCli, startFedpki, TEST_ADMIN_PASSWORD, type Fedpki } from '../helpers/server';

let tmp: ReturnType<typeof tempDir>;
let old: Fedpki;
let moved: Fedpki | undefined;
let pgUrl: string;
const jwts: { used: string; pending: string; cancelled: string } = { used: '', pending: '', cancelled: '' };
let enrolledSerials: string[] = [];

/** The rows of an export, parsed (jsonb keeps its own key order inside details). */
const rowsOf = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  tmp = tempDir();
  old = await startFedpki({ database: 'sqlite', env: { FEDPKI_ADMIN_USERNAME: 'alice', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } });
  const ca = await openTestCa(old.dataDir);
  try {
    const sign = async (subject: string) => {
      const minted = await ca.authority.mintToken('default', { subject }, { id: 'test' });
      const r = await httpsRequest(`${old.origin}/1.0/sign`, { body: { csr: (await makeCsr(subject)).pem, ott: minted.jwt }, ca: old.rootPem });
      expect(r.status, r.text).toBe(201);
      return minted.jwt;
    };
    jwts.used = await sign('node-1');
    await sign('node-2');
    await sign('node-3');
    jwts.pending = (await ca.authority.mintToken('default', { subject: 'node-later' }, { id: 'test' })).jwt;
    const cancelled = await ca.authority.mintToken('default', { subject: 'node-cancelled' }, { id: 'test' });
    await ca.authority.cancelToken(cancelled.record.jti, { id: 'test' });
    jwts.cancelled = cancelled.jwt;
    enrolledSerials = (await ca.rows<{ serial: string }>('select serial from certificates order by serial')).map((r) => r.serial);
  } finally {
    await ca.close();
  }
  await old.stop();
  pgUrl = await newTestPostgresUrl();
});

afterAll(async () => {
  await moved?.stop();
  moved?.cleanup();
  old?.cleanup();
  tmp?.remove();
});

describe('fedpki export / import', () => {
  it('moves every row from SQLite to PostgreSQL and reads them back identical', () => {
    const first = join(tmp.path, 'sqlite.jsonl');
    const exp = runCli(['export', '-p', old.dataDir, '-o', first], baseEnv(old.dataDir));
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stderr).toMatch(/Exported \d+ rows/);
    const header = JSON.parse(readFileSync(first, 'utf8').split('\n')[0]!) as { format: string; source: string; tables: Record<string, string[]> };
    expect(header).toMatchObject({ format: 'fedpki-export', source: 'sqlite' });
    expect(Object.keys(header.tables)).toEqual(expect.arrayContaining(['federations', 'ca_keys', 'tokens', 'certificates', 'revocations', 'crls', 'audit_log', 'users', 'settings']));
    expect(Object.keys(header.tables).indexOf('federations')).toBeLessThan(Object.keys(header.tables).indexOf('certificates'));
    const last = JSON.parse(readFileSync(first, 'utf8').trim().split('\n').at(-1)!) as { end: Record<string, number> };
    expect(last.end).toMatchObject({ federations: 1, certificates: 3 });

    const pgEnv = { ...baseEnv(join(tmp.path, 'unused')), DATABASE_URL: pgUrl };
    // fedpki migrate on both databases; twice is harmless
    for (let i = 0; i < 2; i++) {
      const m = runCli(['migrate'], pgEnv);
      expect(m.status, m.stderr).toBe(0);
      expect(m.stderr).toMatch(/Database postgres:\/\/.* \(postgres\) is up to date/);
    }
    const ms = runCli(['migrate', '-p', old.dataDir], baseEnv(old.dataDir));
    expect(ms.stderr).toMatch(/fedpki\.db \(sqlite\) is up to date/);
    const imp = runCli(['import', '-i', first], pgEnv);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stderr).toMatch(/Imported \d+ rows into postgres:\/\//);

    const second = join(tmp.path, 'postgres.jsonl');
    const back = runCli(['export', '-o', second], pgEnv);
    expect(back.status, back.stderr).toBe(0);
    expect(rowsOf(second)).toEqual(rowsOf(first));
    expect(rowsOf(first).filter((l) => (l as { t: string }).t === 'audit_log').length).toBeGreaterThan(5);

    // and back again, into a new SQLite data folder
    const again = join(tmp.path, 'again');
    const imp2 = runCli(['import', '-p', again, '-i', second], baseEnv(again));
    expect(imp2.status, imp2.stderr).toBe(0);
    const third = join(tmp.path, 'sqlite-again.jsonl');
    expect(runCli(['export', '-p', again, '-o', third], baseEnv(again)).status).toBe(0);
    expect(rowsOf(third)).toEqual(rowsOf(first));
  });

  it('refuses to import into a database that already holds a CA, and changes nothing', () => {
    const pgEnv = { ...baseEnv(join(tmp.path, 'unused')), DATABASE_URL: pgUrl };
    const before = runCli(['export'], pgEnv).stdout;
    const r = runCli(['import', '-i', join(tmp.path, 'sqlite.jsonl')], pgEnv);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not empty/);
    expect(runCli(['export'], pgEnv).stdout.split('\n').slice(1)).toEqual(before.split('\n').slice(1));
    const garbage = runCli(['import'], pgEnv, 'hello\n');
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toMatch(/not a FedPKI export/);
  });

  it('refuses an export cut short or tampered with, and imports nothing (the counts on its closing line)', () => {
    const lines = readFileSync(join(tmp.path, 'sqlite.jsonl'), 'utf8').trim().split('\n');
    const cases: [string, string, RegExp][] = [
      ['cut at a line end', lines.slice(0, Math.floor(lines.length / 2)).join('\n') + '\n', /without its closing line: it was cut short/],
      ['cut mid-line', lines.join('\n').slice(0, Math.floor(lines.join('\n').length * 0.7)), /is not valid JSON: the file is damaged or cut short|without its closing line/],
      ['a row removed', [...lines.slice(0, 3), ...lines.slice(4)].join('\n') + '\n', /do not match its closing counts/],
      ['a row after the closing line', [...lines, lines[1]!].join('\n') + '\n', /comes after its closing line/],
    ];
    for (const [label, text, message] of cases) {
      const file = join(tmp.path, `broken-${label.replace(/\W+/g, '-')}.jsonl`);
      writeFileSync(file, text);
      const into = join(tmp.path, `broken-${label.replace(/\W+/g, '-')}`);
      const r = runCli(['import', '-p', into, '-i', file], baseEnv(into));
      expect(r.status, `${label}: ${r.stderr}`).toBe(2);
      expect(r.stderr, label).toMatch(message);
      // One transaction, and the file and folder it made removed: nothing of it stayed.
      expect(existsSync(join(into, 'fedpki.db')), label).toBe(false);
      expect(existsSync(into), `${label}: the folder it made`).toBe(false);
    }
  });

  it('fails an export whose file cannot be written (a full disk), instead of exiting 0 with half a file', () => {
    expect(existsSync('/dev/full')).toBe(true);
    const r = runCli(['export', '-p', old.dataDir, '-o', '/dev/full'], baseEnv(old.dataDir));
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/could not be written to \/dev\/full: .*ENOSPC/);
    expect(r.stderr).not.toMatch(/Exported/);
  });

  it('the moved CA serves the same federation: nodes keep their certificates, tokens keep their state', async () => {
    moved = await startFedpki({ databaseUrl: pgUrl, port: old.port });
    expect(moved.rootPem).toBe(old.rootPem);
    const sign = (jwt: string, subject: string) => makeCsr(subject).then((csr) => httpsRequest(`${moved!.origin}/1.0/sign`, { body: { csr: csr.pem, ott: jwt }, ca: old.rootPem }));
    const pending = await sign(jwts.pending, 'node-later');
    expect(pending.status, pending.text).toBe(201);
    expect((await sign(jwts.used, 'node-1')).json).toMatchObject({ code: 'token_used' });
    expect((await sign(jwts.cancelled, 'node-cancelled')).json).toMatchObject({ code: 'token_cancelled' });

    const ca = await openTestCa({ dataDir: moved.dataDir, databaseUrl: pgUrl });
    try {
      const serials = (await ca.rows<{ serial: string }>('select serial from certificates order by serial')).map((r) => r.serial);
      expect(serials).toEqual(expect.arrayContaining(enrolledSerials));
      expect(serials).toHaveLength(enrolledSerials.length + 1);
      expect((await ca.database.users.getByUsername('alice'))?.role).toBe('admin');
      // the portal's read models, on PostgreSQL
      expect(await ca.database.queries.listFederationSummaries({ certificateCounts: true })).toEqual([expect.objectContaining({ id: 'default', status: 'active', certificates: enrolledSerials.length + 1 })]);
      expect((await ca.database.queries.getFederation({ id: 'default' }))?.rootFingerprint).toBe(ca.ctx().root.fingerprint);
      // new audit entries continue after the imported ids
      const ids = (await ca.rows<{ id: string; action: string }>('select id, action from audit_log order by id')).map((r) => Number(r.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    } finally {
      await ca.close();
    }
  });
});
