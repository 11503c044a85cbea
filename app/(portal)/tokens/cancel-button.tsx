'use client';

import { useConfirmStep } from '@/app/_components/focus';
import { SubmitButton } from '@/app/_components/form';
import { useCancelAction } from './notices';

/**
 * Cancelling asks once more, as revoking does. The page re-renders the row as cancelled
 * (and `pending` turns false), or drops it from a list of pending tokens; the list's
 * notice above says it was done either way, or why not.
 */
export function CancelTokenButton({ jti, subject, pending }: { jti: string; subject: string; pending: boolean }) {
  const action = useCancelAction();
  const { confirming, ask, back, question, start } = useConfirmStep<HTMLSpanElement>();
  if (!pending) return null;
  return (
    <form action={action} className="inline-form" aria-label={`Cancel the token for ${subject}`}>
      <input type="hidden" name="jti" value={jti} />
      {confirming ? (
        <>
          <span className="small" ref={question} tabIndex={-1}>
            Cancel it? No node can use it after this.
          </span>
          <div className="row-form">
            <SubmitButton className="button danger small" pendingText="Cancelling…">
              Yes, cancel<span className="visually-hidden"> the token for {subject}</span>
            </SubmitButton>
            <button type="button" className="button secondary small" onClick={back}>
              Keep it
            </button>
          </div>
        </>
      ) : (
        <button type="button" className="button danger small" ref={start} onClick={ask}>
          Cancel…<span className="visually-hidden"> the token for {subject}</span>
        </button>
      )}
    </form>
  );
}
