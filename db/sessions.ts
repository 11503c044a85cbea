/**
 * Portal sessions and the sign-in throttle. A session row backs every signed-in
 * browser: the JWT cookie only carries its id, and each request checks the row (not
 * ended, not expired, its user not disabled), so signing out or disabling an account
 * takes effect at once. Each change writes its audit entry in the same transaction.
 *
 * The row is keyed by a hash of the id (`sessionKey`), never the id itself: next-auth's
 * signing secret is in the database too (settings.auth_secret), so a copy of the
 * database file holding live ids would be enough to forge any signed-in user's cookie.
 * Functions here take and return the raw id; only its hash reaches the database.
 */

import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import { ActivityType, auditEntry, type AuditEntry } from '../lib/ca/audit';
import type { Role } from '../lib/auth/roles';
import { IP_FAILURE_LIMIT, USER_FAILURE_LIMIT, afterFailure, ipThrottleKey, lockedUntil, userThrottleKey, type ThrottleState } from '../lib/auth/throttle';
import type { Db } from './client';
import { auditLog, sessions, signInThrottle, users } from './schema';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * The `sessions.id` of the session whose cookie carries `id`: its SHA-256, base64url
 * (both databases). Rows written before session ids were hashed hold the raw id, which
 * no cookie's hash matches: those sessions simply end, and their users sign in again —
 * no migration is needed.
 */
export const sessionKey = (id: string): string => createHash('sha256').update(id, 'utf8').digest('base64url');

export interface ActiveSession {
  sessionId: string;
  userId: string;
  username: string;
  displayName: string | null;
  /** The user's role now (not when the session began). */
  role: Role;
  provider: string;
  expiresAt: Date;
}

/** The session, if it is still good at `now`: not ended, not expired, its user enabled. */
export function getActiveSession(db: Db, { id, now }: { id: string; now: Date }): ActiveSession | undefined {
  const row = db
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
    .where(and(eq(sessions.id, sessionKey(id)), isNull(sessions.endedAt), gt(sessions.expiresAt, now), eq(users.disabled, false)))
    .get();
  return row && { sessionId: id, ...row };
}

export interface StartSessionParams {
  userId: string;
  username: string;
  provider: string;
  sourceIp: string | null;
  now: Date;
  expiresAt: Date;
}

/**
 * Records a successful sign-in: a new session, the user's throttle cleared, SIGN_IN audited.
 * @returns the session id for the cookie (the row holds only its `sessionKey`)
 */
export function startSession(db: Db, p: StartSessionParams): string {
  const id = randomBytes(24).toString('base64url');
  db.transaction(
    (tx) => {
      tx.insert(sessions).values({ id: sessionKey(id), userId: p.userId, createdAt: p.now, expiresAt: p.expiresAt, endedAt: null, sourceIp: p.sourceIp }).run();
      tx.delete(signInThrottle).where(eq(signInThrottle.key, userThrottleKey(p.username))).run();
      tx.update(users).set({ lastSignInAt: p.now }).where(eq(users.id, p.userId)).run();
      tx.insert(auditLog)
        .values(auditEntry(ActivityType.SIGN_IN, { at: p.now, actor: `user:${p.username}`, sourceIp: p.sourceIp, target: p.username, details: { provider: p.provider } }))
        .run();
    },
    { behavior: 'immediate' },
  );
  return id;
}

/** Ends a session (sign-out). Returns false when it had already ended. */
export function endSession(db: Db, p: { id: string; now: Date; sourceIp: string | null }): boolean {
  const key = sessionKey(p.id);
  return db.transaction(
    (tx) => {
      const row = tx
        .select({ username: users.username })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.id, key), isNull(sessions.endedAt)))
        .get();
      if (!row) return false;
      tx.update(sessions).set({ endedAt: p.now }).where(eq(sessions.id, key)).run();
      tx.insert(auditLog)
        .values(auditEntry(ActivityType.SIGN_OUT, { at: p.now, actor: `user:${row.username}`, sourceIp: p.sourceIp, target: row.username }))
        .run();
      return true;
    },
    { behavior: 'immediate' },
  );
}

/** Ends every open session of a user, except `keep` (a session id, as the cookie carries it; inside the caller's transaction). */
export function endSessionsOf(tx: Tx, userId: string, now: Date, keep?: string): void {
  const where = and(eq(sessions.userId, userId), isNull(sessions.endedAt), keep ? ne(sessions.id, sessionKey(keep)) : undefined);
  tx.update(sessions).set({ endedAt: now }).where(where).run();
}

function throttleRows(db: Db | Tx, keys: string[]): Map<string, ThrottleState> {
  const rows = db.select().from(signInThrottle).where(inArray(signInThrottle.key, keys)).all();
  return new Map(rows.map((r) => [r.key, { failures: r.failures, firstFailureAt: r.firstFailureAt, lockedUntil: r.lockedUntil }]));
}

/** When the user name or the address is locked, until when (the later of the two). */
export function signInLockedUntil(db: Db, p: { username: string; sourceIp: string | null; now: Date }): Date | undefined {
  const keys = [userThrottleKey(p.username), ...(p.sourceIp ? [ipThrottleKey(p.sourceIp)] : [])];
  const rows = throttleRows(db, keys);
  const until = keys.map((k) => lockedUntil(rows.get(k), p.now)).filter((d): d is Date => Boolean(d));
  return until.length ? new Date(Math.max(...until.map((d) => d.getTime()))) : undefined;
}

export type SignInFailureReason = 'password' | 'unknown_user' | 'disabled' | 'locked' | 'sso_denied';

/**
 * What the password was given for. A signed-in user changing their password proves it
 * the way a sign-in does, so a wrong current password counts against the same throttle
 * (a stolen session must not guess faster than the sign-in page allows).
 */
export type PasswordAttempt = 'sign_in' | 'password_change';

export interface SignInFailureParams {
  username: string;
  sourceIp: string | null;
  now: Date;
  reason: SignInFailureReason;
  /** Default 'sign_in'; any other is named in the audit entry's details. */
  attempt?: PasswordAttempt;
}

/** The SIGN_IN_FAILED entry for a failed attempt (both databases). */
export function signInFailedAudit(p: SignInFailureParams, actor: string, username: string, sourceIp: string | null): AuditEntry {
  const details = { reason: p.reason, ...(p.attempt && p.attempt !== 'sign_in' ? { attempt: p.attempt } : {}) };
  return auditEntry(ActivityType.SIGN_IN_FAILED, { at: p.now, actor, sourceIp, target: username, outcome: 'failure', details });
}

/**
 * The SIGN_IN_LOCKED entry for a throttle key that has just locked (both databases).
 * @param key - userThrottleKey or ipThrottleKey
 */
export function signInLockedAudit(key: string, state: ThrottleState, at: Date, actor: string, username: string, sourceIp: string | null | undefined): AuditEntry {
  const byAddress = key.startsWith('ip:');
  return auditEntry(ActivityType.SIGN_IN_LOCKED, {
    at,
    actor,
    sourceIp,
    target: byAddress ? sourceIp : username,
    outcome: 'failure',
    details: { scope: byAddress ? 'address' : 'user', failures: state.failures, until: state.lockedUntil?.toISOString() },
  });
}

/** The later of a lock found so far and the one `state` holds, if that one is still running at `now`. */
export function laterLock(locked: Date | undefined, state: ThrottleState, now: Date): Date | undefined {
  return state.lockedUntil && state.lockedUntil > now && (!locked || state.lockedUntil > locked) ? state.lockedUntil : locked;
}

/**
 * Counts a failed sign-in (or a wrong current password on a password change) against
 * the user name and the address, audits it, and locks (auditing SIGN_IN_LOCKED) when a
 * limit is reached. An attempt refused because of a lock is audited but not counted,
 * so a lock is not extended by retries; nor is a single-sign-on identity the
 * allow-list refuses (no password was guessed).
 */
export function recordSignInFailure(db: Db, p: SignInFailureParams): { lockedUntil?: Date } {
  const username = p.username.trim().toLowerCase().slice(0, 64);
  return db.transaction(
    (tx) => {
      const actor = `user:${username || '?'}`;
      tx.insert(auditLog).values(signInFailedAudit(p, actor, username, p.sourceIp)).run();
      if (p.reason === 'locked' || p.reason === 'sso_denied') return {};
      const limits: [string, number][] = [[userThrottleKey(username), USER_FAILURE_LIMIT]];
      if (p.sourceIp) limits.push([ipThrottleKey(p.sourceIp), IP_FAILURE_LIMIT]);
      const rows = throttleRows(tx, limits.map(([k]) => k));
      let locked: Date | undefined;
      for (const [key, limit] of limits) {
        const { state, lockedNow } = afterFailure(rows.get(key), p.now, limit);
        tx.insert(signInThrottle)
          .values({ key, ...state })
          .onConflictDoUpdate({ target: signInThrottle.key, set: state })
          .run();
        if (lockedNow) tx.insert(auditLog).values(signInLockedAudit(key, state, p.now, actor, username, p.sourceIp)).run();
        locked = laterLock(locked, state, p.now);
      }
      return locked ? { lockedUntil: locked } : {};
    },
    { behavior: 'immediate' },
  );
}
