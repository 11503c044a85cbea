/**
 * Faults: the server is killed with SIGKILL in the middle of 1,000 enrollments and
 * restarted; the disk fills up; the database file turns read-only. Afterwards the
 * database is intact, nothing a client was given is missing, no token yields two
 * certificates, and everything not consumed still works.
 */

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@/db/client';
import { openTestCa } from '../../helpers/ca';
import { makeCsr } from '../../helpers/csr';
import { httpsRequest } from '../../helpers/https';
import { ROOT, tempDir } from '../../helpers/paths';
import { startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';

const isRoot = process.getuid?.() === 0;
const tmp = tempDir();
afterAll(() => tmp.remove());

async function mintMany(srv: Fedpki, n: number, prefix: string) {
  const ca = await openTestCa(srv.dataDir);
  const jobs: { jti: string; ott: string; csr: string; name: string }[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`;
    const t = await ca.authority.mintToken('default', { subject: name }, { id: 'test' });
    jobs.push({ jti: t.claims.jti, ott: t.jwt, csr: (await makeCsr(name)).pem, name });
  }
  await ca.close();
  return jobs;
}

function inspect(dataDir: string) {
  const db = openDatabase({ file: join(dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db', 'migrations') });
  const q = <T>(sql: string, ...args: unknown[]) => db.$client.prepare(sql).all(...args) as T[];
  const result = {
    integrity: (db.$client.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check,
    serials: new Set(q<{ serial: string }>('select serial from certificates').map((r) => r.serial)),
    duplicateSerials: q<{ n: number }>('select count(*) - count(distinct serial) n from certificates')[0]!.n,
    usedWithoutCert: q<{ n: number }>("select count(*) n from tokens t where t.state = 'used' and (select count(*) from certificates c where c.token_jti = t.jti) != 1")[0]!.n,
    certsPerToken: q<{ n: number }>('select max(c) n from (select count(*) c from certificates where token_jti is not null group by token_jti)')[0]!.n,
    tokenState: new Map(q<{ jti: string; state: string }>('select jti, state from tokens').map((r) => [r.jti, r.state])),
  };
  db.$client.close();
  return result;
}

describe('faults', () => {
  it('SIGKILL in the middle of 1,000 enrollments loses nothing a client was given', async () => {
    const srv = await startFedpki({ env: { FEDPKI_LOG_LEVEL: 'warn' } });
    try {
      const jobs = await mintMany(srv, 1000, 'kill');
      const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: srv.rootPem });
      const received = new Map<string, string>(); // jti -> certificate PEM
      let next = 0;
      let answered = 0;
      let killed = false;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < jobs.length) {
            const job = jobs[next++]!;
            try {
              const r = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: job.csr, ott: job.ott }, agent, timeoutMs: 15_000 });
              if (r.status === 201) received.set(job.jti, (r.json as { crt: string }).crt);
              answered++;
              if (answered === 300 && !killed) {
                killed = true;
                srv.child.kill('SIGKILL');
              }
            } catch {
              /* the server died under this request */
            }
          }
        }),
      );
      agent.destroy();
      await srv.kill('SIGKILL');
      expect(killed).toBe(true);

      const after = inspect(srv.dataDir);
      expect(after.integrity).toBe('ok');
      expect(after.duplicateSerials).toBe(0);
      expect(after.usedWithoutCert).toBe(0);
      expect(after.certsPerToken).toBe(1);
      for (const [jti, pem] of received) {
        const serial = new X509Certificate(pem).serialNumber.toLowerCase().replace(/^(00)+/, '');
        expect(after.serials.has(serial), `certificate of ${jti.slice(0, 8)} is in the database`).toBe(true);
        expect(after.tokenState.get(jti)).toBe('used');
      }

      // Restart: every token not consumed still works.
      const again = await startFedpki({ dataDir: srv.dataDir, port: srv.port, env: { FEDPKI_LOG_LEVEL: 'warn' } });
      try {
        const pending = jobs.filter((j) => after.tokenState.get(j.jti) === 'pending');
        let reissued = 0;
        for (const job of pending) {
          const r = await httpsRequest(`${again.origin}/1.0/sign`, { body: { csr: job.csr, ott: job.ott }, ca: again.rootPem });
          expect(r.status, r.text).toBe(201);
          reissued++;
        }
        recordFigures('sigkill', {
          enrollments: jobs.length,
          killedAfterAnswers: 300,
          clientsGivenCertificates: received.size,
          allInDatabase: true,
          consumedButUnanswered: jobs.filter((j) => after.tokenState.get(j.jti) === 'used' && !received.has(j.jti)).length,
          pendingReissuedAfterRestart: reissued,
          integrity: after.integrity,
        });
      } finally {
        await again.stop();
      }
    } finally {
      srv.cleanup();
    }
  });

  it.skipIf(!isRoot)('a full disk gives a clear 503, changes nothing, and issuing resumes when space returns', async () => {
    const mount = join(tmp.path, 'small-disk');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mount]);
    const srv = await startFedpki({ dataDir: join(mount, 'data'), env: { FEDPKI_LOG_LEVEL: 'warn' } });
    try {
      const jobs = await mintMany(srv, 3, 'full');
      const filler = join(mount, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        /* dd stops when the disk is full */
      }
      const before = inspect(srv.dataDir);
      const r = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: jobs[0]!.csr, ott: jobs[0]!.ott }, ca: srv.rootPem });
      expect(r.status, r.text).toBe(503);
      expect(r.json).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/disk holding its database is full/) });
      const during = inspect(srv.dataDir);
      expect(during.integrity).toBe('ok');
      expect(during.serials.size).toBe(before.serials.size);
      expect(during.tokenState.get(jobs[0]!.jti)).toBe('pending');
      // The operator's log says it in one line with the driver's cause; no stack, which
      // would repeat the same frames for every refused request while the disk is full.
      const failed = srv.logs().split('\n').filter((l) => l.includes('request failed'));
      expect(failed.length).toBeGreaterThan(0);
      for (const line of failed) {
        expect(line).toMatch(/code=unavailable .*cause="SQLITE_FULL /);
        expect(line).not.toMatch(/\.(m?js|ts):\d+:\d+/);
      }
      rmSync(filler);
      const ok = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: jobs[0]!.csr, ott: jobs[0]!.ott }, ca: srv.rootPem });
      expect(ok.status, ok.text).toBe(201);
      expect(inspect(srv.dataDir).integrity).toBe('ok');
      recordFigures('disk-full', { answered: 503, integrity: 'ok', resumed: true });
    } finally {
      await srv.stop();
      execFileSync('umount', ['-l', mount]);
    }
  });

  it.skipIf(!isRoot)('a database file made read-only gives a clear 503 and changes nothing', async () => {
    const srv = await startFedpki({ env: { FEDPKI_LOG_LEVEL: 'warn' } });
    const files = ['fedpki.db', 'fedpki.db-wal'].map((f) => join(srv.dataDir, f));
    try {
      const jobs = await mintMany(srv, 2, 'ro');
      execFileSync('chattr', ['+i', ...files]);
      let r;
      try {
        r = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: jobs[0]!.csr, ott: jobs[0]!.ott }, ca: srv.rootPem });
      } finally {
        execFileSync('chattr', ['-i', ...files]);
      }
      expect(r.status, r.text).toBe(503);
      expect(r.json).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/cannot (store anything|write to its database)/) });
      const after = inspect(srv.dataDir);
      expect(after.integrity).toBe('ok');
      expect(after.tokenState.get(jobs[0]!.jti)).toBe('pending');
      const ok = await httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: jobs[1]!.csr, ott: jobs[1]!.ott }, ca: srv.rootPem });
      expect(ok.status, ok.text).toBe(201);
      recordFigures('read-only', { answered: 503, integrity: 'ok', resumed: true });
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });
});


