'use server';

import { revalidatePath } from 'next/cache';
import { CaError } from '@/lib/ca/errors';
import { verifyPassword } from '@/lib/auth/password';
import { validatedActionWithUser } from '@/app/_lib/action';
import type { SessionUser } from '@/app/_lib/auth';
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

/** Any signed-in user with a password changes it; their other sessions end. */
export const changeOwnPasswordAction = validatedActionWithUser(changeOwnPasswordSchema, 'view', async (input, user) => {
  const { accounts } = runtime();
  const row = await accounts.getUserById(user.id);
  if (!row?.passwordHash) throw new CaError('conflict', 'Your account signs in through single sign-on; it has no password here.');
  if (!(await verifyPassword(input.current, row.passwordHash))) {
    return { error: 'Some fields need attention.', fieldErrors: { current: ['That is not your current password.'] } };
  }
  await accounts.setUserPassword({ id: user.id, password: input.password }, actorOf(user));
  return { ok: true };
});
