'use client';

import { useActionState } from 'react';
import { FormAlert, SubmitButton } from '@/app/_components/form';
import { setFederationStatusAction } from '../actions';

export function FederationStatusToggle({ id, status }: { id: string; status: 'active' | 'disabled' }) {
  const [state, action] = useActionState(setFederationStatusAction, null);
  const next = status === 'active' ? 'disabled' : 'active';
  return (
    <form action={action} className="form">
      <FormAlert error={state?.error} />
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="status" value={next} />
      <p className="small muted">
        {status === 'active'
          ? 'Disabling refuses new tokens, enrollments and renewals for this federation; issued certificates stay valid.'
          : 'Enabling lets this federation mint tokens and issue certificates again.'}
      </p>
      <div className="form-actions">
        <SubmitButton className={status === 'active' ? 'button danger' : 'button'}>{status === 'active' ? 'Disable federation' : 'Enable federation'}</SubmitButton>
      </div>
    </form>
  );
}
