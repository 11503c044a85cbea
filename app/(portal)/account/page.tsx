import type { Metadata } from 'next';
import { requireUser } from '@/app/_lib/auth';
import { ROLE_DESCRIPTIONS } from '../users/schema';
import { ChangePasswordForm } from './password-form';

export const metadata: Metadata = { title: 'Your account' };

export default async function AccountPage() {
  const user = await requireUser();
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Your account</h1>
          <p>
            Signed in as <strong>{user.username}</strong>, {user.role}: {ROLE_DESCRIPTIONS[user.role].toLowerCase()}
          </p>
        </div>
      </div>
      <section className="panel small-panel" aria-labelledby="pw">
        <h2 id="pw">Password</h2>
        {user.provider === 'credentials' ? <ChangePasswordForm /> : <p className="muted">You sign in through single sign-on; your password is managed there.</p>}
      </section>
    </>
  );
}
