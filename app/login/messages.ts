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

/** Only paths on this site: never an absolute URL that would send the user elsewhere. */
export function safeCallbackUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/login')) return '/';
  return value;
}
