/**
 * Sign-in throttling: a user name is locked after 5 failures within 15 minutes, a
 * source address after 20 (it may be trying many names). A lock lasts 15 minutes;
 * while it holds, passwords are not even checked. Locking works the same for names
 * that do not exist, so it tells an attacker nothing about which accounts do.
 */

export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;
export const USER_FAILURE_LIMIT = 5;
export const IP_FAILURE_LIMIT = 20;

export interface ThrottleState {
  failures: number;
  firstFailureAt: Date;
  lockedUntil: Date | null;
}

export const userThrottleKey = (username: string): string => `user:${username.trim().toLowerCase()}`;
export const ipThrottleKey = (ip: string): string => `ip:${ip}`;

export function lockedUntil(state: ThrottleState | undefined, now: Date): Date | undefined {
  return state?.lockedUntil && state.lockedUntil > now ? state.lockedUntil : undefined;
}

/**
 * The state after one more failure. A failure outside the window starts a new count;
 * reaching `limit` sets the lock (`lockedNow` tells the caller to audit it once).
 */
export function afterFailure(state: ThrottleState | undefined, now: Date, limit: number): { state: ThrottleState; lockedNow: boolean } {
  const fresh = !state || now.getTime() - state.firstFailureAt.getTime() > THROTTLE_WINDOW_MS;
  const failures = fresh ? 1 : state.failures + 1;
  const firstFailureAt = fresh ? now : state.firstFailureAt;
  const alreadyLocked = Boolean(lockedUntil(state, now));
  const lockedNow = !alreadyLocked && failures >= limit;
  return {
    state: { failures, firstFailureAt, lockedUntil: lockedNow ? new Date(now.getTime() + LOCK_MS) : alreadyLocked ? state!.lockedUntil : null },
    lockedNow,
  };
}
