import { describe, expect, it } from 'vitest';
import { passphraseProblem } from './passphrase';

describe('passphraseProblem', () => {
  it('ok/eight characters typed twice', () => {
    expect(passphraseProblem('12345678', '12345678')).toBeUndefined();
    // characters, not UTF-16 units: four emoji are four characters
    expect(passphraseProblem('🔑🔑🔑🔑', '🔑🔑🔑🔑')?.field).toBe('passphrase');
  });

  it('fail/too short, then different: each names the field to fix', () => {
    expect(passphraseProblem('short', 'short')).toEqual({ field: 'passphrase', message: 'Use at least 8 characters.' });
    expect(passphraseProblem('long enough', 'long enougH')).toEqual({ field: 'confirmation', message: 'The two passphrases differ.' });
  });
});
