/**
 * Portal sessions and "change my password" against a real server (the Next.js build
 * and the SQLite database), tried the way an attacker would:
 *
 * 1. With a copy of the database file — which holds next-auth's signing secret
 *    (settings.auth_secret) — forge an administrator's session cookie. The sessions
 *    table holds only the SHA-256 of each session id (db/sessions.ts `sessionKey`), so
 *    the cookie's id is nowhere in the file and a cookie built from what is there is
 *    refused; the same forgery with the cookie's real id is accepted, which shows the
 *    hash is all that stands in the way.
 * 2. With a signed-in session, guess the account's password through the "change my
 *    password" action: wrong current passwords count against the sign-in lock, the
 *    right one is refused while it holds, parallel bursts get no more guesses than a
 *    sequence, and every failure is audited.
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'next-auth/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDateTime } from '@/app/_components/format';
import { sessionKey } from '@/db/sessions';
import { USER_FAILURE_LIMIT } from '@/lib/auth/throttle';
import { callAction, serverActions, type ServerAction } from '../e2e/actions';
import { httpsRequest, type Response } from '../helpers/https';
import { TEST_ADMIN_PASSWORD, startFedpki, type Fedpki } from '../helpers/server';
import { queryFile, writeFile } from '../helpers/sqlite-file';

const SESSION_COOKIE = '__Secure-next-auth.session-token';
const NOT_SIGNED_IN = 'You are not signed in, or your session has ended: sign in again.';
const WRONG_CURRENT = 'That is not your current password.';
const LOCKED = 'Too many wrong passwords';
const KIM = { username: 'kim', password: 'kim password number 1' };
const LEE = { username: 'lee', password: 'lee password number 1' };
const NEW_PASSWORD = 'a brand new password 2';

let srv: Fedpki;
let actions: Map<string, ServerAction>;

const query = <T>(sql: string, ...args: unknown[]): T[] => queryFile<T>(srv.dataDir, sql, ...args);

const write = (sql: string, ...args: unknown[]): void => writeFile(srv.dataDir, sql, ...args);

const get = (path: string, cookie?: string) => httpsRequest(srv.origin + path, { insecure: true, headers: cookie ? { Cookie: cookie } : {} });

function cookiePairs(r: Response): string[] {
  const h = r.headers['set-cookie'];
  return (Array.isArray(h) ? h : h ? [h] : []).map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='));
}

/** next-auth's credentials sign-in, as the sign-in page posts it: the session cookie ("name=value"), or the error code. */
async function signIn(username: string, password: string): Promise<{ cookie?: string; error?: string }> {
  const csrf = await get('/api/auth/csrf');
  const csrfCookie = cookiePairs(csrf).find((c) => c.includes('next-auth.csrf-token='))!;
  const fields = { username, password, csrfToken: (csrf.json as { csrfToken: string }).csrfToken, callbackUrl: `${srv.origin}/`, json: 'true' };
  const r = await httpsRequest(`${srv.origin}/api/auth/callback/credentials`, {
    method: 'POST',
    raw: new URLSearchParams(fields).toString(),
    insecure: true,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie, Origin: srv.origin },
  });
  const cookie = cookiePairs(r).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (cookie) return { cookie };
  const url = new URL((r.json as { url?: string } | undefined)?.url ?? String(r.headers.location ?? '/'), srv.origin);
  return { error: url.searchParams.get('error') ?? 'none' };
}

async function sessionCookieOf(user: { username: string; password: string }): Promise<string> {
  const r = await signIn(user.username, user.password);
  expect(r.error, user.username).toBeUndefined();
  return r.cookie!;
}

const authSecret = () => JSON.parse(query<{ value: string }>("select value from settings where key = 'auth_secret'")[0]!.value) as string;
const userId = (username: string) => query<{ id: string }>('select id from users where username = ?', username)[0]!.id;
const passwordHash = (username: string) => query<{ password_hash: string }>('select password_hash from users where username = ?', username)[0]!.password_hash;

type Outcome = 'wrong' | 'locked' | 'changed' | 'other';

/** One "change my password" request, and what the form would show. */
async function changePassword(cookie: string, current: string): Promise<{ outcome: Outcome; text: string }> {
  const r = await callAction(srv.origin, actions.get('changeOwnPasswordAction')!, { current, password: NEW_PASSWORD, confirm: NEW_PASSWORD }, cookie);
  const outcome: Outcome = r.text.includes(WRONG_CURRENT) ? 'wrong' : r.text.includes(LOCKED) ? 'locked' : r.text.includes('"ok":true') ? 'changed' : 'other';
  return { outcome, text: r.text };
}

const failuresOf = (username: string) =>
  query<{ actor: string; source_ip: string | null; outcome: string; details: string }>("select actor, source_ip, outcome, details from audit_log where action = 'SIGN_IN_FAILED' and target = ? order by id", username).map(
    (r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }),
  );
const locksOf = (username: string) =>
  query<{ details: string }>("select details from audit_log where action = 'SIGN_IN_LOCKED' and target = ? order by id", username).map((r) => JSON.parse(r.details) as { until: string; failures: number });

beforeAll(async () => {
  srv = await startFedpki({ apiOnly: false, database: 'sqlite', env: { FEDPKI_ADMIN_USERNAME: 'admin', FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } });
  actions = serverActions();
  for (const [user, role] of [
    [KIM, 'auditor'],
    [LEE, 'operator'],
  ] as const) {
    const file = join(srv.dataDir, '..', `${user.username}-password`);
    writeFileSync(file, `${user.password}\n`, { mode: 0o600 });
    const r = srv.cli(['user', 'add', '-u', user.username, '--role', role, '-p', srv.dataDir, '--password-file', file]);
    expect(r.status, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

describe('session ids at rest', () => {
  it('fail/a copy of the database file holds no cookie session id, and a cookie forged from it with the stored secret is refused', async () => {
    const adminCookie = await sessionCookieOf({ username: 'admin', password: TEST_ADMIN_PASSWORD });
    expect((await get('/api/audit/export', adminCookie)).status).toBe(200);
    const secret = authSecret();
    const claims = await decode({ token: adminCookie.slice(SESSION_COOKIE.length + 1), secret });
    const sid = claims?.sid;
    expect(sid, 'the cookie carries a session id').toMatch(/^[A-Za-z0-9_-]{32}$/);

    // Everything SQLite keeps on disk: the file, its write-ahead log and shared memory.
    const files = readdirSync(srv.dataDir).filter((f) => f.startsWith('fedpki.db'));
    expect(files).toContain('fedpki.db');
    const disk = Buffer.concat(files.map((f) => readFileSync(join(srv.dataDir, f))));
    expect(disk.includes(sessionKey(sid!)), 'the session row is on disk, under the hash of its id').toBe(true);
    expect(disk.includes(sid!), 'the cookie id is nowhere on disk').toBe(false);
    expect(disk.includes(Buffer.from(sid!, 'base64url')), 'nor are its bytes').toBe(false);

    // The attacker's forgery: next-auth's own encoding, the stored secret, an admin's
    // claims and a session id from the table. Pages, downloads and actions refuse it.
    const stored = query<{ id: string }>('select id from sessions where ended_at is null');
    expect(stored.map((r) => r.id)).toContain(sessionKey(sid!));
    const asAdmin = { sub: userId('admin'), name: 'admin', role: 'admin' as const };
    for (const { id } of stored) {
      const forged = `${SESSION_COOKIE}=${await encode({ token: { ...asAdmin, sid: id }, secret })}`;
      expect((await get('/api/audit/export', forged)).status, id).toBe(401);
      const page = await get('/users', forged);
      expect([307, 303], id).toContain(page.status);
      expect(new URL(String(page.headers.location), srv.origin).pathname, id).toBe('/login');
      const r = await callAction(srv.origin, actions.get('createUserAction')!, { username: 'forged-admin', role: 'admin', password: 'forged admin password', confirm: 'forged admin password' }, forged);
      expect(r.text, id).toContain(NOT_SIGNED_IN);
    }
    expect(query('select count(*) n from users where username = ?', 'forged-admin')).toEqual([{ n: 0 }]);

    // The control: the same forgery with the cookie's own id (which a copy of the
    // database does not give) is accepted — the hash is what refused the others.
    const withRealId = `${SESSION_COOKIE}=${await encode({ token: { ...asAdmin, sid }, secret })}`;
    expect((await get('/api/audit/export', withRealId)).status).toBe(200);

    // Signing out (by the cookie's id) ends the row the hash names.
    const out = await callAction(srv.origin, actions.get('signOutAction')!, {}, adminCookie);
    expect(out.status).toBeLessThan(400);
    expect(query<{ ended: number }>('select ended_at is not null ended from sessions where id = ?', sessionKey(sid!))).toEqual([{ ended: 1 }]);
    expect((await get('/api/audit/export', adminCookie)).status).toBe(401);
    expect((await get('/api/audit/export', withRealId)).status).toBe(401);
  });
});

describe('change my password', () => {
  it('fail/wrong current passwords lock the account like sign-ins; the right one is refused while locked; each failure is audited', async () => {
    const cookie = await sessionCookieOf(KIM);
    const other = await sessionCookieOf(KIM);
    const before = passwordHash(KIM.username);
    const outcomes: Outcome[] = [];
    for (let i = 1; i <= 12; i++) outcomes.push((await changePassword(cookie, `wrong guess number ${i}`)).outcome);
    expect(outcomes).toEqual([...Array<Outcome>(USER_FAILURE_LIMIT - 1).fill('wrong'), ...Array<Outcome>(12 - USER_FAILURE_LIMIT + 1).fill('locked')]);

    // The right password, while the lock holds: refused, with until when.
    const right = await changePassword(cookie, KIM.password);
    expect(right.outcome).toBe('locked');
    const [lock] = locksOf(KIM.username);
    expect(lock?.failures).toBe(USER_FAILURE_LIMIT);
    const until = new Date(Math.ceil(new Date(lock!.until).getTime() / 60_000) * 60_000);
    expect(right.text).toContain(`paused until ${formatDateTime(until)}`);
    expect(passwordHash(KIM.username)).toBe(before);

    // The same lock holds for sign-in, and the session itself goes on.
    expect(await signIn(KIM.username, KIM.password)).toEqual({ error: 'locked' });
    expect((await get('/api/audit/export', cookie)).status).toBe(200);

    const failures = failuresOf(KIM.username);
    const changes = failures.filter((f) => f.details.attempt === 'password_change');
    expect(changes.map((f) => f.details.reason)).toEqual([...Array<string>(USER_FAILURE_LIMIT).fill('password'), ...Array<string>(13 - USER_FAILURE_LIMIT).fill('locked')]);
    expect(changes.every((f) => f.actor === 'user:kim' && f.outcome === 'failure' && f.source_ip === '127.0.0.1')).toBe(true);
    expect(failures.filter((f) => f.details.attempt === undefined).map((f) => f.details.reason)).toEqual(['locked']);
    expect(locksOf(KIM.username)).toHaveLength(1);

    // Once the lock is over, the right password changes it as before: the other
    // session ends, this one stays, and the new password signs in.
    write("delete from sign_in_throttle where key = 'user:kim'");
    expect((await changePassword(cookie, KIM.password)).outcome).toBe('changed');
    expect(passwordHash(KIM.username)).not.toBe(before);
    expect((await get('/api/audit/export', cookie)).status).toBe(200);
    expect((await get('/api/audit/export', other)).status).toBe(401);
    expect((await signIn(KIM.username, NEW_PASSWORD)).cookie).toBeDefined();
    expect(failuresOf(KIM.username)).toHaveLength(failures.length);
  });

  it('fail/a parallel burst of guesses gets no more than a sequence', async () => {
    const cookie = await sessionCookieOf(LEE);
    const burst = 12;
    const results = await Promise.all(Array.from({ length: burst }, (_, i) => changePassword(cookie, `parallel guess ${i}`)));
    // Each request waits for the ones before it (whatever order they arrive in), so
    // exactly USER_FAILURE_LIMIT are checked and counted, and the rest meet the lock.
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'wrong')).toHaveLength(USER_FAILURE_LIMIT - 1);
    expect(outcomes.filter((o) => o === 'locked')).toHaveLength(burst - USER_FAILURE_LIMIT + 1);
    const changes = failuresOf(LEE.username).filter((f) => f.details.attempt === 'password_change');
    expect(changes.filter((f) => f.details.reason === 'password')).toHaveLength(USER_FAILURE_LIMIT);
    expect(changes.filter((f) => f.details.reason === 'locked')).toHaveLength(burst - USER_FAILURE_LIMIT);
    expect(locksOf(LEE.username)).toHaveLength(1);
    expect((await changePassword(cookie, LEE.password)).outcome).toBe('locked');
  });
});
