'use client';

import { useState } from 'react';
import type { Role } from '@/lib/auth/roles';
import { Field, FormAlert, useValidatedForm } from '@/app/_components/form';
import { createUserAction } from './actions';
import { ROLE_DESCRIPTIONS, createUserSchema } from './schema';

export function CreateUserForm() {
  const { formProps, errors, error, pending, state } = useValidatedForm(createUserSchema, createUserAction, { resetOnSuccess: true });
  const [role, setRole] = useState<Role>('operator');
  return (
    <form className="form" {...formProps} aria-label="Create an account">
      <FormAlert error={error} />
      {state?.ok && state.data && (
        <div className="callout ok" role="status">
          Created {state.data.username}. Give them their password over a channel you trust; they can change it on their account page (their name, top right).
        </div>
      )}
      <Field label="User name" name="username" errors={errors} hint="Letters, digits, . _ @ -; stored in lowercase.">
        {(p) => <input {...p} type="text" required autoCapitalize="none" spellCheck={false} autoComplete="off" />}
      </Field>
      <Field label="Display name (optional)" name="displayName" errors={errors}>
        {(p) => <input {...p} type="text" autoComplete="off" />}
      </Field>
      <Field label="Role" name="role" errors={errors} hint={ROLE_DESCRIPTIONS[role]}>
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {(Object.keys(ROLE_DESCRIPTIONS) as Role[]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Password" name="password" errors={errors} hint="At least 12 characters.">
        {(p) => <input {...p} type="password" required autoComplete="new-password" />}
      </Field>
      <Field label="Password again" name="confirm" errors={errors}>
        {(p) => <input {...p} type="password" required autoComplete="new-password" />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending}>
          {pending ? 'Creating…' : 'Create account'}
        </button>
      </div>
    </form>
  );
}
