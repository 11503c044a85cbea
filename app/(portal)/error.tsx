'use client';

import Link from 'next/link';

/**
 * An unexpected failure while rendering a portal page (the database unreachable, say),
 * inside the portal's frame: the navigation stays, and the page can be tried again.
 * The server logged the error; the browser gets only Next.js's digest, to quote to the
 * operator.
 */
export default function PortalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>This page could not be shown</h1>
          <p>Something failed on the server while preparing it. Nothing was changed by opening it.</p>
        </div>
      </div>
      <div className="callout error" role="alert">
        Try again in a moment; if it keeps failing, the server&apos;s log says why
        {error.digest ? (
          <>
            {' '}
            (look for <code>{error.digest}</code>)
          </>
        ) : null}
        .
      </div>
      <div className="form-actions">
        <button type="button" className="button" onClick={() => reset()}>
          Try again
        </button>
        <Link className="button secondary" href="/">
          Back to the dashboard
        </Link>
      </div>
    </>
  );
}
