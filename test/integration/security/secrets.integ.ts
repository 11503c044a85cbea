/**
 * Secrets at rest and in logs: no CA private key appears unencrypted anywhere in the
 * data folder (database, WAL, anything else) or in the server's log — searched for as
 * raw scalar, PKCS#8 DER, base64, PEM and JWK `d` — and neither tokens nor passwords
 * appear in the log or the database. And the repository itself holds no private key:
 * tests make their keys when they run, and fixtures are public material only.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptPrivateKey } from '@/lib/pki/pkcs8';
import { fromPem } from '@/lib/pki/pem';
import { createPrivateKey } from 'node:crypto';
import { openTestCa } from '../../helpers/ca';
import { makeCsr } from '../../helpers/csr';
import { httpsRequest } from '../../helpers/https';
import { TEST_ADMIN_PASSWORD, TEST_PASSWORD, startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';
import { ROOT } from '../../helpers/paths';

/** The upgrade test's databases of an older release, on SQLite and on PostgreSQL (dumps). */
const UPGRADE_FIXTURES = ['test/fixtures/release-2026-11-26/fedpki.sql', 'test/fixtures/release-2026-11-26-pg/fedpki.sql'];

let srv: Fedpki;

beforeAll(async () => {
  srv = await startFedpki({ env: { FEDPKI_LOG_LEVEL: 'debug', FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } });
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every encoding a leaked key could take. */
function needles(pkcs8: Uint8Array): Buffer[] {
  const der = Buffer.from(pkcs8);
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as { d: string };
  const d = Buffer.from(jwk.d, 'base64url');
  const b64 = der.toString('base64');
  return [d, der, Buffer.from(b64), Buffer.from(b64.slice(0, 64)), Buffer.from(jwk.d), Buffer.from(d.toString('hex')), Buffer.from(d.toString('base64'))];
}

describe('secrets', () => {
  it('no CA private key, token or password appears in the data folder or the log', async () => {
    // Exercise the server: enrollments, a refusal, a reuse.
    const tokens: string[] = [];
    for (const name of ['secret-a', 'secret-b']) {
      const token = srv.mint(name);
      tokens.push(token);
      const jwt = Buffer.from(token.split('.')[0]!, 'base64').toString();
      tokens.push(jwt);
      const csr = await makeCsr(name);
      expect((await httpsRequest(`${srv.origin}/sign`, { body: { csr: csr.pem, ott: jwt }, ca: srv.rootPem })).status).toBe(201);
      expect((await httpsRequest(`${srv.origin}/sign`, { body: { csr: csr.pem, ott: jwt }, ca: srv.rootPem })).status).toBe(401);
      // A token pasted whole into ott, and into the CSR field: still never logged.
      await httpsRequest(`${srv.origin}/sign`, { body: { csr: token, ott: token }, ca: srv.rootPem });
    }

    const ca = await openTestCa(srv.dataDir);
    const rows = await ca.rows<{ purpose: string; encrypted_key: string }>('select purpose, encrypted_key from ca_keys');
    await ca.close();
    const keys = await Promise.all(rows.map(async (r) => ({ purpose: r.purpose, pkcs8: await decryptPrivateKey(fromPem(r.encrypted_key)!, TEST_PASSWORD) })));
    expect(keys).toHaveLength(3);

    const files = filesUnder(srv.dataDir).map((f) => ({ f, bytes: readFileSync(f) }));
    const log = Buffer.from(srv.logs());
    const haystacks = [...files, { f: 'server log', bytes: log }];
    let searched = 0;
    for (const { purpose, pkcs8 } of keys) {
      for (const needle of needles(pkcs8)) {
        for (const h of haystacks) {
          searched++;
          expect(h.bytes.includes(needle), `${purpose} key material found in ${h.f}`).toBe(false);
        }
      }
    }
    for (const secret of [...tokens, TEST_PASSWORD, TEST_ADMIN_PASSWORD]) {
      for (const h of haystacks) {
        searched++;
        expect(h.bytes.includes(Buffer.from(secret)), `a secret found in ${h.f}`).toBe(false);
      }
    }
    // The log did record the work, so the search was not over an empty file.
    expect(srv.logs()).toMatch(/certificate issued/);
    expect(srv.logs()).toMatch(/request refused/);
    recordFigures('secrets', { keysChecked: keys.length, encodingsPerKey: 7, filesSearched: files.length, logBytes: log.length, searches: searched, found: 0 });
  });

  it('no file the repository tracks holds a private key, in PEM or as a key file, or is a database', () => {
    const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
    expect(git.status, git.stderr).toBe(0);
    const tracked = git.stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)));
    expect(tracked.length).toBeGreaterThan(100);
    // Any armour labelled as a key (plain, SEC1, PKCS#1, encrypted, OpenSSH), headers or not.
    const armour = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
    const found: string[] = [];
    const fixtureKeys: string[] = [];
    for (const f of tracked) {
      if (/\.(key|p12|pfx|jks|keystore)$/i.test(f)) found.push(`${f} (a key file)`);
      const text = readFileSync(join(ROOT, f), 'latin1');
      // A database holds keys, tokens and sessions: never in git (the README's promise).
      if (/\.(db|sqlite3?)$/i.test(f) || text.startsWith('SQLite format 3\0')) found.push(`${f} (a database)`);
      // The one exception: the upgrade test's databases of an older release (dumps) hold their
      // test CA's keys, as every data folder does: encrypted, under the tests' published
      // password, certifying nothing outside the tests (test/fixtures/README.md).
      if (UPGRADE_FIXTURES.includes(f)) {
        fixtureKeys.push(...[...text.matchAll(armour)].map((m) => m[1]!));
        continue;
      }
      for (const m of text.matchAll(armour)) {
        const body = Buffer.from(m[2]!.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, ''), 'base64');
        // A DER SEQUENCE of key size; the PEM parser's own tests use one-byte bodies.
        if (body.length >= 32 && body[0] === 0x30) found.push(`${f} (${m[1]})`);
      }
    }
    expect(found).toEqual([]);
    // Each one's root, intermediate and provisioner keys, and only ever encrypted.
    expect(fixtureKeys).toEqual(Array(3 * UPGRADE_FIXTURES.length).fill('ENCRYPTED PRIVATE KEY'));
    recordFigures('tracked-files', { trackedFiles: tracked.length, found: found.length });
  });
});
