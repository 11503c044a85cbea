'use client';

import { Field, FormAlert, useValidatedForm } from '@/app/_components/form';
import { changeOwnPasswordAction } from '../users/actions';
import { changeOwnPasswordSchema } from '../users/schema';

export function ChangePasswordForm() {
  const { formProps, errors, error, pending, state } = useValidatedForm(changeOwnPasswordSchema, changeOwnPasswordAction, { resetOnSuccess: true });
  return (
    <form className="form" {...formProps} aria-label="Change your password">
      <FormAlert error={error} />
      {state?.ok && (
        <div className="callout ok" role="status">
          Your password is changed. Your other sessions have ended.
        </div>
      )}
      <Field label="Current password" name="current" errors={errors}>
        {(p) => <input {...p} type="password" required autoComplete="current-password" />}
      </Field>
      <Field label="New password" name="password" errors={errors} hint="At least 12 characters.">
        {(p) => <input {...p} type="password" required autoComplete="new-password" />}
      </Field>
      <Field label="New password again" name="confirm" errors={errors}>
        {(p) => <input {...p} type="password" required autoComplete="new-password" />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="button" disabled={pending}>
          {pending ? 'Saving…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
