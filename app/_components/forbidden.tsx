import Link from 'next/link';
import type { Role } from '@/lib/auth/roles';

/** What a signed-in user sees on a page their role does not open. */
export function Forbidden({ role, what }: { role: Role; what: string }) {
  return (
    <div className="callout warn" role="alert">
      <h2>Not available to your role</h2>
      <p>
        {what} is for administrators. You are signed in as <strong>{role}</strong>. <Link href="/">Back to the dashboard</Link>
      </p>
    </div>
  );
}
