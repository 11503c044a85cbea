/**
 * Issuance policy: each check is a small function that returns nothing or throws a
 * CaError with its own code. `issue.ts` runs them in a fixed order.
 */

import type { ParsedCsr } from '../pki/csr';
import { parseIp, formatIp, sanCount, sansToList, splitSans } from '../pki/extensions/subject-alt-name';
import { describePublicKey, type PublicKeyInfo } from '../pki/spki';
import { CaError } from './errors';

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
export const MIN_RSA_EXPONENT = 65537n;
export const MAX_RSA_EXPONENT = (1n << 256n) - 1n;
/** X.520 ub-common-name. */
export const MAX_COMMON_NAME = 64;
export const MAX_SANS = 50;

/** RSA ≥ 2048 bits or EC P-256/P-384/P-521; anything else is refused with a reason. */
export function checkKeyPolicy(key: PublicKeyInfo): void {
  if (key.type === 'RSA') {
    const bits = key.rsaBits ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new CaError('policy_key_weak', `The request was forbidden by the certificate authority: RSA keys must have at least ${MIN_RSA_BITS} bits; this one has ${bits}.`);
    }
    if (bits > MAX_RSA_BITS) {
      throw new CaError('policy_key_unsupported', `The request was forbidden by the certificate authority: RSA keys over ${MAX_RSA_BITS} bits are not accepted.`);
    }
    // An exponent of 1 makes every "signature" the padded hash itself: anyone could sign
    // for such a key, so proof of possession would prove nothing. Small ones (3) invite
    // the known low-exponent attacks. As the CA/Browser Forum's Baseline Requirements
    // (6.1.6): odd, from 2^16 + 1 to 2^256 - 1; and the modulus odd.
    const e = key.rsaExponent ?? 0n;
    if (e < MIN_RSA_EXPONENT || e > MAX_RSA_EXPONENT || e % 2n === 0n || key.rsaModulusOdd === false) {
      throw new CaError(
        'policy_key_weak',
        `The request was forbidden by the certificate authority: this RSA key is not usable (its public exponent must be odd and from 65537 to 2^256 - 1, this one is ${e > MAX_RSA_EXPONENT ? 'larger' : String(e)}; its modulus must be odd).`,
      );
    }
    return;
  }
  if (key.type === 'EC') {
    if (!key.curve) {
      throw new CaError('policy_key_unsupported', `The request was forbidden by the certificate authority: the elliptic curve ${key.curveOid} is not accepted; use P-256, P-384 or P-521.`);
    }
    return;
  }
  throw new CaError('policy_key_unsupported', `The request was forbidden by the certificate authority: ${describePublicKey(key)} keys are not accepted; use ECDSA P-256/P-384/P-521 or RSA of at least 2048 bits.`);
}

/** Set equality, duplicates collapsed, as step-ca compares maps of names. */
const sameSet = (a: readonly string[], b: readonly string[]) => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};
const lower = (list: readonly string[]) => list.map((s) => s.toLowerCase());

/**
 * The CSR must fit the token, as step-ca's sign options require: its CN (if any) is the
 * token subject or one of its SANs, and for each SAN kind the CSR carries, the set is
 * exactly the token's.
 */
export function checkCsrNames(csr: ParsedCsr, subject: string, tokenSans: readonly string[]): void {
  const cn = csr.subject.commonName;
  if (cn !== undefined && cn !== '' && cn !== subject && !tokenSans.includes(cn)) {
    throw new CaError('csr_name_mismatch', `The request was forbidden by the certificate authority: the CSR's common name "${cn}" is not the token's subject "${subject}".`);
  }
  const others = csr.subject.attributes.filter((a) => a.type !== '2.5.4.3');
  if (others.length > 0) {
    // They would be dropped anyway (the leaf's subject is CN only); say so rather than surprise.
    throw new CaError('csr_name_mismatch', 'The request was forbidden by the certificate authority: the CSR subject may only hold a common name.');
  }
  if (csr.sans.other > 0) {
    throw new CaError('csr_san_mismatch', 'The request was forbidden by the certificate authority: the CSR asks for alternative names of a kind this CA does not issue.');
  }
  const want = splitSans(tokenSans);
  const got = csr.sans;
  const mismatch = (kind: string, g: readonly string[], w: readonly string[]) =>
    new CaError('csr_san_mismatch', `The request was forbidden by the certificate authority: certificate request does not contain the valid ${kind} - got [${g.join(' ')}], want [${w.join(' ')}].`);
  if (got.dns.length && !sameSet(lower(got.dns), lower(want.dns))) throw mismatch('DNS names', got.dns, want.dns);
  if (got.ip.length && !sameSet(got.ip, want.ip)) throw mismatch('IP addresses', got.ip, want.ip);
  if (got.email.length && !sameSet(got.email, want.email)) throw mismatch('email addresses', got.email, want.email);
  if (got.uri.length && !sameSet(got.uri, want.uri)) throw mismatch('URIs', got.uri, want.uri);
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const DNS_RE = /^(?=.{1,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

const nameError = (msg: string) => new CaError('policy_name_invalid', msg);

/**
 * A node's subject: an OpenFL collaborator/envoy name or an FQDN. Case is kept,
 * because OpenFL compares the certificate CN with the collaborator name exactly.
 */
export function validateSubject(subject: string): string {
  const s = subject.trim();
  if (!s) throw nameError('A subject name is required.');
  if (s.length > MAX_COMMON_NAME) throw nameError(`A subject name has at most ${MAX_COMMON_NAME} characters.`);
  if (parseIp(s)) return formatIp(parseIp(s)!);
  if (!NAME_RE.test(s)) {
    throw nameError('A subject name may use letters, digits, dots, hyphens and underscores, and must start with a letter or digit.');
  }
  return s;
}

/** Normalises a SAN list for a token: valid DNS names, IPs, e-mail addresses or URIs. */
export function validateSans(values: readonly string[]): string[] {
  const sans = splitSans(values);
  const total = sanCount(sans);
  if (total === 0) throw nameError('At least one subject alternative name is required.');
  if (total > MAX_SANS) throw nameError(`At most ${MAX_SANS} alternative names are allowed.`);
  for (const d of sans.dns) {
    if (!DNS_RE.test(d)) throw nameError(`"${d}" is not a valid DNS name.`);
    // "010.1.2.3" or "10.1" is no IP address here, but resolvers (inet_aton) read it as one.
    if (/^[0-9.]+$/.test(d)) throw nameError(`"${d}" is neither a DNS name nor an IP address in its usual form (write an IPv4 address as four decimal numbers without leading zeros).`);
  }
  for (const e of sans.email) if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 254) throw nameError(`"${e}" is not a valid e-mail address.`);
  for (const u of sans.uri) {
    try {
      new URL(u);
    } catch {
      throw nameError(`"${u}" is not a valid URI.`);
    }
  }
  return sansToList(sans);
}

/**
 * A certificate's SANs: the subject first, then the extra names, each once (a DNS name
 * differing from the subject only in case is the subject), all checked. The subject is
 * always among them: gRPC (OpenFL) checks a peer's host name against the SANs only, and
 * the CA/Browser Forum's BR 7.1.4.3 require the CN to be one of them.
 */
export function sansWithSubject(subject: string, extra: readonly string[]): string[] {
  const others = extra.filter((s) => s.trim().toLowerCase() !== subject.toLowerCase());
  return validateSans([...new Set([subject, ...others])]);
}

/**
 * The names an uploaded CSR is signed for (OpenFL's manual workflow): its CN, then its
 * SANs, each checked as a token's would be (`sansWithSubject`). The portal shows a
 * refusal when the CSR is read, before anyone confirms its hash.
 */
export function csrSigningNames(csr: Pick<ParsedCsr, 'subject' | 'sans'>): { subject: string; sans: string[] } {
  const cn = csr.subject.commonName;
  if (!cn) throw new CaError('csr_name_mismatch', 'The CSR has no common name; OpenFL identifies nodes by it.');
  const subject = validateSubject(cn);
  return { subject, sans: sansWithSubject(subject, sansToList(csr.sans)) };
}
