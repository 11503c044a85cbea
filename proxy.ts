/**
 * Runs before every page: a fresh CSP nonce per request (Next.js applies it to its own
 * scripts), the refusal of state-changing requests from other origins, and the
 * redirect of signed-out visitors away from portal pages. The
 * redirect is only a convenience for page loads — it looks at the JWT alone, and lets
 * everything else through: every page, server action and route handler checks the
 * session row and the role itself (app/_lib/auth.ts).
 */

import { NextResponse, type NextRequest } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { sessionCookieIsSecure } from './app/_lib/auth.config';

/** Pages anyone may open: sign-in, and the enrollees' pages (they carry their own token). */
const PUBLIC_PAGES = ['/login', '/enroll', '/renew'];

function isPortalPage(request: NextRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (request.headers.has('next-action') || request.headers.has('rsc')) return false;
  const path = request.nextUrl.pathname;
  if (path.startsWith('/api/') || path.startsWith('/_next/')) return false;
  if (/\.[A-Za-z0-9]+$/.test(path)) return false; // icons and other files
  return !PUBLIC_PAGES.some((p) => path === p || path.startsWith(`${p}/`));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a browser names the page behind every POST in its Origin
 * header, so a state-changing request must carry this origin — host and port, and not
 * http for https. Next.js checks server actions too, but lets a request without an
 * Origin through and compares host names only. next-auth's endpoints check their own CSRF token (and an
 * identity provider may post back to them).
 */
export function fromAnotherOrigin(request: NextRequest): boolean {
  if (SAFE_METHODS.has(request.method) || request.nextUrl.pathname.startsWith('/api/auth/')) return false;
  const origin = request.headers.get('origin');
  let url: URL;
  try {
    url = new URL(origin ?? ''); // no Origin, "null" and garbage all throw
  } catch {
    return true;
  }
  const first = (h: string) => request.headers.get(h)?.split(',')[0]?.trim() || undefined;
  const scheme = first('x-forwarded-proto') ?? 'https';
  const host = first('x-forwarded-host') ?? first('host');
  // An https page posting to our plain-HTTP listener is us behind a TLS-terminating
  // proxy (that did not say so); an http page posting to https is not.
  const schemeFits = url.protocol === `${scheme}:` || (url.protocol === 'https:' && scheme === 'http');
  return !schemeFits || url.host !== host;
}

async function signedOut(request: NextRequest): Promise<boolean> {
  const token = await getToken({ req: request, secureCookie: sessionCookieIsSecure(request.headers.get('x-forwarded-proto')) });
  return !token?.sid;
}

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "worker-src 'self' blob:",
  ].join('; ');
}

export async function proxy(request: NextRequest) {
  if (fromAnotherOrigin(request)) {
    return new NextResponse('Refused: this request did not come from a FedPKI page (its Origin header is missing or names another site).', {
      status: 403,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  }
  if (isPortalPage(request) && (await signedOut(request))) {
    const login = new URL('/login', request.url);
    const back = request.nextUrl.pathname + request.nextUrl.search;
    if (back !== '/') login.searchParams.set('callbackUrl', back);
    return NextResponse.redirect(login);
  }
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development');
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('content-security-policy', csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', csp);
  response.headers.set('Referrer-Policy', 'no-referrer');
  response.headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  return response;
}

/**
 * Every request but static files, prefetches included: a matcher that skipped requests
 * carrying a prefetch header would let any POST that adds one past the Origin check.
 */
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|favicon.svg).*)'],
};
