import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentUser, ssoProviderName } from '@/app/_lib/auth';
import { one, type SearchParams } from '@/app/_lib/search-params';
import { LoginForm } from './login-form';
import { safeCallbackUrl, signInMessage } from './messages';

export const metadata: Metadata = { title: 'Sign in' };

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(one(params.callbackUrl));
  if (await currentUser()) redirect(callbackUrl);
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand-line">
          <span className="brand-mark" aria-hidden="true" />
          FedPKI
        </div>
        <div className="panel">
          <h1>Sign in</h1>
          <p className="muted small">The administration portal of this certificate authority.</p>
          <LoginForm callbackUrl={callbackUrl} initialError={signInMessage(one(params.error))} ssoName={ssoProviderName()} />
        </div>
        <p className="small muted auth-foot">
          Enrolling a node? <Link href="/enroll" prefetch={false}>Use your enrollment token</Link> — no account needed.
        </p>
        <p className="small muted">
          Certificate running out? <Link href="/renew" prefetch={false}>Renew it</Link> with the certificate and its key.
        </p>
      </div>
    </main>
  );
}
