'use client';

import { useActionState } from 'react';
import { useConfirmStep } from '@/app/_components/focus';
import { FormAlert, SubmitButton } from '@/app/_components/form';
import { setFederationStatusAction } from '../actions';

/** Disabling asks once more, naming what stops; enabling does not. */
export function FederationStatusToggle({ id, name, status }: { id: string; name: string; status: 'active' | 'disabled' }) {
  const [state, action] = useActionState(setFederationStatusAction, null);
  const { confirming, setConfirming, ask, back, question, start } = useConfirmStep<HTMLParagraphElement>();
  const disabling = status === 'active';
  return (
    <form action={action} className="form" onSubmit={() => setConfirming(false)}>
      <FormAlert error={state?.error} />
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="status" value={disabling ? 'disabled' : 'active'} />
      <p className="small muted" ref={question} tabIndex={-1}>
        {disabling
          ? 'Disabling refuses new tokens, enrollments and renewals for this federation; issued certificates stay valid.'
          : 'Enabling lets this federation mint tokens and issue certificates again.'}
      </p>
      <div className="form-actions">
        {!disabling ? (
          <SubmitButton>Enable federation</SubmitButton>
        ) : confirming ? (
          <>
            <SubmitButton className="button danger">Yes, disable {name}</SubmitButton>
            <button type="button" className="button secondary" onClick={back}>
              Keep it active
            </button>
          </>
        ) : (
          <button type="button" className="button danger" ref={start} onClick={ask}>
            Disable federation
          </button>
        )}
      </div>
    </form>
  );
}
