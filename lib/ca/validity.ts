/**
 * Certificate validity windows. The /sign body's notBefore/notAfter take what step
 * sends: "" (unset), an RFC 3339 time, or a Go duration ("24h", "-5m", "1h30m");
 * a duration in notAfter counts from notBefore.
 */

import { CaError } from './errors';

/** step-ca's `authority.backdate`: leaves start one minute in the past. */
export const BACKDATE_SECONDS = 60;
export const DAY_SECONDS = 24 * 3600;
/** OpenFL's `fx pki install` sets 8760h. */
export const DEFAULT_CERT_SECONDS = 365 * DAY_SECONDS;
export const MIN_CERT_SECONDS = 5 * 60;
export const MAX_CERT_SECONDS = 5 * 365 * DAY_SECONDS;
/**
 * How far in the past a client may ask a certificate to start (the CA/Browser Forum's
 * limit on backdating): a certificate vouches for its key from notBefore on, and a
 * start long before it was issued only hides when it was.
 */
export const MAX_REQUESTED_BACKDATE_SECONDS = 2 * DAY_SECONDS;

export type TimeSpec = { kind: 'absolute'; at: Date } | { kind: 'relative'; seconds: number };

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

const MAX_GO_DURATION_SECONDS = 9_223_372_036.854775807;

/** Parses a Go `time.ParseDuration` string into seconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const m = text.match(/^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/);
  // Go special-cases a bare zero, after an optional sign.
  if (!m) return /^[+-]?0$/.test(text) ? 0 : undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let total = 0;
  for (const part of text.slice(m[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_SECONDS[part[2]!]!;
  }
  // Go's Duration is int64 nanoseconds (about 292 years): a longer one is invalid there,
  // and here it would make a date past JavaScript's range.
  if (total > MAX_GO_DURATION_SECONDS) return undefined;
  return sign * total;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * The date and time fields exist (as Go's time.Parse requires): JavaScript's Date
 * would roll 30 February over to 2 March and hour 24 to the next day.
 */
function validRfc3339Fields(m: RegExpMatchArray): boolean {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return days !== undefined && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59 && offsetOk;
}

/** "" → undefined; RFC 3339 → absolute; Go duration → relative. Throws bad_request otherwise. */
export function parseTimeSpec(value: string | undefined | null, field: string): TimeSpec | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const m = value.match(RFC3339_RE);
  if (m && validRfc3339Fields(m)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return { kind: 'absolute', at };
  }
  const seconds = parseGoDuration(value);
  if (seconds !== undefined && Number.isFinite(seconds)) return { kind: 'relative', seconds };
  throw new CaError('bad_request', `The request could not be completed: ${field} must be an RFC 3339 time or a duration such as "24h".`);
}

/** Whole seconds the way Go's Duration.String prints them, as step-ca's messages do: "8760h1m0s". */
function goDurationText(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m${s % 60}s`;
}

export interface ValidityParams {
  now: Date;
  notBefore?: TimeSpec;
  notAfter?: TimeSpec;
  /** Lifetime when notAfter is not asked for. */
  defaultSeconds: number;
  /** The longest lifetime allowed (the token's or the federation's). */
  maxSeconds: number;
  /** The issuer's own validity: a leaf never starts before it nor outlives it. */
  issuerNotBefore: Date;
  issuerNotAfter: Date;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** Resolves the window the way step-ca does, then clips it to the issuer's lifetime. */
export function resolveValidity(p: ValidityParams): Validity {
  const nowMs = Math.floor(p.now.getTime() / 1000) * 1000;
  const notBefore =
    p.notBefore?.kind === 'absolute'
      ? p.notBefore.at
      : p.notBefore?.kind === 'relative'
        ? new Date(nowMs + p.notBefore.seconds * 1000)
        : new Date(nowMs - BACKDATE_SECONDS * 1000);
  if (p.notBefore && notBefore.getTime() < nowMs - MAX_REQUESTED_BACKDATE_SECONDS * 1000) {
    throw new CaError('policy_validity', 'The request was forbidden by the certificate authority: notBefore may be at most 48 hours in the past.');
  }
  // The default minute of backdating may reach before an intermediate made a moment
  // ago, as step-ca's does (path validation checks each certificate at the time of
  // use, not that validities nest); a start asked for may not reach further back.
  if (p.notBefore && notBefore.getTime() < p.issuerNotBefore.getTime() - BACKDATE_SECONDS * 1000) {
    throw new CaError('policy_validity', 'The request was forbidden by the certificate authority: the certificate would start before the intermediate certificate that signs it.');
  }
  const anchor = p.notBefore ? notBefore.getTime() : nowMs;
  let notAfter =
    p.notAfter?.kind === 'absolute'
      ? p.notAfter.at
      : p.notAfter?.kind === 'relative'
        ? new Date(anchor + p.notAfter.seconds * 1000)
        : new Date(anchor + p.defaultSeconds * 1000);
  if (notAfter.getTime() <= nowMs) {
    throw new CaError('bad_request', 'The request could not be completed: notAfter is in the past.');
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new CaError('bad_request', 'The request could not be completed: notAfter must be after notBefore.');
  }
  const seconds = (notAfter.getTime() - notBefore.getTime()) / 1000;
  if (seconds > p.maxSeconds + BACKDATE_SECONDS) {
    throw new CaError(
      'policy_validity',
      `The request was forbidden by the certificate authority: requested duration of ${goDurationText(seconds)} is more than the authorized maximum of ${goDurationText(p.maxSeconds + BACKDATE_SECONDS)}.`,
    );
  }
  if (seconds < MIN_CERT_SECONDS) {
    throw new CaError('policy_validity', 'The request was forbidden by the certificate authority: the requested duration is under 5 minutes.');
  }
  if (notAfter > p.issuerNotAfter) notAfter = new Date(p.issuerNotAfter.getTime());
  // Clipping can empty the window: never sign a certificate that ends before it starts.
  if (notAfter.getTime() <= nowMs) {
    throw new CaError('unavailable', 'The certificate authority cannot issue certificates: its intermediate certificate has expired.');
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new CaError('policy_validity', 'The request was forbidden by the certificate authority: the certificate would start after the intermediate certificate expires.');
  }
  return { notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000), notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000) };
}
