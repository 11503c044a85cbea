/**
 * Portal sessions and the sign-in throttle on PostgreSQL (see ../sessions.ts). Every
 * instance reads the same session rows, so a session begun through one instance is
 * good at all of them, and signing out anywhere ends it everywhere on the next request.
 *
 * The throttle counts failures from every instance: each failure locks its counter rows
 * (user name, then address, in key order so two failures never wait on each other) and
 * computes the next count from what it holds. A counter that does not exist yet is
 * first inserted as a placeholder (`ON CONFLICT DO NOTHING`), which makes a concurrent
 * first failure wait for this one instead of both starting at one.
 *
 * Session rows are keyed by `sessionKey(id)`, the hash of the cookie's id, as on SQLite:
 * a copy of the database (which holds next-auth's secret too) gives no usable id. Rows
 * from before hold raw ids that no cookie's hash matches; their users sign in again.
 */

import { randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import { ActivityType, auditEntry } from '../../lib/ca/audit';
import { IP_FAILURE_LIMIT, USER_FAILURE_LIMIT, afterFailure, ipThrottleKey, lockedUntil, userThrottleKey, type ThrottleState } from '../../lib/auth/throttle';
import { laterLock, sessionKey, signInFailedAudit, signInLockedAudit, type ActiveSession, type SignInFailureParams, type StartSessionParams } from '../sessions';
import type { PgDb } from './client';
import { auditLog, sessions, signInThrottle, users } from './schema';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/**
 * The session, if it is still good at `now`: not ended, not expired, its user enabled.
 * Any cookie id is safe to look up (one with a NUL too, which PostgreSQL text refuses):
 * only its hash reaches the database.
 */
export async function getActiveSession(db: PgDb, { id, now }: { id: string; now: Date }): Promise<ActiveSession | undefined> {
  const [row] = await db
    .select({
      userId: users.id,
      username: users.username,
      displayName: users.displayName,
      role: users.role,
      provider: users.provider,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionKey(id)), isNull(sessions.endedAt), gt(sessions.expiresAt, now), eq(users.disabled, false)));
  return row && { sessionId: id, ...row };
}

/**
 * Records a successful sign-in: a new session, the user's throttle cleared, SIGN_IN audited.
 * @returns the session id for the cookie (the row holds only its `sessionKey`)
 */
export async function startSession(db: PgDb, p: StartSessionParams): Promise<string> {
  const id = randomBytes(24).toString('base64url');
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values({ id: sessionKey(id), userId: p.userId, createdAt: p.now, expiresAt: p.expiresAt, endedAt: null, sourceIp: p.sourceIp });
    await tx.delete(signInThrottle).where(eq(signInThrottle.key, userThrottleKey(p.username)));
    await tx.update(users).set({ lastSignInAt: p.now }).where(eq(users.id, p.userId));
    await tx
      .insert(auditLog)
      .values(auditEntry(ActivityType.SIGN_IN, { at: p.now, actor: `user:${p.username}`, sourceIp: p.sourceIp, target: p.username, details: { provider: p.provider } }));
  });
  return id;
}

/** Ends a session (sign-out). Returns false when it had already ended — also when two instances end it at once. */
export async function endSession(db: PgDb, p: { id: string; now: Date; sourceIp: string | null }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [ended] = await tx
      .update(sessions)
      .set({ endedAt: p.now })
      .where(and(eq(sessions.id, sessionKey(p.id)), isNull(sessions.endedAt)))
      .returning({ userId: sessions.userId });
    if (!ended) return false;
    const [user] = await tx.select({ username: users.username }).from(users).where(eq(users.id, ended.userId));
    const username = user?.username ?? '?';
    await tx.insert(auditLog).values(auditEntry(ActivityType.SIGN_OUT, { at: p.now, actor: `user:${username}`, sourceIp: p.sourceIp, target: username }));
    return true;
  });
}

/** Ends every open session of a user, except `keep` (a session id, as the cookie carries it; inside the caller's transaction). */
export async function endSessionsOf(tx: Tx, userId: string, now: Date, keep?: string): Promise<void> {
  await tx
    .update(sessions)
    .set({ endedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), keep ? ne(sessions.id, sessionKey(keep)) : undefined));
}

const stateOf = (r: typeof signInThrottle.$inferSelect): ThrottleState => ({ failures: r.failures, firstFailureAt: r.firstFailureAt, lockedUntil: r.lockedUntil });

/** When the user name or the address is locked, until when (the later of the two). */
export async function signInLockedUntil(db: PgDb, p: { username: string; sourceIp: string | null; now: Date }): Promise<Date | undefined> {
  const keys = [userThrottleKey(p.username), ...(p.sourceIp ? [ipThrottleKey(p.sourceIp)] : [])].filter((k) => !k.includes('\0'));
  const rows = new Map((await db.select().from(signInThrottle).where(inArray(signInThrottle.key, keys))).map((r) => [r.key, stateOf(r)]));
  const until = keys.map((k) => lockedUntil(rows.get(k), p.now)).filter((d): d is Date => Boolean(d));
  return until.length ? new Date(Math.max(...until.map((d) => d.getTime()))) : undefined;
}

/**
 * The counter row for `key`, locked until the transaction ends; undefined when there
 * was none (a placeholder now holds its place, overwritten by the caller).
 */
async function lockCounter(tx: Tx, key: string, now: Date): Promise<ThrottleState | undefined> {
  const placed = await tx.insert(signInThrottle).values({ key, failures: 0, firstFailureAt: now, lockedUntil: null }).onConflictDoNothing({ target: signInThrottle.key }).returning({ key: signInThrottle.key });
  if (placed.length) return undefined;
  const [row] = await tx.select().from(signInThrottle).where(eq(signInThrottle.key, key)).for('update');
  // Gone in between (a successful sign-in cleared it): counting starts afresh.
  return row ? stateOf(row) : undefined;
}

/**
 * Counts a failed sign-in (or a wrong current password on a password change) against
 * the user name and the address, audits it, and locks (auditing SIGN_IN_LOCKED once)
 * when a limit is reached — the same rules as ../sessions.ts, counted correctly when
 * the failures arrive through several instances.
 */
export async function recordSignInFailure(db: PgDb, p: SignInFailureParams): Promise<{ lockedUntil?: Date }> {
  const username = p.username.trim().toLowerCase().slice(0, 64).replaceAll('\0', '');
  const sourceIp = p.sourceIp?.includes('\0') ? null : p.sourceIp;
  return db.transaction(async (tx) => {
    const actor = `user:${username || '?'}`;
    await tx.insert(auditLog).values(signInFailedAudit(p, actor, username, sourceIp));
    if (p.reason === 'locked' || p.reason === 'sso_denied') return {};
    const limits: [string, number][] = [[userThrottleKey(username), USER_FAILURE_LIMIT]];
    if (sourceIp) limits.push([ipThrottleKey(sourceIp), IP_FAILURE_LIMIT]);
    // "ip:…" before "user:…": every transaction locks in the same order.
    limits.sort(([a], [b]) => (a < b ? -1 : 1));
    let locked: Date | undefined;
    for (const [key, limit] of limits) {
      const { state, lockedNow } = afterFailure(await lockCounter(tx, key, p.now), p.now, limit);
      await tx
        .insert(signInThrottle)
        .values({ key, ...state })
        .onConflictDoUpdate({ target: signInThrottle.key, set: state });
      if (lockedNow) await tx.insert(auditLog).values(signInLockedAudit(key, state, p.now, actor, username, sourceIp));
      locked = laterLock(locked, state, p.now);
    }
    return locked ? { lockedUntil: locked } : {};
  });
}
