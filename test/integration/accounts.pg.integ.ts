/**
 * The portal's accounts, sessions and sign-in throttle on PostgreSQL, through the
 * `Accounts` of two instances: A and B are each what `openStore` gives a FedPKI
 * process (its own connection pool) on one shared database. Requests race for real —
 * each instance's pool runs them on separate connections at once.
 *
 * Shown: the rules of db/accounts.test.ts (SQLite) hold here too; a session started
 * through A is good at B, and signing out at A ends it at B; failed sign-ins arriving
 * at both instances at once are each counted, and lock the name (and the address)
 * exactly once; two administrators demoted at once through A and B leave one; a
 * single-sign-on user's first sign-in at both at once makes one account; the sessions
 * table holds only hashes of session ids, so an id read from it opens nothing; wrong
 * current passwords on a password change count towards the same lock. Every change
 * carries its audit entry. (test/e2e/portal-pg.e2e.ts shows the same with two real
 * servers and a browser.)
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openStore, type Database } from '@/db/open';
import type { PgDb } from '@/db/pg/client';
import { sessionKey } from '@/db/sessions';
import { LOCK_MS, USER_FAILURE_LIMIT, IP_FAILURE_LIMIT } from '@/lib/auth/throttle';
import { ROOT, tempDir } from '../helpers/paths';
import { newTestPostgresUrl } from '../helpers/server';

let a: Database;
let b: Database;
let tmp: ReturnType<typeof tempDir>;
const t0 = new Date('2026-03-01T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const actor = { id: 'user:root', sourceIp: '10.0.0.1' };
const PASSWORD = 'long enough password';

const pgOf = (d: Database): PgDb => {
  if (d.handle.kind !== 'postgres') throw new Error('not PostgreSQL');
  return d.handle.db;
};

beforeAll(async () => {
  tmp = tempDir();
  const databaseUrl = await newTestPostgresUrl();
  const open = () => openStore({ databaseUrl, databaseFile: `${tmp.path}/unused.db`, root: ROOT });
  a = await open();
  b = await open();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  tmp?.remove();
});

// A clean slate per test; the audit log is append-only, so each test reads only what it added.
beforeEach(async () => {
  await pgOf(a).execute(sql`delete from sessions`);
  await pgOf(a).execute(sql`delete from sign_in_throttle`);
  await pgOf(a).execute(sql`delete from users`);
});

let auditFloor = 0;
beforeEach(async () => {
  auditFloor = Number((await pgOf(a).execute<{ n: string }>(sql`select coalesce(max(id), 0) n from audit_log`)).rows[0]!.n);
});

async function newAudit(action: string) {
  const r = await pgOf(a).execute<{ actor: string; target: string | null; source_ip: string | null; outcome: string; details: Record<string, unknown> | null }>(
    sql`select actor, target, source_ip, outcome, details from audit_log where action = ${action} and id > ${auditFloor} order by id`,
  );
  return r.rows;
}

describe('accounts and sessions on PostgreSQL, two instances', () => {
  it('ok/a session started through A is good at B; signing out at A ends it at B', async () => {
    const bob = await a.accounts.createUser({ username: 'Bob', role: 'operator', password: PASSWORD, createdBy: 'test' });
    expect(await b.accounts.getUserByUsername('bob')).toMatchObject({ id: bob.id, role: 'operator' });
    const sid = await a.accounts.startSession({ userId: bob.id, username: 'bob', provider: 'credentials', sourceIp: '10.0.0.2', now: t0, expiresAt: at(3600_000) });
    expect(await b.accounts.getActiveSession({ id: sid, now: at(1000) })).toMatchObject({ sessionId: sid, userId: bob.id, username: 'bob', role: 'operator' });
    // A role changed through B applies to the session at A on the next request.
    await a.accounts.createUser({ username: 'root', role: 'admin', password: PASSWORD, createdBy: 'test' });
    await b.accounts.updateUser({ id: bob.id, role: 'auditor' }, actor);
    expect((await a.accounts.getActiveSession({ id: sid, now: at(1000) }))?.role).toBe('auditor');
    expect(await a.accounts.endSession({ id: sid, now: at(2000), sourceIp: '10.0.0.2' })).toBe(true);
    expect(await b.accounts.getActiveSession({ id: sid, now: at(2001) })).toBeUndefined();
    expect(await b.accounts.endSession({ id: sid, now: at(2002), sourceIp: null })).toBe(false);
    expect(await newAudit('SIGN_IN')).toEqual([expect.objectContaining({ actor: 'user:bob', source_ip: '10.0.0.2' })]);
    expect(await newAudit('SIGN_OUT')).toHaveLength(1);
    expect((await b.accounts.getUserById(bob.id))?.lastSignInAt).toEqual(t0);
  });

  it('ok/one sign-out, when A and B end the same session at once', async () => {
    const u = await a.accounts.createUser({ username: 'carl', role: 'auditor', password: PASSWORD, createdBy: 'test' });
    for (let round = 0; round < 5; round++) {
      const sid = await a.accounts.startSession({ userId: u.id, username: 'carl', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
      const ended = await Promise.all([a, b, a, b].map((d) => d.accounts.endSession({ id: sid, now: at(10), sourceIp: null })));
      expect(ended.filter(Boolean)).toHaveLength(1);
    }
    expect(await newAudit('SIGN_OUT')).toHaveLength(5);
  });

  it('ok/sessions end with their expiry, a disabled account, or a password reset (except the resetting one)', async () => {
    await a.accounts.createUser({ username: 'root', role: 'admin', password: PASSWORD, createdBy: 'test' });
    const u = await a.accounts.createUser({ username: 'dora', role: 'operator', password: PASSWORD, createdBy: 'test' });
    const s1 = await a.accounts.startSession({ userId: u.id, username: 'dora', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    const s2 = await b.accounts.startSession({ userId: u.id, username: 'dora', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    expect(await b.accounts.getActiveSession({ id: s1, now: at(3600_000) })).toBeUndefined();
    await b.accounts.setUserPassword({ id: u.id, password: 'another long password' }, { id: 'user:dora', sourceIp: null, sessionId: s2 });
    expect(await a.accounts.getActiveSession({ id: s1, now: at(1) })).toBeUndefined();
    expect(await a.accounts.getActiveSession({ id: s2, now: at(1) })).toBeDefined();
    await expect(a.accounts.setUserPassword({ id: u.id, password: 'short' }, actor)).rejects.toThrow(/at least 12/);
    await a.accounts.updateUser({ id: u.id, disabled: true }, actor);
    expect(await b.accounts.getActiveSession({ id: s2, now: at(1) })).toBeUndefined();
    await a.accounts.updateUser({ id: u.id, disabled: false }, actor);
    expect(await b.accounts.getActiveSession({ id: s2, now: at(1) })).toBeUndefined();
    expect((await newAudit('USER_UPDATED')).map((r) => r.details)).toEqual([{ password: 'changed' }, { disabled: false }]);
    expect(await newAudit('USER_DISABLED')).toHaveLength(1);
    expect((await a.accounts.listUsers()).map((x) => [x.username, x.hasPassword])).toEqual([
      ['dora', true],
      ['root', true],
    ]);
    await expect(b.accounts.createUser({ username: 'DORA', role: 'auditor', password: PASSWORD, createdBy: 'test' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('fail/the last enabled administrator stays, also when A and B each demote one of two at once', async () => {
    const root = await a.accounts.createUser({ username: 'root', role: 'admin', password: PASSWORD, createdBy: 'test' });
    await expect(b.accounts.updateUser({ id: root.id, disabled: true }, actor)).rejects.toThrow(/at least one enabled administrator/);
    const second = await a.accounts.createUser({ username: 'second', role: 'admin', password: PASSWORD, createdBy: 'test' });
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        a.accounts.updateUser({ id: root.id, role: 'operator' }, actor),
        b.accounts.updateUser({ id: second.id, disabled: true }, actor),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled'), `round ${round}`).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
      const admins = (await a.accounts.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
      expect(admins).toHaveLength(1);
      // Both administrators again, for the next round.
      await a.accounts.updateUser({ id: root.id, role: 'admin', disabled: false }, actor);
      await a.accounts.updateUser({ id: second.id, role: 'admin', disabled: false }, actor);
    }
  });

  it('ok/failed sign-ins at A and B at once are all counted: the name locks once, at the limit', async () => {
    const attempts = 3 * USER_FAILURE_LIMIT;
    const results = await Promise.all(
      Array.from({ length: attempts }, (_, i) => (i % 2 ? a : b).accounts.recordSignInFailure({ username: 'Eve', sourceIp: `192.0.2.${i}`, now: at(i), reason: 'password' })),
    );
    const row = (await pgOf(a).execute<{ failures: number; locked_until: Date | null }>(sql`select failures, locked_until from sign_in_throttle where key = 'user:eve'`)).rows[0]!;
    expect(row.failures).toBe(attempts);
    expect(row.locked_until).not.toBeNull();
    // Exactly one attempt reached the limit; it and every later one answer "locked".
    expect(results.filter((r) => r.lockedUntil).length).toBe(attempts - USER_FAILURE_LIMIT + 1);
    expect(await newAudit('SIGN_IN_FAILED')).toHaveLength(attempts);
    expect(await newAudit('SIGN_IN_LOCKED')).toEqual([expect.objectContaining({ target: 'eve', outcome: 'failure', details: expect.objectContaining({ scope: 'user', failures: USER_FAILURE_LIMIT }) })]);
    // Locked at both instances, even with the right password about to be tried; the lock ends.
    const lockedAt = await b.accounts.signInLockedUntil({ username: 'eve', sourceIp: null, now: at(attempts) });
    expect(lockedAt).toBeDefined();
    expect(await a.accounts.signInLockedUntil({ username: 'EVE', sourceIp: '198.51.100.1', now: at(attempts) })).toEqual(lockedAt);
    expect(await a.accounts.signInLockedUntil({ username: 'eve', sourceIp: null, now: new Date(lockedAt!.getTime() + 1) })).toBeUndefined();
    expect(lockedAt!.getTime()).toBeLessThanOrEqual(at(attempts).getTime() + LOCK_MS);
  });

  it('ok/an address is locked after 20 failures across names, counted at both instances at once; a sign-in clears only the name', async () => {
    const results = await Promise.all(
      Array.from({ length: IP_FAILURE_LIMIT }, (_, i) => (i % 2 ? a : b).accounts.recordSignInFailure({ username: `user${i}`, sourceIp: '203.0.113.9', now: at(i), reason: 'unknown_user' })),
    );
    expect(results.filter((r) => r.lockedUntil)).toHaveLength(1);
    expect(await a.accounts.signInLockedUntil({ username: 'fresh', sourceIp: '203.0.113.9', now: at(100) })).toBeDefined();
    expect(await b.accounts.signInLockedUntil({ username: 'fresh', sourceIp: '203.0.113.10', now: at(100) })).toBeUndefined();
    expect(await newAudit('SIGN_IN_LOCKED')).toEqual([expect.objectContaining({ target: '203.0.113.9', source_ip: '203.0.113.9', details: expect.objectContaining({ scope: 'address', failures: IP_FAILURE_LIMIT }) })]);

    const fay = await a.accounts.createUser({ username: 'fay', role: 'auditor', password: PASSWORD, createdBy: 'test' });
    for (let i = 0; i < 3; i++) await b.accounts.recordSignInFailure({ username: 'fay', sourceIp: '198.51.100.3', now: at(i), reason: 'password' });
    await a.accounts.startSession({ userId: fay.id, username: 'fay', provider: 'credentials', sourceIp: '198.51.100.3', now: at(10), expiresAt: at(100_000) });
    for (let i = 0; i < 4; i++) await b.accounts.recordSignInFailure({ username: 'fay', sourceIp: '198.51.100.3', now: at(20 + i), reason: 'password' });
    expect(await a.accounts.signInLockedUntil({ username: 'fay', sourceIp: null, now: at(30) })).toBeUndefined();
    // Refusals during a lock, and identities single sign-on refuses, are audited but not counted.
    await a.accounts.recordSignInFailure({ username: 'fay', sourceIp: '198.51.100.3', now: at(31), reason: 'locked' });
    await a.accounts.recordSignInFailure({ username: 'fay', sourceIp: '198.51.100.3', now: at(32), reason: 'sso_denied' });
    expect(await a.accounts.signInLockedUntil({ username: 'fay', sourceIp: null, now: at(33) })).toBeUndefined();
  });

  it('ok/a single-sign-on user signing in at A and B at once gets one account; the allow-list keeps the role', async () => {
    const both = await Promise.all([a, b, a, b].map((d) => d.accounts.upsertSsoUser({ username: 'Gina@Example.org', provider: 'oidc', role: 'auditor', sourceIp: null })));
    expect(new Set(both.map((u) => u.id)).size).toBe(1);
    expect(both[0]).toMatchObject({ username: 'gina@example.org', role: 'auditor', passwordHash: null, provider: 'oidc' });
    expect(await newAudit('USER_CREATED')).toHaveLength(1);
    expect((await b.accounts.upsertSsoUser({ username: 'gina@example.org', provider: 'oidc', role: 'operator', sourceIp: null })).role).toBe('operator');
    await a.accounts.createUser({ username: 'hal@example.org', role: 'admin', password: PASSWORD, createdBy: 'test' });
    await expect(b.accounts.upsertSsoUser({ username: 'hal@example.org', provider: 'oidc', role: 'admin', sourceIp: null })).rejects.toThrow(/password account/);
    await a.accounts.updateUser({ id: both[0]!.id, disabled: true }, actor);
    await expect(b.accounts.upsertSsoUser({ username: 'gina@example.org', provider: 'oidc', role: 'operator', sourceIp: null })).rejects.toThrow(/disabled/);
  });

  it('fail/the sessions table holds only the SHA-256 of each id: an id read from it opens and ends nothing', async () => {
    await a.accounts.createUser({ username: 'root', role: 'admin', password: PASSWORD, createdBy: 'test' });
    const u = await a.accounts.createUser({ username: 'ines', role: 'operator', password: PASSWORD, createdBy: 'test' });
    const open = (d: Database) => d.accounts.startSession({ userId: u.id, username: 'ines', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    const [s1, s2, s3] = [await open(a), await open(b), await open(a)];
    const stored = (await pgOf(a).execute<{ id: string }>(sql`select id from sessions where user_id = ${u.id}`)).rows.map((r) => r.id);
    expect(stored.sort()).toEqual([s1, s2, s3].map(sessionKey).sort());
    for (const sid of [s1, s2, s3]) {
      const found = await pgOf(a).execute<{ n: number }>(sql`select count(*)::int n from sessions where strpos(id, ${sid}) > 0 or strpos(coalesce(source_ip, ''), ${sid}) > 0`);
      expect(found.rows[0]!.n, 'the cookie id is in no row').toBe(0);
    }
    for (const key of stored) {
      expect(await b.accounts.getActiveSession({ id: key, now: at(1) })).toBeUndefined();
      expect(await b.accounts.endSession({ id: key, now: at(1), sourceIp: null })).toBe(false);
    }
    expect(await b.accounts.getActiveSession({ id: s1, now: at(1) })).toMatchObject({ sessionId: s1, userId: u.id });
    // A password change through B keeps the session named by its cookie id (started at A).
    await b.accounts.setUserPassword({ id: u.id, password: 'another long password' }, { id: 'user:ines', sourceIp: null, sessionId: s3 });
    expect(await a.accounts.getActiveSession({ id: s3, now: at(1) })).toMatchObject({ sessionId: s3 });
    expect(await a.accounts.getActiveSession({ id: s1, now: at(1) })).toBeUndefined();
    expect(await a.accounts.getActiveSession({ id: s2, now: at(1) })).toBeUndefined();
    expect(await b.accounts.endSession({ id: s3, now: at(2), sourceIp: null })).toBe(true);
    // A row from before ids were hashed: its raw id matches nothing any more.
    await pgOf(a).execute(sql`insert into sessions (id, user_id, created_at, expires_at) values ('pre-upgrade-raw-id', ${u.id}, ${t0.toISOString()}, ${at(3600_000).toISOString()})`);
    expect(await a.accounts.getActiveSession({ id: 'pre-upgrade-raw-id', now: at(1) })).toBeUndefined();
  });

  it('ok/wrong current passwords on password changes at A and B count towards the sign-in lock, audited as password changes', async () => {
    const results = await Promise.all(
      Array.from({ length: USER_FAILURE_LIMIT + 2 }, (_, i) =>
        (i % 2 ? a : b).accounts.recordSignInFailure({ username: 'Jo', sourceIp: '192.0.2.77', now: at(i), reason: 'password', attempt: 'password_change' }),
      ),
    );
    expect(results.filter((r) => r.lockedUntil)).toHaveLength(3);
    expect(await a.accounts.signInLockedUntil({ username: 'jo', sourceIp: null, now: at(100) })).toBeDefined();
    await b.accounts.recordSignInFailure({ username: 'jo', sourceIp: '192.0.2.77', now: at(101), reason: 'locked', attempt: 'password_change' });
    const failed = await newAudit('SIGN_IN_FAILED');
    expect(failed).toHaveLength(USER_FAILURE_LIMIT + 3);
    expect(failed.every((r) => r.actor === 'user:jo' && r.target === 'jo' && r.outcome === 'failure' && r.details?.attempt === 'password_change')).toBe(true);
    expect(failed.at(-1)!.details).toEqual({ reason: 'locked', attempt: 'password_change' });
    expect(await newAudit('SIGN_IN_LOCKED')).toEqual([expect.objectContaining({ target: 'jo', details: expect.objectContaining({ scope: 'user', failures: USER_FAILURE_LIMIT }) })]);
  });

  it('fail/odd input finds nothing rather than failing', async () => {
    expect(await a.accounts.getUserByUsername('bo\u0000b')).toBeUndefined();
    expect(await a.accounts.getUserById('x\u0000')).toBeUndefined();
    expect(await a.accounts.getActiveSession({ id: 'x\u0000', now: t0 })).toBeUndefined();
    expect(await a.accounts.endSession({ id: 'x\u0000', now: t0, sourceIp: null })).toBe(false);
    expect(await a.accounts.signInLockedUntil({ username: 'x\u0000', sourceIp: null, now: t0 })).toBeUndefined();
    await expect(a.accounts.updateUser({ id: 'x\u0000' }, actor)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('ok/optimize() (hourly on each instance) refreshes the certificate table\'s statistics', async () => {
    await a.optimize();
    const r = await pgOf(b).execute<{ analyzed: boolean }>(sql`select last_analyze is not null as analyzed from pg_stat_user_tables where relname = 'certificates'`);
    expect(r.rows).toEqual([{ analyzed: true }]);
  });
});
