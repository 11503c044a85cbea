import { describe, expect, it } from 'vitest';
import { NOW } from '@/test/helpers/unit';
import { isCaError } from './errors';
import {
  BACKDATE_SECONDS,
  DAY_SECONDS,
  DEFAULT_CERT_SECONDS,
  MAX_CERT_SECONDS,
  MIN_CERT_SECONDS,
  parseGoDuration,
  parseTimeSpec,
  resolveValidity,
  type TimeSpec,
  type ValidityParams,
} from './validity';

const at = (iso: string) => new Date(iso);
const plus = (seconds: number, from = NOW) => new Date(from.getTime() + seconds * 1000);
const rel = (seconds: number): TimeSpec => ({ kind: 'relative', seconds });
const abs = (iso: string): TimeSpec => ({ kind: 'absolute', at: at(iso) });

function expectCaError(fn: () => unknown, code: string, message?: RegExp) {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isCaError(thrown), `expected CaError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  if (message) expect((thrown as Error).message).toMatch(message);
}

describe('constants', () => {
  it('ok/OpenFL and step defaults', () => {
    expect(DEFAULT_CERT_SECONDS).toBe(8760 * 3600);
    expect(BACKDATE_SECONDS).toBe(60);
    expect(MIN_CERT_SECONDS).toBe(300);
    expect(MAX_CERT_SECONDS).toBe(5 * 365 * DAY_SECONDS);
  });
});

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each<[string, number]>([
    ['24h', 86400],
    ['8760h', 8760 * 3600],
    ['1h30m', 5400],
    ['1h30m15s', 5415],
    ['-5m', -300],
    ['+5m', 300],
    ['1.5h', 5400],
    ['.5s', 0.5],
    ['1.s', 1],
    ['300ms', 0.3],
    ['2us', 2e-6],
    ['2µs', 2e-6],
    ['2μs', 2e-6],
    ['1000000000ns', 1],
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['1m1m', 120],
    // Go's longest: int64 nanoseconds.
    ['2562047h47m16.854775807s', 9_223_372_036.854775807],
  ])('ok/%j → %d s', (text, seconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(seconds, 9);
  });

  it.each(['', '1', '1d', '1w', 'h', '1H', '1h 30m', ' 1h', '5m-1s', '--5m', '+-5m', '.', '.s', '1e3s', '1,5h', 'P1D', '00', '2562048h', '-2562048h', '99999999999h', `${'9'.repeat(400)}h`])('fail/%j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('parseTimeSpec (the /sign body notBefore/notAfter)', () => {
  it.each([undefined, null, ''])('ok/%j means unset', (value) => {
    expect(parseTimeSpec(value, 'notAfter')).toBeUndefined();
  });

  it.each<[string, string]>([
    ['2026-03-02T00:00:00Z', '2026-03-02T00:00:00.000Z'],
    ['2026-03-02T00:00:00.250Z', '2026-03-02T00:00:00.250Z'],
    ['2026-03-02T02:00:00+02:00', '2026-03-02T00:00:00.000Z'],
    ['2026-03-01T19:00:00-05:00', '2026-03-02T00:00:00.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['2026-03-02t00:00:00z', '2026-03-02T00:00:00.000Z'],
  ])('ok/RFC 3339 %s is absolute', (text, iso) => {
    expect(parseTimeSpec(text, 'notAfter')).toEqual({ kind: 'absolute', at: at(iso) });
  });

  it.each<[string, number]>([
    ['24h', 86400],
    ['-5m', -300],
    ['0', 0],
  ])('ok/duration %s is relative', (text, seconds) => {
    expect(parseTimeSpec(text, 'notBefore')).toEqual({ kind: 'relative', seconds });
  });

  it.each([
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T12:60:00Z',
    '2026-03-01T12:00:60Z',
    '2026-03-01T12:00:00+24:00',
    '2026-03-01T12:00:00',
    '2026-03-01',
    '1d',
    'tomorrow',
    '1700000000',
    // Past Go's int64 nanoseconds: a request, not the signer, must refuse it.
    '99999999999h',
    '-99999999999h',
  ])('fail/%j is a bad request naming the field', (text) => {
    expectCaError(() => parseTimeSpec(text, 'notAfter'), 'bad_request', /notAfter must be an RFC 3339 time or a duration/);
  });
});

describe('resolveValidity', () => {
  const ISSUER_START = at('2026-01-01T00:00:00Z');
  const ISSUER_END = at('2036-02-28T12:00:00Z');
  const base = (p: Partial<ValidityParams> = {}): ValidityParams => ({
    now: NOW,
    defaultSeconds: DEFAULT_CERT_SECONDS,
    maxSeconds: DEFAULT_CERT_SECONDS,
    issuerNotBefore: ISSUER_START,
    issuerNotAfter: ISSUER_END,
    ...p,
  });

  it.each<[string, Partial<ValidityParams>, string, string]>([
    ['ok/default: 365 days, backdated one minute', {}, '2026-03-01T11:59:00.000Z', '2027-03-01T12:00:00.000Z'],
    ['ok/milliseconds of now are dropped', { now: at('2026-03-01T12:00:00.999Z') }, '2026-03-01T11:59:00.000Z', '2027-03-01T12:00:00.000Z'],
    ['ok/another default lifetime', { defaultSeconds: 3600 }, '2026-03-01T11:59:00.000Z', '2026-03-01T13:00:00.000Z'],
    ['ok/notAfter as a duration counts from now when notBefore is unset', { notAfter: rel(86400) }, '2026-03-01T11:59:00.000Z', '2026-03-02T12:00:00.000Z'],
    ['ok/notAfter absolute', { notAfter: abs('2026-06-01T00:00:00Z') }, '2026-03-01T11:59:00.000Z', '2026-06-01T00:00:00.000Z'],
    ['ok/notBefore relative; default lifetime counts from it', { notBefore: rel(3600), defaultSeconds: 86400 }, '2026-03-01T13:00:00.000Z', '2026-03-02T13:00:00.000Z'],
    ['ok/notBefore absolute; notAfter duration counts from notBefore', { notBefore: abs('2026-03-05T00:00:00Z'), notAfter: rel(86400) }, '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'],
    ['ok/notBefore -5m (step --not-before=-5m)', { notBefore: rel(-300), notAfter: rel(3600) }, '2026-03-01T11:55:00.000Z', '2026-03-01T12:55:00.000Z'],
    ['ok/notBefore 48 hours back, the most a client may ask', { notBefore: rel(-48 * 3600), notAfter: rel(49 * 3600) }, '2026-02-27T12:00:00.000Z', '2026-03-01T13:00:00.000Z'],
    ['ok/the default minute of backdating, also under an intermediate made a moment ago', { issuerNotBefore: NOW }, '2026-03-01T11:59:00.000Z', '2027-03-01T12:00:00.000Z'],
    ['ok/a start asked for may reach back as far as the default backdating', { notBefore: rel(-60), notAfter: rel(3600), issuerNotBefore: NOW }, '2026-03-01T11:59:00.000Z', '2026-03-01T12:59:00.000Z'],
    ['ok/exactly the maximum plus the backdate', { notAfter: rel(DEFAULT_CERT_SECONDS) }, '2026-03-01T11:59:00.000Z', '2027-03-01T12:00:00.000Z'],
    ['ok/exactly five minutes', { notBefore: rel(0), notAfter: rel(300) }, '2026-03-01T12:00:00.000Z', '2026-03-01T12:05:00.000Z'],
    ['ok/fractions of a second are cut', { notBefore: rel(0.7), notAfter: rel(3600.9) }, '2026-03-01T12:00:00.000Z', '2026-03-01T13:00:01.000Z'],
    ['ok/clipped to the issuer notAfter', { issuerNotAfter: at('2026-04-01T00:00:00Z') }, '2026-03-01T11:59:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['ok/clipping comes after the maximum check (no refusal)', { issuerNotAfter: at('2026-03-02T00:00:00.500Z'), notAfter: rel(DEFAULT_CERT_SECONDS) }, '2026-03-01T11:59:00.000Z', '2026-03-02T00:00:00.000Z'],
  ])('%s', (_name, p, notBefore, notAfter) => {
    const v = resolveValidity(base(p));
    expect(v.notBefore.toISOString()).toBe(notBefore);
    expect(v.notAfter.toISOString()).toBe(notAfter);
  });

  it('ok/never past the issuer, whatever is asked', () => {
    for (const notAfter of [undefined, rel(DEFAULT_CERT_SECONDS), abs('2027-01-01T00:00:00Z')]) {
      const v = resolveValidity(base({ notAfter, issuerNotAfter: at('2026-09-01T00:00:00Z') }));
      expect(v.notAfter.getTime()).toBeLessThanOrEqual(at('2026-09-01T00:00:00Z').getTime());
    }
  });

  it.each<[string, Partial<ValidityParams>, string, RegExp]>([
    ['fail/notAfter in the past', { notAfter: abs('2026-03-01T11:00:00Z') }, 'bad_request', /notAfter is in the past/],
    ['fail/notAfter now', { notAfter: rel(0) }, 'bad_request', /in the past/],
    ['fail/notAfter before notBefore', { notBefore: rel(7200), notAfter: abs('2026-03-01T13:00:00Z') }, 'bad_request', /notAfter must be after notBefore/],
    ['fail/one second over the maximum', { notAfter: rel(DEFAULT_CERT_SECONDS + 1) }, 'policy_validity', /requested duration of 8760h1m1s is more than the authorized maximum of 8760h1m0s\./],
    ['fail/over a token maximum of one day', { maxSeconds: 86400, defaultSeconds: 86400, notAfter: rel(2 * 86400) }, 'policy_validity', /requested duration of 48h1m0s is more than the authorized maximum of 24h1m0s/],
    ['fail/under five minutes', { notBefore: rel(0), notAfter: rel(299) }, 'policy_validity', /under 5 minutes/],
    ['fail/notBefore more than 48 hours back', { notBefore: rel(-48 * 3600 - 1), notAfter: rel(3600) }, 'policy_validity', /notBefore may be at most 48 hours in the past/],
    ['fail/notBefore months back, inside the maximum duration', { notBefore: abs('2025-12-29T14:56:45Z'), notAfter: rel(8700 * 3600) }, 'policy_validity', /at most 48 hours in the past/],
    ['fail/notBefore before the intermediate began', { notBefore: rel(-3600), notAfter: rel(3600), issuerNotBefore: at('2026-03-01T11:30:00Z') }, 'policy_validity', /start before the intermediate certificate that signs it/],
    ['fail/the intermediate has expired', { issuerNotAfter: at('2026-03-01T00:00:00Z') }, 'unavailable', /intermediate certificate has expired/],
    ['fail/the intermediate expires this very second', { issuerNotAfter: NOW }, 'unavailable', /intermediate certificate has expired/],
    ['fail/the certificate would start after the intermediate ends', { notBefore: abs('2026-05-01T00:00:00Z'), notAfter: rel(86400), issuerNotAfter: at('2026-04-01T00:00:00Z') }, 'policy_validity', /start after the intermediate certificate expires/],
  ])('%s', (_name, p, code, message) => {
    expectCaError(() => resolveValidity(base(p)), code, message);
  });

  it('ok/plus(): the helper agrees with the default window', () => {
    const v = resolveValidity(base());
    expect(v.notBefore).toEqual(plus(-BACKDATE_SECONDS));
    expect(v.notAfter).toEqual(plus(DEFAULT_CERT_SECONDS));
  });
});
