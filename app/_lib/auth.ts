/**
 * The Node-only half of the next-auth configuration — the password and single-sign-on
 * providers, which reach accounts through `runtime()` — and the session checks every
 * page, server action and route handler runs first.
 *
 * Sessions are revocable: the JWT cookie carries a session id, and `currentUser()`
 * checks its database row (keyed by the id's hash: db/sessions.ts `sessionKey`) on
 * every request (not ended, not expired, user enabled) and takes the role from the
 * user row, so sign-out, disabling an account or a role change take effect on the
 * next request.
 */

import 'server-only';
import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { AuthOptions, User } from 'next-auth';
import { getToken } from 'next-auth/jwt';
import CredentialsProvider from 'next-auth/providers/credentials';
import type { OAuthConfig } from 'next-auth/providers/oauth';
import { KeyedQueue } from '@/lib/auth/keyed-queue';
import { dummyHash, verifyPassword } from '@/lib/auth/password';
import { can, type Permission, type Role } from '@/lib/auth/roles';
import { parseRoleMap, roleForEmail } from '@/lib/auth/sso';
import { ipThrottleKey, userThrottleKey } from '@/lib/auth/throttle';
import { env } from '@/server/env';
import { CLIENT_IP_HEADER, SESSION_MAX_AGE_SECONDS, authConfig, sessionCookieIsSecure } from './auth.config';
import { runtime } from './runtime';

declare module 'next-auth' {
  interface User {
    id: string;
    name?: string | null;
    role: Role;
    /** The sessions row this sign-in opened. */
    sid: string;
  }
  interface Session {
    user: { id: string; name: string; role?: Role };
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    role?: Role;
    sid?: string;
  }
}

/** Codes the sign-in page turns into sentences (app/login/messages.ts). */
export const SignInError = { wrong: 'CredentialsSignin', locked: 'locked', denied: 'AccessDenied' } as const;

export async function clientIp(): Promise<string | null> {
  return (await headers()).get(CLIENT_IP_HEADER) || null;
}

async function openSession(user: { id: string; username: string; role: Role }, provider: string, sourceIp: string | null): Promise<User> {
  const now = new Date();
  const sid = await runtime().accounts.startSession({
    userId: user.id,
    username: user.username,
    provider,
    sourceIp,
    now,
    expiresAt: new Date(now.getTime() + SESSION_MAX_AGE_SECONDS * 1000),
  });
  return { id: user.id, name: user.username, role: user.role, sid };
}

/** One queue per process, whichever server bundle this module is part of. */
const signInQueue: KeyedQueue = ((globalThis as { __fedpkiSignInQueue?: KeyedQueue }).__fedpkiSignInQueue ??= new KeyedQueue());

/**
 * Runs a password check in line with every other one for the same user name and from
 * the same address — sign-ins and password changes alike — so that parallel guesses
 * each see the failures counted before them (the lock would otherwise let a burst
 * through while scrypt runs).
 */
export function inPasswordQueue<T>(username: string, sourceIp: string | null, task: () => Promise<T>): Promise<T> {
  return signInQueue.run([userThrottleKey(username), ...(sourceIp ? [ipThrottleKey(sourceIp)] : [])], task);
}

/**
 * Password sign-in. A locked name or address is refused before the password is
 * checked; an unknown name costs the same scrypt run as a known one; every outcome is
 * audited with the source address. Attempts for one name, and from one address, are
 * checked one at a time (`inPasswordQueue`).
 */
async function authorizePassword(credentials: Record<string, string> | undefined): Promise<User> {
  const username = String(credentials?.username ?? '').trim().toLowerCase().slice(0, 64);
  const password = String(credentials?.password ?? '').slice(0, 1024);
  const sourceIp = await clientIp();
  return inPasswordQueue(username, sourceIp, () => checkPassword(username, password, sourceIp));
}

async function checkPassword(username: string, password: string, sourceIp: string | null): Promise<User> {
  const { accounts } = runtime();
  const now = new Date();
  if (await accounts.signInLockedUntil({ username, sourceIp, now })) {
    await accounts.recordSignInFailure({ username, sourceIp, now, reason: 'locked' });
    throw new Error(SignInError.locked);
  }
  const user = username ? await accounts.getUserByUsername(username) : undefined;
  const usable = user && !user.disabled && user.passwordHash;
  const matches = await verifyPassword(password, usable ? user.passwordHash! : await dummyHash());
  if (!usable || !matches) {
    const reason = !user ? 'unknown_user' : user.disabled ? 'disabled' : 'password';
    const { lockedUntil } = await accounts.recordSignInFailure({ username, sourceIp, now, reason });
    throw new Error(lockedUntil ? SignInError.locked : SignInError.wrong);
  }
  return await openSession(user, 'credentials', sourceIp);
}

/** Any OpenID Connect provider, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set. */
function oidcProviders(): OAuthConfig<Record<string, unknown>>[] {
  const e = env();
  if (!e.OIDC_ISSUER || !e.OIDC_CLIENT_ID || !e.OIDC_CLIENT_SECRET) return [];
  const issuer = e.OIDC_ISSUER.replace(/\/+$/, '');
  return [
    {
      id: 'oidc',
      name: e.OIDC_NAME ?? 'single sign-on',
      type: 'oauth',
      wellKnown: `${issuer}/.well-known/openid-configuration`,
      clientId: e.OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: 'openid email profile' } },
      idToken: true,
      checks: ['pkce', 'state', 'nonce'],
      // Filled in by the signIn callback once the allow-list has given a role.
      profile: (p) => ({ id: String(p.sub), name: String(p.email ?? p.sub), role: 'auditor', sid: '' }),
    },
  ];
}

export function ssoProviderName(): string | undefined {
  return oidcProviders()[0]?.name;
}

/**
 * A single-sign-on identity may enter only when its verified e-mail address is on
 * OIDC_ROLE_MAP; it then gets (or keeps) an account with the mapped role and a session.
 */
async function admitSsoUser(user: User, profile: Record<string, unknown> | undefined): Promise<boolean> {
  const { accounts } = runtime();
  const sourceIp = await clientIp();
  const now = new Date();
  const email = typeof profile?.email === 'string' ? profile.email.toLowerCase() : '';
  const role = email && profile?.email_verified !== false ? roleForEmail(parseRoleMap(env().OIDC_ROLE_MAP), email) : undefined;
  if (!role) {
    await accounts.recordSignInFailure({ username: email || 'unknown', sourceIp, now, reason: 'sso_denied' });
    return false;
  }
  try {
    const row = await accounts.upsertSsoUser({ username: email, provider: 'oidc', role, displayName: typeof profile?.name === 'string' ? profile.name : null, sourceIp });
    // next-auth hands this same object to the jwt callback (no adapter), so the
    // session id and role travel into the token from here.
    Object.assign(user, await openSession(row, 'oidc', sourceIp));
    return true;
  } catch {
    await accounts.recordSignInFailure({ username: email, sourceIp, now, reason: 'sso_denied' });
    return false;
  }
}

export const authOptions: AuthOptions = {
  ...authConfig,
  providers: [
    CredentialsProvider({
      id: 'credentials',
      name: 'password',
      credentials: { username: { label: 'User name', type: 'text' }, password: { label: 'Password', type: 'password' } },
      authorize: (credentials) => authorizePassword(credentials),
    }),
    ...oidcProviders(),
  ],
  callbacks: {
    ...authConfig.callbacks,
    signIn: ({ user, account, profile }) => (account?.provider === 'oidc' ? admitSsoUser(user, profile as Record<string, unknown> | undefined) : true),
  },
  events: {
    // Sign-out through next-auth's own endpoint ends the session row too.
    async signOut({ token }) {
      if (token?.sid) await runtime().accounts.endSession({ id: token.sid, now: new Date(), sourceIp: await clientIp() });
    },
  },
};

export interface SessionUser {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  provider: string;
  sessionId: string;
  /** "user:<name>", as the audit trail names people. */
  actorId: string;
  sourceIp: string | null;
}

/** The signed-in user of this request, or null. Checked against the database once per request. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  // The session id is read from the cookie's JWT here, on the server: next-auth's
  // session object (which /api/auth/session hands to any script on the page) does not
  // carry it. Only the cookie is read — not an Authorization header.
  let sid: string | undefined;
  let userId: string | undefined;
  try {
    const token = await getToken({
      req: { cookies: await cookies(), headers: {} } as unknown as Parameters<typeof getToken>[0]['req'],
      secureCookie: sessionCookieIsSecure((await headers()).get('x-forwarded-proto')),
    });
    sid = token?.sid;
    userId = token?.sub;
  } catch {
    return null; // a cookie that does not decrypt is no session
  }
  if (!sid || !userId) return null;
  const active = await runtime().accounts.getActiveSession({ id: sid, now: new Date() });
  if (!active || active.userId !== userId) return null;
  return {
    id: active.userId,
    username: active.username,
    displayName: active.displayName,
    role: active.role,
    provider: active.provider,
    sessionId: active.sessionId,
    actorId: `user:${active.username}`,
    sourceIp: await clientIp(),
  };
});

export type AuthResult = { ok: true; user: SessionUser } | { ok: false; status: 401 | 403; message: string };

/** For route handlers and server actions: who is asking, and may they do this? */
export async function checkPermission(permission: Permission): Promise<AuthResult> {
  const user = await currentUser();
  if (!user) return { ok: false, status: 401, message: 'You are not signed in, or your session has ended: sign in again.' };
  if (!can(user.role, permission)) return { ok: false, status: 403, message: `Your role (${user.role}) does not allow this.` };
  return { ok: true, user };
}

/** For pages: the signed-in user, or a redirect to the sign-in page. */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect('/login');
  return user;
}
