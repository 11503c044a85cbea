'use server';

import { revalidatePath } from 'next/cache';
import { CaError } from '@/lib/ca/errors';
import { verifyPassword } from '@/lib/auth/password';
import { formatDateTime } from '@/app/_components/format';
import { validatedActionWithUser } from '@/app/_lib/action';
import type { ActionState } from '@/app/_lib/action-state';
import { inPasswordQueue, type SessionUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { changeOwnPasswordSchema, createUserSchema, resetPasswordSchema, updateUserSchema } from './schema';

const actorOf = (user: SessionUser) => ({ id: user.actorId, sourceIp: user.sourceIp, sessionId: user.sessionId });

export const createUserAction = validatedActionWithUser(createUserSchema, 'user:manage', async (input, user) => {
  const created = await runtime().accounts.createUser({
    username: input.username,
    displayName: input.displayName || undefined,
    role: input.role,
    password: input.password,
    createdBy: user.actorId,
    sourceIp: user.sourceIp,
  });
  revalidatePath('/users');
  return { ok: true, data: { username: created.username } };
});

export const updateUserAction = validatedActionWithUser(updateUserSchema, 'user:manage', async (input, user) => {
  if (input.id === user.id && (input.disabled || (input.role && input.role !== user.role))) {
    throw new CaError('forbidden', 'You cannot disable your own account or change your own role: ask another administrator.');
  }
  await runtime().accounts.updateUser({ id: input.id, role: input.role, disabled: input.disabled }, actorOf(user));
  revalidatePath('/users');
  return { ok: true };
});

export const resetPasswordAction = validatedActionWithUser(resetPasswordSchema, 'user:manage', async (input, user) => {
  await runtime().accounts.setUserPassword({ id: input.id, password: input.password }, { ...actorOf(user), sessionId: input.id === user.id ? user.sessionId : undefined });
  revalidatePath('/users');
  return { ok: true };
});

/** The answer while the user's name (or address) is locked: until when, to the minute, rounded up. */
function lockedState(until: Date): ActionState {
  const minute = new Date(Math.ceil(until.getTime() / 60_000) * 60_000);
  return {
    error: `Too many wrong passwords: password changes and sign-ins for this account are paused until ${formatDateTime(minute)}. Try again then, or ask an administrator to reset your password.`,
  };
}

/**
 * Any signed-in user with a password changes it; their other sessions end. The current
 * password is checked as a sign-in checks it (app/_lib/auth.ts), so a borrowed or stolen
 * session cannot guess it faster than the sign-in page allows: in line with the user's
 * other password checks, refused unchecked while their name or address is locked, and
 * each wrong one audited (SIGN_IN_FAILED, attempt "password_change") and counted
 * against the same throttle.
 */
export const changeOwnPasswordAction = validatedActionWithUser(changeOwnPasswordSchema, 'view', async (input, user) => {
  const { accounts } = runtime();
  const attempt = { username: user.username, sourceIp: user.sourceIp, attempt: 'password_change' } as const;
  return inPasswordQueue(user.username, user.sourceIp, async () => {
    const now = new Date();
    const row = await accounts.getUserById(user.id);
    if (!row?.passwordHash) throw new CaError('conflict', 'Your account signs in through single sign-on; it has no password here.');
    const locked = await accounts.signInLockedUntil({ username: user.username, sourceIp: user.sourceIp, now });
    if (locked) {
      await accounts.recordSignInFailure({ ...attempt, now, reason: 'locked' });
      return lockedState(locked);
    }
    if (!(await verifyPassword(input.current, row.passwordHash))) {
      const { lockedUntil } = await accounts.recordSignInFailure({ ...attempt, now, reason: 'password' });
      if (lockedUntil) return lockedState(lockedUntil);
      return { error: 'Some fields need attention.', fieldErrors: { current: ['That is not your current password.'] } };
    }
    await accounts.setUserPassword({ id: user.id, password: input.password }, actorOf(user));
    return { ok: true };
  });
});
