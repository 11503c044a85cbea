'use client';

import { useActionState, useState } from 'react';
import { SubmitButton } from '@/app/_components/form';
import { cancelTokenAction } from './actions';

/**
 * Cancelling asks once more, as revoking does. The page re-renders the row as cancelled
 * (and `pending` turns false); this stays mounted to say it was done.
 */
export function CancelTokenButton({ jti, subject, pending }: { jti: string; subject: string; pending: boolean }) {
  const [state, action] = useActionState(cancelTokenAction, null);
  const [confirming, setConfirming] = useState(false);
  if (state?.ok) {
    return (
      <span className="small" role="status">
        Cancelled: it can no longer be used.
      </span>
    );
  }
  if (!pending) return null;
  return (
    <form action={action} className="inline-form" aria-label={`Cancel the token for ${subject}`}>
      <input type="hidden" name="jti" value={jti} />
      {confirming ? (
        <>
          <span className="small">Cancel it? No node can use it after this.</span>
          <div className="row-form">
            <SubmitButton className="button danger small" pendingText="Cancelling…">
              Yes, cancel<span className="visually-hidden"> the token for {subject}</span>
            </SubmitButton>
            <button type="button" className="button secondary small" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </>
      ) : (
        <button type="button" className="button danger small" onClick={() => setConfirming(true)}>
          Cancel…<span className="visually-hidden"> the token for {subject}</span>
        </button>
      )}
      {state?.error && (
        <span className="field-error" role="alert">
          {state.error}
        </span>
      )}
    </form>
  );
}
