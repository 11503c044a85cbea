/** next-auth's error codes (and ours) as sentences for the sign-in page. */
export function signInMessage(code: string | null | undefined): string | undefined {
  switch (code) {
    case undefined:
    case null:
    case '':
      return undefined;
    case 'CredentialsSignin':
      return 'The user name or password is wrong.';
    case 'locked':
      return 'Too many failed sign-ins. Sign-in is paused for 15 minutes; try again later or ask an administrator.';
    case 'AccessDenied':
      return 'Your single-sign-on account is not allowed into this portal. Ask an administrator to add it.';
    case 'SessionRequired':
      return 'Sign in to continue.';
    default:
      return 'Sign-in did not work. Try again.';
  }
}

const HERE = 'https://fedpki.invalid';

/**
 * Only paths on this site: never an absolute URL that would send the user elsewhere.
 * Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so
 * "/<tab>/evil.example" is "//evil.example": anything but a plain path falls back to the
 * dashboard, and what is kept is the path as a URL parser reads it. That reading
 * resolves dot segments ("/.//evil.example" is the path "//evil.example"), so the
 * result is checked again: it must not start with two slashes either.
 */
export function safeCallbackUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || [...value].some((c) => c === '\\' || c < ' ' || c === '\u007f')) return '/';
  let url: URL;
  try {
    url = new URL(value, HERE);
  } catch {
    return '/';
  }
  if (url.origin !== HERE || url.pathname.startsWith('/login') || url.pathname.startsWith('//')) return '/';
  return url.pathname + url.search + url.hash;
}
