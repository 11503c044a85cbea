import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthCard } from '@/app/_components/auth-card';

export const metadata: Metadata = { title: 'Not found' };

/**
 * The page for addresses that lead nowhere. Next.js's built-in one styles itself with
 * inline style attributes, which the CSP (rightly) refuses: it would show unstyled and
 * report violations.
 */
export default function NotFound() {
  return (
    <AuthCard>
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
    </AuthCard>
  );
}
