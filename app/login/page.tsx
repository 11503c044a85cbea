import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { AuthCard } from '@/app/_components/auth-card';
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
    <AuthCard
      footer={
        <>
          <p className="small muted auth-foot">
            Enrolling a node? <Link href="/enroll" prefetch={false}>Use your enrollment token</Link> — no account needed.
          </p>
          <p className="small muted">
            Certificate running out? <Link href="/renew" prefetch={false}>Renew it</Link> with the certificate and its key.
          </p>
        </>
      }
    >
      <h1>Sign in</h1>
      <p className="muted small">The administration portal of this certificate authority.</p>
      <LoginForm callbackUrl={callbackUrl} initialError={signInMessage(one(params.error))} ssoName={ssoProviderName()} />
    </AuthCard>
  );
}
