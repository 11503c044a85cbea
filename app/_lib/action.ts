/**
 * The one wrapper every server action goes through: the session and role are checked
 * inside the action (a page that hides a form protects nothing — actions are public
 * endpoints), the form is validated with the zod schema the browser form also uses,
 * and errors become `{ error, fieldErrors }` for the form. CaError messages are meant
 * for people and pass through; anything else is logged and answered generically.
 */

import 'server-only';
import { z } from '@/app/_lib/zod';
import { isCaError } from '@/lib/ca/errors';
import type { Permission } from '@/lib/auth/roles';
import type { ActionState } from './action-state';
import { formObject } from './form-data';
import { checkPermission, type SessionUser } from './auth';
import { runtime } from './runtime';

export function validatedActionWithUser<S extends z.ZodType, T = undefined>(
  schema: S,
  permission: Permission,
  fn: (input: z.output<S>, user: SessionUser) => Promise<ActionState<T>>,
): (prev: ActionState<T> | null, formData: FormData) => Promise<ActionState<T>> {
  return async (_prev, formData) => {
    const auth = await checkPermission(permission);
    if (!auth.ok) return { error: auth.message };
    const parsed = schema.safeParse(formObject(formData));
    if (!parsed.success) {
      return { error: 'Some fields need attention.', fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]> };
    }
    try {
      return await fn(parsed.data, auth.user);
    } catch (e) {
      if (isCaError(e)) return { error: e.message, fieldErrors: e.fieldErrors };
      if (e && typeof e === 'object' && 'digest' in e) throw e; // redirect() and notFound() from the action
      runtime().log.error('server action failed', { permission, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return { error: 'Something went wrong on the server; the change was not made. Try again, and check the server log if it persists.' };
    }
  };
}
