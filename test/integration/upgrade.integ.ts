/**
 * An upgrade: today's server started on a CA that the release of 26 November (60082d2,
 * schema migrations 0000–0004) made and used, on SQLite (test/fixtures/release-2026-11-26,
 * a data folder's database) and on PostgreSQL (release-2026-11-26-pg), each kept as an
 * SQL dump and restored here; how they were made is in test/fixtures/README.md. The
 * start must apply the later migrations to the real rows, fill in what they add (each
 * certificate's key hash), and go on serving the old CA: its root, its certificates,
 * its revocation, its audit log. The file runs in both projects, each on its own fixture.
 */

import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { openssl, opensslVerify } from '../helpers/openssl';
import { FIXTURES, ROOT, tempDir } from '../helpers/paths';
import { freePort, newTestPostgresUrl, startFedpki, testDatabase, type Fedpki } from '../helpers/server';
import { queryFile, restoreDump } from '../helpers/sqlite-file';

const onPostgres = testDatabase() === 'postgres';
const RELEASE = join(FIXTURES, onPostgres ? 'release-2026-11-26-pg' : 'release-2026-11-26');
/** The release's CA URL: the tokens' audience, kept across the upgrade. */
const RELEASE_CA_PORT = 19123;

const leafOf = (file: string) => readFileSync(join(RELEASE, file), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)![0];
const chainTail = (file: string) => readFileSync(join(RELEASE, file), 'utf8').slice(leafOf(file).length);
const serialOf = (file: string) => new X509Certificate(leafOf(file)).serialNumber.toLowerCase();
const KEPT = serialOf('collab-kept.crt');
const REVOKED = serialOf('collab-revoked.crt');
const AGGREGATOR = serialOf('agg.release.test.crt');

let srv: Fedpki;
let tmp: ReturnType<typeof tempDir>;
let auditBefore: number;
let databaseUrl: string | undefined;

/** Rows of a query on the upgraded database, whichever it is (`?` placeholders). */
async function query<T>(sql: string, ...args: unknown[]): Promise<T[]> {
  if (!databaseUrl) return queryFile<T>(join(tmp.path, 'data'), sql, ...args);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), args)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  tmp = tempDir();
  const dataDir = join(tmp.path, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const dump = readFileSync(join(RELEASE, 'fedpki.sql'), 'utf8');
  if (onPostgres) {
    // pg_dump's plain SQL (with --inserts, so no COPY), run as one simple query.
    databaseUrl = await newTestPostgresUrl();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(dump);
    } finally {
      await client.end();
    }
  } else {
    restoreDump(join(dataDir, 'fedpki.db'), dump);
  }
  auditBefore = Number((await query<{ n: number }>('select count(*) n from audit_log'))[0]!.n);
  // The release's CA URL is localhost:19123; this server listens on a free port instead.
  const port = await freePort();
  srv = await startFedpki({ dataDir, databaseUrl, port, caUrl: `localhost:${RELEASE_CA_PORT}`, listenPortOffset: port - RELEASE_CA_PORT });
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  tmp?.remove();
});

describe(`a CA from the release of 26 November, on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('starts on it, applies the later migrations and keeps the old CA', async () => {
    const migrations = Number((await query<{ n: number }>(`select count(*) n from ${onPostgres ? 'drizzle.' : ''}__drizzle_migrations`))[0]!.n);
    const journal = join(ROOT, 'db', ...(onPostgres ? ['pg'] : []), 'migrations', 'meta', '_journal.json');
    expect(migrations).toBe(readFileSync(journal, 'utf8').match(/"tag"/g)!.length);
    // The same root as the release served, and gave its nodes.
    expect(new X509Certificate(srv.rootPem).fingerprint256).toBe(new X509Certificate(readFileSync(join(RELEASE, 'root_ca.crt'))).fingerprint256);
  });

  it('fills in each old certificate’s key hash, the SHA-256 of its SubjectPublicKeyInfo', async () => {
    const rows = await query<{ serial: string; key_sha256: string | null }>('select serial, key_sha256 from certificates order by serial');
    expect(rows.map((r) => r.serial).sort()).toEqual([AGGREGATOR, REVOKED, KEPT].sort());
    const files: Record<string, string> = { [KEPT]: 'collab-kept.crt', [REVOKED]: 'collab-revoked.crt', [AGGREGATOR]: 'agg.release.test.crt' };
    for (const r of rows) {
      const spki = new X509Certificate(leafOf(files[r.serial]!)).publicKey.export({ type: 'spki', format: 'der' });
      expect(r.key_sha256).toBe(createHash('sha256').update(spki).digest('hex'));
    }
  });

  it('lists the old certificates, and still refuses its revoked one by CRL and OCSP', async () => {
    const list = srv.cli(['list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    const listed = list.stdout.trim().split('\n').map((line) => JSON.parse(line) as { commonName: string; revokedAt: string | null; revocationReason: number | null });
    expect(listed.map((c) => [c.commonName, c.revokedAt !== null, c.revocationReason]).sort()).toEqual([
      ['agg.release.test', false, null],
      ['collab-kept', false, null],
      ['collab-revoked', true, 4],
    ]);

    const dir = join(tmp.path, 'checks');
    mkdirSync(dir);
    const intermediate = join(dir, 'intermediate.pem');
    writeFileSync(intermediate, chainTail('collab-kept.crt'));
    const crl = await httpsRequest(`${srv.origin}/crl`, { ca: srv.rootPem });
    expect(crl.status).toBe(200);
    writeFileSync(join(dir, 'crl.der'), crl.body);
    const crlText = openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-text', '-CAfile', intermediate]);
    expect(crlText.stderr).toMatch(/verify OK/);
    expect(crlText.stdout).toContain(`Serial Number: ${REVOKED.toUpperCase()}`);
    expect(crlText.stdout).toContain('Superseded');
    expect(crlText.stdout).not.toContain(KEPT.toUpperCase());

    for (const [file, status] of [
      ['collab-kept.crt', 'good'],
      ['collab-revoked.crt', 'revoked'],
    ] as const) {
      writeFileSync(join(dir, file), leafOf(file));
      // openssl makes the request and checks the answer; the test carries it over HTTPS.
      const der = openssl(['ocsp', '-issuer', intermediate, '-cert', join(dir, file), '-no_nonce', '-reqout', join(dir, `${file}.req`)]);
      expect(der.status, der.stderr).toBe(0);
      const answer = await httpsRequest(`${srv.origin}/ocsp`, { raw: readFileSync(join(dir, `${file}.req`)), headers: { 'content-type': 'application/ocsp-request' }, ca: srv.rootPem });
      expect(answer.status).toBe(200);
      writeFileSync(join(dir, `${file}.resp`), answer.body);
      const read = openssl(['ocsp', '-respin', join(dir, `${file}.resp`), '-issuer', intermediate, '-cert', join(dir, file), '-VAfile', intermediate, '-no_nonce']);
      expect(read.stderr).toMatch(/Response verify OK/);
      expect(read.stdout).toContain(`${join(dir, file)}: ${status}`);
    }
  });

  // The release's token was minted for 5 minutes when the fixture was made, so it is
  // refused here; minutes after the fixture was made, today's server did enroll with it.
  it('refuses the release’s expired token as expired, and enrolls a new node under the old root', async () => {
    const jwt = (token: string) => Buffer.from(token.split('.')[0]!, 'base64').toString('utf8');
    const old = readFileSync(join(RELEASE, 'collab-pending.token'), 'utf8').trim();
    const csr = await makeCsr('collab-pending');
    const refused = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: csr.pem, ott: jwt(old) }, ca: srv.rootPem });
    expect(refused.status).toBe(401);
    expect((refused.json as { message: string }).message).toMatch(/expired/);

    const fresh = await makeCsr('collab-new');
    const issued = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: fresh.pem, ott: jwt(srv.mint('collab-new')) }, ca: srv.rootPem });
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    const { crt, ca } = issued.json as { crt: string; ca: string };
    expect(opensslVerify(join(tmp.path, 'checks'), srv.rootPem, ca, crt).ok).toBe(true);
    expect(ca).toBe(chainTail('collab-kept.crt').split(/(?<=-----END CERTIFICATE-----\n)/)[0]);
  });

  it('revokes an old certificate for key compromise, reaching the key through the filled-in hash', async () => {
    const r = srv.cli(['revoke', KEPT, '--reason', 'keyCompromise', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(r.status, r.stderr).toBe(0);
    const row = (await query<{ status: string; n: number }>('select c.status, (select count(*) from compromised_keys k where k.key_sha256 = c.key_sha256) n from certificates c where serial = ?', KEPT))[0]!;
    expect({ ...row, n: Number(row.n) }).toEqual({ status: 'revoked', n: 1 });
  });

  it('keeps the old audit log and appends to it', async () => {
    const rows = (await query<{ id: number; action: string }>('select id, action from audit_log order by id')).map((r) => ({ ...r, id: Number(r.id) }));
    expect(rows.length).toBeGreaterThan(auditBefore);
    expect(rows.slice(0, auditBefore).map((r) => r.action)).toContain('CERT_REVOKED');
    // Ids run on from the release's, with no gap or reuse.
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => i + 1));
  });
});
