/**
 * The rule for passphrases the enrollment page encrypts a key with (PKCS#12 file,
 * encrypted PKCS#8): long enough to resist guessing once PBKDF2 slows each guess, and
 * typed twice. Kept apart from the crypto code so the page can check as the user types
 * without loading it.
 */

export const MIN_PASSPHRASE_LENGTH = 8;

/** The sentence to show, or undefined when the passphrase is acceptable. */
export function passphraseProblem(passphrase: string, confirmation: string): string | undefined {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`;
  if (passphrase !== confirmation) return 'The two passphrases differ.';
  return undefined;
}
