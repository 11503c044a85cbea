/** Where the CA password comes from: a file, the environment, or a terminal prompt. */

import { readFileSync, statSync } from 'node:fs';
import { CaError } from '../lib/ca/errors';
import { askHidden, askNewPassword, isInteractive } from './prompt';

export interface PasswordSources {
  file?: string;
  value?: string;
}

export function readSecretFile(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > 4096) throw new CaError('bad_request', `${path} is too large to be a password file.`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError('bad_request', `Cannot read the password file ${path}.`, { cause: e });
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new CaError('bad_request', `The password file ${path} is empty.`);
  return value;
}

/** The password given by file or environment, if any. */
export function givenPassword(s: PasswordSources): string | undefined {
  if (s.file) return readSecretFile(s.file);
  return s.value;
}

export const MIN_CA_PASSWORD = 8;

/** For a new CA: given, or asked twice on a terminal. */
export async function newCaPassword(s: PasswordSources): Promise<string> {
  const given = givenPassword(s);
  if (given !== undefined) {
    if (given.length < MIN_CA_PASSWORD) {
      throw new CaError('validation_failed', `The CA password (${s.file ? `from ${s.file}` : 'from FEDPKI_CA_PASSWORD'}) needs at least ${MIN_CA_PASSWORD} characters.`);
    }
    return given;
  }
  if (!isInteractive()) {
    throw new CaError('bad_request', 'No CA password: give --password-file FILE or set FEDPKI_CA_PASSWORD(_FILE), or run on a terminal to be asked.');
  }
  process.stderr.write('FedPKI encrypts every CA key with this password. Keep it safe: it is needed at every start.\n');
  return askNewPassword('Choose the CA password', MIN_CA_PASSWORD);
}

/** For an existing CA: given, or asked once on a terminal. */
export async function existingCaPassword(s: PasswordSources): Promise<string> {
  const given = givenPassword(s);
  if (given !== undefined) return given;
  if (!isInteractive()) {
    throw new CaError('bad_request', 'No CA password: give --password-file FILE or set FEDPKI_CA_PASSWORD(_FILE), or run on a terminal to be asked.');
  }
  return askHidden('CA password');
}
