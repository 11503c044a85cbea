/**
 * The edge-safe half of the next-auth configuration: pages, session lifetime and the
 * callbacks that only copy claims. No database, no Node built-ins — proxy.ts may
 * import it. Providers and everything that touches accounts are in ./auth.ts.
 */

import type { AuthOptions } from 'next-auth';

/** A session lasts 8 hours from sign-in, in the cookie and in its database row. */
export const SESSION_MAX_AGE_SECONDS = 8 * 3600;

/** The request header the custom server sets to the peer address (server/app.ts). */
export const CLIENT_IP_HEADER = 'x-fedpki-client-ip';

/** Which session cookie the request carries: next-auth prefixes it __Secure- over HTTPS. */
export function sessionCookieIsSecure(forwardedProto: string | null | undefined): boolean {
  return forwardedProto !== 'http';
}

export const authConfig = {
  // next-auth's own pages (its sign-out confirmation among them) carry inline styles
  // the CSP refuses, and the portal signs out with a server action: all go to /login.
  pages: { signIn: '/login', signOut: '/login', error: '/login' },
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
  callbacks: {
    // `user` is what a provider's sign-in returned (./auth.ts): copy its id, role and
    // session id into the token; later calls keep the token as it is.
    jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.name = user.name;
        token.role = user.role;
        token.sid = user.sid;
      }
      return token;
    },
    // What /api/auth/session answers, to any script on the page: never the session id
    // (the cookie is httpOnly so that scripts cannot read it; the server reads it from
    // the cookie itself, ./auth.ts currentUser).
    session({ session, token }) {
      return {
        ...session,
        user: { id: token.sub ?? '', name: token.name ?? '', role: token.role },
      };
    },
  },
} satisfies Omit<AuthOptions, 'providers'>;
