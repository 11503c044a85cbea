import { describe, expect, it } from 'vitest';
import { LOCK_MS, THROTTLE_WINDOW_MS, USER_FAILURE_LIMIT, afterFailure, lockedUntil, userThrottleKey, type ThrottleState } from './throttle';

const t0 = new Date('2026-03-01T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function fail(times: number, start?: ThrottleState, step = 1000) {
  let state = start;
  const locks: number[] = [];
  for (let i = 0; i < times; i++) {
    const r = afterFailure(state, at(i * step), USER_FAILURE_LIMIT);
    state = r.state;
    if (r.lockedNow) locks.push(i + 1);
  }
  return { state: state!, locks };
}

describe('sign-in throttle', () => {
  it('ok/locks on the fifth failure within the window, once', () => {
    const { state, locks } = fail(7);
    expect(locks).toEqual([USER_FAILURE_LIMIT]);
    expect(state.failures).toBe(7);
    expect(lockedUntil(state, at(10_000))?.getTime()).toBe(at(4000).getTime() + LOCK_MS);
  });

  it('ok/four failures do not lock', () => {
    const { state, locks } = fail(4);
    expect(locks).toEqual([]);
    expect(lockedUntil(state, at(5000))).toBeUndefined();
  });

  it('ok/a failure after the window starts a new count', () => {
    const { state } = fail(4);
    const r = afterFailure(state, at(THROTTLE_WINDOW_MS + 10_000), USER_FAILURE_LIMIT);
    expect(r.state.failures).toBe(1);
    expect(r.lockedNow).toBe(false);
  });

  it('ok/the lock ends after its time', () => {
    const { state } = fail(5);
    expect(lockedUntil(state, at(4000 + LOCK_MS + 1))).toBeUndefined();
  });

  it('ok/user keys ignore case and spaces', () => {
    expect(userThrottleKey(' Alice ')).toBe('user:alice');
  });
});
