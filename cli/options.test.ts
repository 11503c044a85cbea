import { describe, expect, it } from 'vitest';
import { nearestOption, unknownOptions } from './options';

const args = {
  name: { type: 'string', alias: 'n' },
  san: { type: 'string' },
  'password-file': { type: 'string' },
  'ca-path': { type: 'string', alias: 'p' },
  yes: { type: 'boolean' },
  SERIAL: { type: 'positional' },
};

describe('unknownOptions', () => {
  it('ok/accepts the options, their aliases, camelCase spellings, =values and --no- booleans', () => {
    expect(unknownOptions(args, ['-n', 'a', '--name=b', '--san', 'x', '--password-file', 'f', '--passwordFile', 'f', '-p', 'd', '--ca-path=d', '--yes', '--no-yes', '--help', '-h', 'SERIALVALUE'])).toEqual([]);
  });

  it('finds a typo or an option the command does not have', () => {
    expect(unknownOptions(args, ['-n', 'a', '--sans', '10.0.0.5'])).toEqual(['--sans']);
    expect(unknownOptions(args, ['--pasword-file=f', '-x'])).toEqual(['--pasword-file', '-x']);
  });

  it('ok/leaves values alone: negative numbers, a lone dash, anything after --', () => {
    expect(unknownOptions(args, ['--san', '-5', '-', '--', '--anything'])).toEqual([]);
  });
});

describe('nearestOption', () => {
  it('suggests the option a typo was meant to be, and nothing for what is far from all', () => {
    expect(nearestOption(args, '--sans')).toBe('--san');
    expect(nearestOption(args, '--pasword-file')).toBe('--password-file');
    expect(nearestOption(args, '--bogus-flag')).toBeUndefined();
  });
});
