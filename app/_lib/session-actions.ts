'use server';

import { cookies, headers } from 'next/headers';
import { sessionCookieIsSecure } from './auth.config';
import { currentUser } from './auth';
import { runtime } from './runtime';

/**
 * Signs out: ends the session row (so the cookie is worthless even if kept), audits
 * SIGN_OUT and clears the cookie. The caller then goes to the sign-in page itself
 * (SignOutButton): no redirect here, so Next.js makes no server-side fetch of /login
 * carrying the caller's cookies.
 */
export async function signOutAction(): Promise<void> {
  const user = await currentUser();
  if (user) await runtime().accounts.endSession({ id: user.sessionId, now: new Date(), sourceIp: user.sourceIp });
  const secure = sessionCookieIsSecure((await headers()).get('x-forwarded-proto'));
  const jar = await cookies();
  const base = secure ? '__Secure-next-auth.session-token' : 'next-auth.session-token';
  for (const { name } of jar.getAll()) {
    if (name === base || name.startsWith(`${base}.`)) jar.set(name, '', { maxAge: 0, path: '/', secure, httpOnly: true, sameSite: 'lax' });
  }
}
