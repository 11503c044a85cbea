'use client';

import { useActionState, useState } from 'react';
import { z } from '@/app/_lib/zod';
import type { Role } from '@/lib/auth/roles';
import { focusOnMount, useConfirmStep } from '@/app/_components/focus';
import { SubmitButton } from '@/app/_components/form';
import { resetPasswordAction, updateUserAction } from './actions';
import { ROLE_DESCRIPTIONS, resetPasswordSchema } from './schema';

/**
 * Role, enable/disable and password reset for one account row. The role control shows
 * the saved role; each change is confirmed under the row; disabling asks once more,
 * naming what it ends, as disabling a federation does.
 */
export function UserRowActions({ id, username, role, disabled, hasPassword, self }: { id: string; username: string; role: Role; disabled: boolean; hasPassword: boolean; self: boolean }) {
  // Both forms post the server action itself (not a wrapper), so that they render with
  // its action id like every other portal form.
  const [roleState, roleAction] = useActionState(updateUserAction, null);
  const [toggleState, toggleAction] = useActionState(updateUserAction, null);
  const [resetState, resetAction] = useActionState(resetPasswordAction, null);
  /** Which form was sent last: its answer is the one to show (an older one's is stale). */
  const [last, setLast] = useState<'role' | 'toggle' | 'reset'>();
  const { confirming, setConfirming, ask, back, question, start } = useConfirmStep<HTMLSpanElement>();
  const [wasDisabled, setWasDisabled] = useState(disabled);
  const [resetting, setResetting] = useState(false);
  const [resetError, setResetError] = useState<string>();
  if (disabled !== wasDisabled) {
    setWasDisabled(disabled);
    setConfirming(false);
  }
  const state = last === 'role' ? roleState : last === 'toggle' ? toggleState : null;
  const error = state?.error;
  let done: string | undefined;
  if (state?.ok) done = last === 'role' ? `Saved: ${username} is now ${role}.` : disabled ? `${username} is disabled and signed out.` : `${username} can sign in again.`;
  const resetProblem = last === 'reset' ? (resetState?.fieldErrors?.password?.[0] ?? resetState?.error) : undefined;
  if (self) return <span className="small muted">You</span>;
  return (
    <div className="row-actions">
      {/* Keyed by the saved role. React resets a form after its action, and a select resets to
          the option it was first rendered with, not to a changed defaultValue: without a new
          form per saved role, the control showed the old role and a second Save sent it back. */}
      <form key={role} action={roleAction} className="row-form" onSubmit={() => setLast('role')}>
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
      {disabled ? (
        <form action={toggleAction} onSubmit={() => setLast('toggle')}>
          <input type="hidden" name="id" value={id} />
          <input type="hidden" name="disabled" value="false" />
          <SubmitButton className="button secondary small" pendingText="Enabling…">
            Enable<span className="visually-hidden"> {username}</span>
          </SubmitButton>
        </form>
      ) : confirming ? (
        <form action={toggleAction} className="row-confirm" onSubmit={() => setLast('toggle')} aria-label={`Disable ${username}`}>
          <input type="hidden" name="id" value={id} />
          <input type="hidden" name="disabled" value="true" />
          <span className="small" ref={question} tabIndex={-1}>
            Signs them out now; they cannot sign in until enabled.
          </span>
          <SubmitButton className="button danger small" pendingText="Disabling…">
            Yes, disable {username}
          </SubmitButton>
          <button type="button" className="button secondary small" onClick={back}>
            Keep it enabled
          </button>
        </form>
      ) : (
        <button type="button" className="button danger small" ref={start} onClick={ask}>
          Disable…<span className="visually-hidden"> {username}</span>
        </button>
      )}
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
              } else {
                setResetError(undefined);
                setLast('reset');
              }
            }}
          >
            <input type="hidden" name="id" value={id} />
            <label className="visually-hidden" htmlFor={`pw-${id}`}>
              New password for {username}
            </label>
            <input ref={focusOnMount} id={`pw-${id}`} name="password" type="password" autoComplete="new-password" placeholder="New password" className="compact" aria-invalid={Boolean(resetError ?? resetState?.fieldErrors?.password)} />
            <SubmitButton className="button secondary small">Set</SubmitButton>
          </form>
        ) : (
          <button
            type="button"
            className="button secondary small"
            onClick={() => setResetting(true)}
          >
            Reset password<span className="visually-hidden"> of {username}</span>
          </button>
        ))}
      {(error ?? resetError ?? resetProblem) && (
        <span className="field-error" role="alert">
          {error ?? resetError ?? resetProblem}
        </span>
      )}
      {done && (
        <span className="small" role="status">
          {done}
        </span>
      )}
      {last === 'reset' && resetState?.ok && (
        <span className="small" role="status">
          Password set; their sessions ended.
        </span>
      )}
    </div>
  );
}
