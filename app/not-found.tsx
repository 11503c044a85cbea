import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found' };

/**
 * The page for addresses that lead nowhere. Next.js's built-in one styles itself with
 * inline style attributes, which the CSP (rightly) refuses: it would show unstyled and
 * report violations.
 */
export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand-line">
          <span className="brand-mark" aria-hidden="true" />
          FedPKI
        </div>
        <div className="panel">
          <h1>Not found</h1>
          <p className="muted">Nothing is at this address: it may have been mistyped, or what it pointed at no longer exists.</p>
          <p>
            <Link href="/" prefetch={false}>
              Go to the dashboard
            </Link>{' '}
            or{' '}
            <Link href="/enroll" prefetch={false}>
              enroll a node
            </Link>
            .
          </p>
        </div>
      </div>
    </main>
  );
}
