'use client';

import { useTransition } from 'react';
import { signOutAction } from '@/app/_lib/session-actions';

/**
 * Ends the session, then loads the sign-in page afresh (which also drops every page the
 * client router cached while signed in). The action itself does not redirect: a server
 * action's redirect makes Next.js fetch the target server-side with the caller's cookies.
 */
export function SignOutButton() {
  const [pending, start] = useTransition();
  return (
    <button
      type="button"
      className="link-button"
      disabled={pending}
      onClick={() =>
        start(async () => {
          await signOutAction();
          // A full load on purpose: nothing the router cached while signed in survives.
          // eslint-disable-next-line @next/next/no-location-assign-relative-destination
          window.location.assign('/login');
        })
      }
    >
      Sign out
    </button>
  );
}
