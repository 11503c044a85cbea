import Link from 'next/link';

/** A federation or certificate that does not exist, inside the portal's frame (see app/not-found.tsx). */
export default function PortalNotFound() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Not found</h1>
          <p>Nothing is at this address: it may have been mistyped, or what it pointed at no longer exists.</p>
        </div>
      </div>
      <p>
        <Link href="/">Back to the dashboard</Link>
      </p>
    </>
  );
}
