'use client';

import { useActionState } from 'react';
import { SubmitButton } from '@/app/_components/form';
import { cancelTokenAction } from './actions';

export function CancelTokenButton({ jti, subject }: { jti: string; subject: string }) {
  const [state, action] = useActionState(cancelTokenAction, null);
  return (
    <form action={action} className="inline-form">
      <input type="hidden" name="jti" value={jti} />
      <SubmitButton className="button danger small" pendingText="Cancelling…">
        Cancel<span className="visually-hidden"> the token for {subject}</span>
      </SubmitButton>
      {state?.error && (
        <span className="field-error" role="alert">
          {state.error}
        </span>
      )}
    </form>
  );
}
