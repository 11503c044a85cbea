import NextAuth from 'next-auth';
import { authOptions, currentUser } from '@/app/_lib/auth';

const handler = NextAuth(authOptions);

/**
 * next-auth's session endpoint reads only the cookie, which outlives the session it
 * names (signed out, account disabled, session ended by an administrator). The
 * portal's session is the database row, so a cookie without a live row gets the
 * answer for no session — and next-auth does not get to refresh that cookie.
 */
async function GET(req: Request, ctx: { params: Promise<{ nextauth: string[] }> }): Promise<Response> {
  const [action] = (await ctx.params).nextauth ?? [];
  if (action === 'session' && !(await currentUser())) return Response.json({}, { headers: { 'Cache-Control': 'no-store' } });
  return handler(req, ctx);
}

export { GET, handler as POST };
