'use client';

import { useActionState, useState } from 'react';
import { z } from '@/app/_lib/zod';
import type { Role } from '@/lib/auth/roles';
import { SubmitButton } from '@/app/_components/form';
import { resetPasswordAction, updateUserAction } from './actions';
import { ROLE_DESCRIPTIONS, resetPasswordSchema } from './schema';

/** Role, enable/disable and password reset for one account row. */
export function UserRowActions({ id, username, role, disabled, hasPassword, self }: { id: string; username: string; role: Role; disabled: boolean; hasPassword: boolean; self: boolean }) {
  const [roleState, roleAction] = useActionState(updateUserAction, null);
  const [toggleState, toggleAction] = useActionState(updateUserAction, null);
  const [resetState, resetAction] = useActionState(resetPasswordAction, null);
  const [resetting, setResetting] = useState(false);
  const [resetError, setResetError] = useState<string>();
  const error = roleState?.error ?? toggleState?.error;
  if (self) return <span className="small muted">You</span>;
  return (
    <div className="row-actions">
      <form action={roleAction} className="row-form">
        <input type="hidden" name="id" value={id} />
        <label className="visually-hidden" htmlFor={`role-${id}`}>
          Role of {username}
        </label>
        <select id={`role-${id}`} name="role" defaultValue={role} className="compact">
          {(Object.keys(ROLE_DESCRIPTIONS) as Role[]).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <SubmitButton className="button secondary small" pendingText="Saving…">
          Save<span className="visually-hidden"> role of {username}</span>
        </SubmitButton>
      </form>
      <form action={toggleAction}>
        <input type="hidden" name="id" value={id} />
        <input type="hidden" name="disabled" value={disabled ? 'false' : 'true'} />
        <SubmitButton className={disabled ? 'button secondary small' : 'button danger small'}>
          {disabled ? 'Enable' : 'Disable'}
          <span className="visually-hidden"> {username}</span>
        </SubmitButton>
      </form>
      {hasPassword &&
        (resetting ? (
          <form
            action={resetAction}
            className="row-form"
            onSubmit={(e) => {
              const r = resetPasswordSchema.safeParse(Object.fromEntries(new FormData(e.currentTarget)));
              if (!r.success) {
                e.preventDefault();
                setResetError(z.flattenError(r.error).fieldErrors.password?.[0]);
              } else setResetError(undefined);
            }}
          >
            <input type="hidden" name="id" value={id} />
            <label className="visually-hidden" htmlFor={`pw-${id}`}>
              New password for {username}
            </label>
            <input id={`pw-${id}`} name="password" type="password" autoComplete="new-password" placeholder="New password" className="compact" aria-invalid={Boolean(resetError ?? resetState?.fieldErrors?.password)} />
            <SubmitButton className="button secondary small">Set</SubmitButton>
          </form>
        ) : (
          <button type="button" className="button secondary small" onClick={() => setResetting(true)}>
            Reset password<span className="visually-hidden"> of {username}</span>
          </button>
        ))}
      {(error ?? resetError ?? resetState?.fieldErrors?.password?.[0] ?? resetState?.error) && (
        <span className="field-error" role="alert">
          {error ?? resetError ?? resetState?.fieldErrors?.password?.[0] ?? resetState?.error}
        </span>
      )}
      {resetState?.ok && (
        <span className="small" role="status">
          Password set; their sessions ended.
        </span>
      )}
    </div>
  );
}
