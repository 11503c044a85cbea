/**
 * The rule for passphrases the enrollment page encrypts a key with (PKCS#12 file,
 * encrypted PKCS#8): long enough to resist guessing once PBKDF2 slows each guess, and
 * typed twice. Kept apart from the crypto code so the page can check as the user types
 * without loading it.
 */

export const MIN_PASSPHRASE_LENGTH = 8;

export interface PassphraseProblem {
  /** The field to fix: the passphrase itself or its repetition. */
  field: 'passphrase' | 'confirmation';
  message: string;
}

/** What is wrong with a passphrase and its repetition, or undefined when they are acceptable. */
export function passphraseProblem(passphrase: string, confirmation: string): PassphraseProblem | undefined {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return { field: 'passphrase', message: `Use at least ${MIN_PASSPHRASE_LENGTH} characters.` };
  if (passphrase !== confirmation) return { field: 'confirmation', message: 'The two passphrases differ.' };
  return undefined;
}
