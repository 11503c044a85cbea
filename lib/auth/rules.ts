/**
 * Account rules shared by the server (db/users.ts, the actions' zod schemas) and the
 * browser forms, so both say the same thing. No node: imports here.
 */

/** Letters, digits and . _ @ -; stored lowercase. */
export const USERNAME_RE = /^[A-Za-z0-9._@-]{2,64}$/;
export const USERNAME_RULE = 'Use 2–64 letters, digits, dots, @, hyphens or underscores.';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return undefined;
}
