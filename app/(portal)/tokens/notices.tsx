'use client';

import { createContext, useActionState, useContext, type ReactNode } from 'react';
import { cancelTokenAction } from './actions';

type CancelAction = (form: FormData) => void;
const CancelContext = createContext<CancelAction | null>(null);

/**
 * The list's cancel action, shared by its rows, and what it did, said above the list.
 * A row can leave the list when its token is cancelled (on the list of pending ones),
 * taking anything it held with it; this stays. The rows' forms post the server action
 * itself through it, so they render with its action id like every other portal form.
 */
export function TokenListNotices({ children }: { children: ReactNode }) {
  const [state, action] = useActionState(cancelTokenAction, null);
  return (
    <CancelContext.Provider value={action}>
      <div role="status" className="list-notice">
        {state?.ok && state.data && <p className="callout ok">Cancelled the token for {state.data.label}: it can no longer be used.</p>}
      </div>
      {state?.error && (
        <p className="callout error list-alert" role="alert">
          {state.error}
        </p>
      )}
      {children}
    </CancelContext.Provider>
  );
}

export function useCancelAction(): CancelAction {
  const action = useContext(CancelContext);
  if (!action) throw new Error('CancelTokenButton outside TokenListNotices');
  return action;
}
