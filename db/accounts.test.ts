import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_MS, USER_FAILURE_LIMIT } from '../lib/auth/throttle';
import { openDatabase, type Db } from './client';
import { createAccounts, type Accounts } from './accounts';
import { sessionKey } from './sessions';
import { tempDir } from '../test/helpers/paths';

let tmp: ReturnType<typeof tempDir>;
let db: Db;
let accounts: Accounts;
const t0 = new Date('2026-03-01T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const audit = (action: string) => db.$client.prepare('select actor, target, source_ip, outcome, details from audit_log where action = ? order by id').all(action) as { actor: string; target: string; source_ip: string; outcome: string; details: string }[];

beforeEach(() => {
  tmp = tempDir();
  db = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(__dirname, 'migrations') });
  accounts = createAccounts(db);
});

afterEach(() => {
  db.$client.close();
  tmp.remove();
});

const actor = { id: 'user:root', sourceIp: '10.0.0.1' };

describe('sessions', () => {
  it('ok/a session is good until it ends, expires, or its user is disabled', async () => {
    const admin = await accounts.createUser({ username: 'root', role: 'admin', password: 'long enough password', createdBy: 'test' });
    const bob = await accounts.createUser({ username: 'Bob', role: 'operator', password: 'long enough password', createdBy: 'test' });
    const sid = await accounts.startSession({ userId: bob.id, username: bob.username, provider: 'credentials', sourceIp: '10.0.0.2', now: t0, expiresAt: at(3600_000) });
    expect(await accounts.getActiveSession({ id: sid, now: at(1000) })).toMatchObject({ userId: bob.id, username: 'bob', role: 'operator' });
    expect(await accounts.getActiveSession({ id: sid, now: at(3600_000) })).toBeUndefined();
    // The role is read at each check, so a change applies at once.
    await accounts.updateUser({ id: bob.id, role: 'auditor' }, actor);
    expect((await accounts.getActiveSession({ id: sid, now: at(1000) }))?.role).toBe('auditor');
    await accounts.updateUser({ id: bob.id, disabled: true }, actor);
    expect(await accounts.getActiveSession({ id: sid, now: at(1000) })).toBeUndefined();
    await accounts.updateUser({ id: bob.id, disabled: false }, actor);
    // Disabling ended the session for good.
    expect(await accounts.getActiveSession({ id: sid, now: at(1000) })).toBeUndefined();
    const sid2 = await accounts.startSession({ userId: admin.id, username: 'root', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    expect(await accounts.endSession({ id: sid2, now: at(5), sourceIp: '10.0.0.1' })).toBe(true);
    expect(await accounts.endSession({ id: sid2, now: at(6), sourceIp: '10.0.0.1' })).toBe(false);
    expect(await accounts.getActiveSession({ id: sid2, now: at(10) })).toBeUndefined();
    expect(audit('SIGN_IN').map((r) => r.source_ip)).toEqual(['10.0.0.2', null]);
    expect(audit('SIGN_OUT')).toHaveLength(1);
    expect(audit('USER_DISABLED')).toHaveLength(1);
  });

  it('fail/the last enabled administrator can be neither demoted nor disabled', async () => {
    const root = await accounts.createUser({ username: 'root', role: 'admin', password: 'long enough password', createdBy: 'test' });
    await expect(accounts.updateUser({ id: root.id, role: 'operator' }, actor)).rejects.toThrow(/at least one enabled administrator/);
    await expect(accounts.updateUser({ id: root.id, disabled: true }, actor)).rejects.toThrow(/at least one enabled administrator/);
    const second = await accounts.createUser({ username: 'second', role: 'admin', password: 'long enough password', createdBy: 'test' });
    await accounts.updateUser({ id: root.id, role: 'operator' }, actor);
    await expect(accounts.updateUser({ id: second.id, disabled: true }, actor)).rejects.toThrow(/at least one enabled administrator/);
  });

  it('ok/a password reset ends the sessions, except the one that made it', async () => {
    const u = await accounts.createUser({ username: 'carol', role: 'auditor', password: 'long enough password', createdBy: 'test' });
    const a = await accounts.startSession({ userId: u.id, username: 'carol', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    const b = await accounts.startSession({ userId: u.id, username: 'carol', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    await accounts.setUserPassword({ id: u.id, password: 'another long password' }, { id: 'user:carol', sourceIp: null, sessionId: a });
    expect(await accounts.getActiveSession({ id: a, now: at(1) })).toBeDefined();
    expect(await accounts.getActiveSession({ id: b, now: at(1) })).toBeUndefined();
    await expect(accounts.setUserPassword({ id: u.id, password: 'short' }, actor)).rejects.toThrow(/at least 12/);
    expect(JSON.parse(audit('USER_UPDATED')[0]!.details)).toEqual({ password: 'changed' });
  });
});

describe('session ids at rest', () => {
  /** Every byte the database keeps on disk: the file, its write-ahead log and shared memory. */
  const onDisk = (): Buffer => Buffer.concat(readdirSync(tmp.path).map((f) => readFileSync(join(tmp.path, f))));
  const sessionIds = () => (db.$client.prepare('select id from sessions order by created_at').all() as { id: string }[]).map((r) => r.id);

  it('fail/a copy of the database holds no usable session id: only its SHA-256', async () => {
    const u = await accounts.createUser({ username: 'root', role: 'admin', password: 'long enough password', createdBy: 'test' });
    const sid = await accounts.startSession({ userId: u.id, username: 'root', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    expect(sessionIds()).toEqual([sessionKey(sid)]);
    expect(sessionKey(sid)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const bytes = onDisk();
    expect(bytes.includes(sessionKey(sid)), 'the hash is on disk (so the search sees the table)').toBe(true);
    expect(bytes.includes(sid), 'the cookie id is nowhere on disk').toBe(false);
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    expect(onDisk().includes(sid)).toBe(false);
    // What is in the table, presented as a cookie's id, is no session and ends none.
    const stolen = sessionIds()[0]!;
    expect(await accounts.getActiveSession({ id: stolen, now: at(1) })).toBeUndefined();
    expect(await accounts.endSession({ id: stolen, now: at(1), sourceIp: null })).toBe(false);
    // The cookie's id still is, and callers get that same id back (to end it with).
    expect(await accounts.getActiveSession({ id: sid, now: at(1) })).toMatchObject({ sessionId: sid, userId: u.id });
    expect(await accounts.endSession({ id: sid, now: at(2), sourceIp: null })).toBe(true);
    expect(await accounts.getActiveSession({ id: sid, now: at(3) })).toBeUndefined();
  });

  it('fail/a row from before ids were hashed (raw id as key) no longer matches its cookie', async () => {
    const u = await accounts.createUser({ username: 'old', role: 'admin', password: 'long enough password', createdBy: 'test' });
    const raw = 'pre-upgrade-session-id-0123456789abcdef';
    db.$client.prepare('insert into sessions (id, user_id, created_at, expires_at) values (?, ?, ?, ?)').run(raw, u.id, t0.getTime(), at(3600_000).getTime());
    expect(await accounts.getActiveSession({ id: raw, now: at(1) })).toBeUndefined();
    expect(await accounts.endSession({ id: raw, now: at(1), sourceIp: null })).toBe(false);
    // The row is good in every other way: keyed by the hash, the same cookie works.
    db.$client.prepare('update sessions set id = ? where id = ?').run(sessionKey(raw), raw);
    expect(await accounts.getActiveSession({ id: raw, now: at(1) })).toMatchObject({ sessionId: raw, userId: u.id });
  });

  it('ok/a password change keeps the session that made it, named by its cookie id; disabling ends all', async () => {
    await accounts.createUser({ username: 'root', role: 'admin', password: 'long enough password', createdBy: 'test' });
    const u = await accounts.createUser({ username: 'hana', role: 'operator', password: 'long enough password', createdBy: 'test' });
    const open = () => accounts.startSession({ userId: u.id, username: 'hana', provider: 'credentials', sourceIp: null, now: t0, expiresAt: at(3600_000) });
    const [a, b, c] = [await open(), await open(), await open()];
    // Keeping a session by the hash the table holds keeps none.
    await accounts.setUserPassword({ id: u.id, password: 'another long password' }, { id: 'user:hana', sourceIp: null, sessionId: sessionKey(a) });
    expect(await accounts.getActiveSession({ id: a, now: at(1) })).toBeUndefined();
    const [d, e] = [await open(), await open()];
    await accounts.setUserPassword({ id: u.id, password: 'a third long password' }, { id: 'user:hana', sourceIp: null, sessionId: d });
    expect(await accounts.getActiveSession({ id: d, now: at(1) })).toMatchObject({ sessionId: d });
    for (const gone of [b, c, e]) expect(await accounts.getActiveSession({ id: gone, now: at(1) })).toBeUndefined();
    await accounts.updateUser({ id: u.id, disabled: true }, actor);
    await accounts.updateUser({ id: u.id, disabled: false }, actor);
    expect(await accounts.getActiveSession({ id: d, now: at(1) })).toBeUndefined();
    expect(db.$client.prepare('select count(*) n from sessions where ended_at is null').get()).toEqual({ n: 0 });
  });
});

describe('sign-in throttle', () => {
  it('ok/wrong current passwords on a password change count against the name like sign-ins, audited as such', async () => {
    const results = [];
    for (let i = 1; i <= USER_FAILURE_LIMIT; i++) {
      results.push(await accounts.recordSignInFailure({ username: 'Ivo', sourceIp: '192.0.2.8', now: at(i), reason: 'password', attempt: 'password_change' }));
    }
    expect(results.map((r) => Boolean(r.lockedUntil))).toEqual([...Array(USER_FAILURE_LIMIT - 1).fill(false), true]);
    // The same lock a sign-in meets, from any address.
    expect(await accounts.signInLockedUntil({ username: 'ivo', sourceIp: '198.51.100.1', now: at(100) })).toEqual(results.at(-1)!.lockedUntil);
    await accounts.recordSignInFailure({ username: 'ivo', sourceIp: '192.0.2.8', now: at(200), reason: 'locked', attempt: 'password_change' });
    // Sign-in failures keep their entries as they were.
    await accounts.recordSignInFailure({ username: 'ivo', sourceIp: '192.0.2.8', now: at(300), reason: 'locked' });
    expect(audit('SIGN_IN_FAILED').map((r) => [r.actor, r.target, r.source_ip, r.outcome, JSON.parse(r.details)])).toEqual([
      ...Array.from({ length: USER_FAILURE_LIMIT }, () => ['user:ivo', 'ivo', '192.0.2.8', 'failure', { reason: 'password', attempt: 'password_change' }]),
      ['user:ivo', 'ivo', '192.0.2.8', 'failure', { reason: 'locked', attempt: 'password_change' }],
      ['user:ivo', 'ivo', '192.0.2.8', 'failure', { reason: 'locked' }],
    ]);
    expect(audit('SIGN_IN_LOCKED')).toEqual([expect.objectContaining({ target: 'ivo', source_ip: '192.0.2.8' })]);
  });

  it('ok/locks a name after 5 failures, audits it once, and the lock ends', async () => {
    const results = [];
    for (const i of [1, 2, 3, 4, 5]) results.push(await accounts.recordSignInFailure({ username: 'Dave', sourceIp: '192.0.2.7', now: at(i * 1000), reason: 'password' }));
    expect(results.slice(0, 4).every((r) => !r.lockedUntil)).toBe(true);
    expect(results[4]!.lockedUntil?.getTime()).toBe(at(5000).getTime() + LOCK_MS);
    expect(await accounts.signInLockedUntil({ username: 'dave', sourceIp: '198.51.100.1', now: at(6000) })).toBeDefined();
    expect(await accounts.signInLockedUntil({ username: 'dave', sourceIp: null, now: at(5000 + LOCK_MS + 1) })).toBeUndefined();
    // Refusals during the lock are audited but do not extend it.
    await accounts.recordSignInFailure({ username: 'dave', sourceIp: '192.0.2.7', now: at(7000), reason: 'locked' });
    expect(await accounts.signInLockedUntil({ username: 'dave', sourceIp: null, now: at(5000 + LOCK_MS + 1) })).toBeUndefined();
    expect(audit('SIGN_IN_FAILED')).toHaveLength(6);
    expect(audit('SIGN_IN_LOCKED')).toEqual([expect.objectContaining({ target: 'dave', source_ip: '192.0.2.7', outcome: 'failure' })]);
  });

  it('ok/an address is locked after 20 failures across names, and a sign-in clears only the name', async () => {
    for (let i = 0; i < 20; i++) await accounts.recordSignInFailure({ username: `user${i}`, sourceIp: '203.0.113.9', now: at(i), reason: 'unknown_user' });
    expect(await accounts.signInLockedUntil({ username: 'fresh', sourceIp: '203.0.113.9', now: at(100) })).toBeDefined();
    expect(await accounts.signInLockedUntil({ username: 'fresh', sourceIp: '203.0.113.10', now: at(100) })).toBeUndefined();
    const eve = await accounts.createUser({ username: 'eve', role: 'auditor', password: 'long enough password', createdBy: 'test' });
    for (let i = 0; i < 3; i++) await accounts.recordSignInFailure({ username: 'eve', sourceIp: '198.51.100.3', now: at(i), reason: 'password' });
    await accounts.startSession({ userId: eve.id, username: 'eve', provider: 'credentials', sourceIp: '198.51.100.3', now: at(10), expiresAt: at(100_000) });
    for (let i = 0; i < 4; i++) await accounts.recordSignInFailure({ username: 'eve', sourceIp: '198.51.100.3', now: at(20 + i), reason: 'password' });
    expect(await accounts.signInLockedUntil({ username: 'eve', sourceIp: null, now: at(30) })).toBeUndefined();
  });
});

describe('single-sign-on accounts', () => {
  it('ok/are created with the mapped role, follow the map, and never take over a password account', async () => {
    const u = await accounts.upsertSsoUser({ username: 'Fran@Example.org', provider: 'oidc', role: 'auditor', sourceIp: null });
    expect(u).toMatchObject({ username: 'fran@example.org', role: 'auditor', passwordHash: null });
    expect((await accounts.upsertSsoUser({ username: 'fran@example.org', provider: 'oidc', role: 'operator', sourceIp: null })).role).toBe('operator');
    await accounts.createUser({ username: 'gil@example.org', role: 'admin', password: 'long enough password', createdBy: 'test' });
    await expect(accounts.upsertSsoUser({ username: 'gil@example.org', provider: 'oidc', role: 'admin', sourceIp: null })).rejects.toThrow(/password account/);
    await accounts.updateUser({ id: u.id, disabled: true }, actor);
    await expect(accounts.upsertSsoUser({ username: 'fran@example.org', provider: 'oidc', role: 'operator', sourceIp: null })).rejects.toThrow(/disabled/);
  });
});
