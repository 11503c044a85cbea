import { describe, expect, it } from 'vitest';
import { keySpecFromFlags } from './ca-client';

describe('keySpecFromFlags', () => {
  it.each<[string, { kty?: string; curve?: string; size?: string }, string]>([
    ['ok/no flag keeps the fallback', {}, 'EC-P256'],
    ['ok/EC defaults to P-384, as fx pki certify', { kty: 'EC' }, 'EC-P384'],
    ['ok/a curve, any case, with or without the dash', { kty: 'ec', curve: 'p256' }, 'EC-P256'],
    ['ok/--curve alone means EC', { curve: 'P-521' }, 'EC-P521'],
    ['ok/RSA defaults to 2048 bits', { kty: 'RSA' }, 'RSA-2048'],
    ['ok/--size alone means RSA', { size: '4096' }, 'RSA-4096'],
  ])('%s', (_name, flags, spec) => {
    expect(keySpecFromFlags(flags, 'EC-P256')).toBe(spec);
  });

  it.each<[string, { kty?: string; curve?: string; size?: string }, RegExp]>([
    ['fail/an unknown curve', { kty: 'EC', curve: 'secp256k1' }, /--curve is P-256, P-384 or P-521/],
    ['fail/a weak or odd RSA size', { kty: 'RSA', size: '1024' }, /--size is 2048, 3072 or 4096/],
    ['fail/another key type', { kty: 'Ed25519' }, /--kty is EC or RSA/],
    ['fail/an RSA size for an EC key', { kty: 'EC', size: '4096' }, /--size is for RSA keys; an EC key takes --curve/],
    ['fail/a curve for an RSA key', { kty: 'RSA', curve: 'P-256' }, /--curve is for EC keys; an RSA key takes --size/],
    ['fail/both a curve and a size', { curve: 'P-256', size: '2048' }, /--size is for RSA keys/],
  ])('%s', (_name, flags, message) => {
    expect(() => keySpecFromFlags(flags, 'EC-P384')).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(message) }));
  });
});
