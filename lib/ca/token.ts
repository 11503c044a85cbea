/**
 * One-time enrollment tokens, in the exact format OpenFL's `fx pki get-token` prints:
 *
 *   base64(JWT) + "." + base64(root certificate PEM)      (standard base64, padded)
 *
 * The JWT is a step-style JWK token: header {alg: ES256, kid: RFC 7638 thumbprint,
 * typ: JWT}; claims iss, sub, aud (https://<ca-url>/1.0/sign), sans, sha (root
 * SHA-256), jti (64 hex), nbf, iat, exp. `step ca certificate --token` and
 * `fx pki certify` consume it unchanged.
 */

import { getCrypto, randomBytes, sha256 } from '../pki/crypto';
import { fromBase64, fromBase64Url, fromUtf8, toBase64, toBase64Url, toHex, utf8 } from '../pki/encoding';
import { fromPem } from '../pki/pem';
import { CaError } from './errors';
import { NODE_ROLES, type NodeRole, type TokenState } from './types';

export const TOKEN_DEFAULT_TTL_SECONDS = 24 * 3600;
export const TOKEN_MIN_TTL_SECONDS = 5 * 60;
export const TOKEN_MAX_TTL_SECONDS = 7 * 24 * 3600;
/** Clock skew tolerated on nbf/exp, as step-ca (go-jose's DefaultLeeway). */
export const TOKEN_LEEWAY_SECONDS = 60;
/** A JWT larger than this is not one of ours (a real one is ~600 bytes). */
export const MAX_JWT_LENGTH = 8192;

export interface TokenHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [k: string]: unknown;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  sans: string[];
  sha: string;
  jti: string;
  nbf: number;
  iat: number;
  exp: number;
  /**
   * FedPKI's own claim: the role the admin chose for the node, so the enrollment page
   * lays out the right bundle. step's client and step-ca ignore claims they do not know.
   */
  role?: NodeRole;
}

export interface DecodedJwt {
  header: TokenHeader;
  claims: Record<string, unknown>;
  signingInput: Uint8Array;
  signature: Uint8Array;
}

export interface PublicEcJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): step's provisioner `kid`. */
export async function jwkThumbprint(jwk: PublicEcJwk, crypto: Crypto = getCrypto()): Promise<string> {
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`;
  return toBase64Url(await sha256(utf8(canonical), crypto));
}

export function audienceFor(caUrl: string, path = '/1.0/sign'): string {
  return `https://${caUrl}${path}`;
}

export const newJti = (crypto: Crypto = getCrypto()): string => toHex(randomBytes(32, crypto));

function b64urlJson(value: unknown): string {
  return toBase64Url(utf8(JSON.stringify(value)));
}

/** Signs a compact JWS with ES256 (WebCrypto's P1363 output is JWS's format). */
export async function signJwt(header: TokenHeader, claims: object, key: CryptoKey, crypto: Crypto = getCrypto()): Promise<string> {
  const input = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, utf8(input) as BufferSource));
  return `${input}.${toBase64Url(sig)}`;
}

const malformed = (detail: string) => new CaError('token_malformed', `The token is malformed: ${detail}.`);

/** Splits and decodes a compact JWS without verifying it. */
export function decodeJwt(jwt: string): DecodedJwt {
  if (jwt.length > MAX_JWT_LENGTH) throw malformed('it is too long');
  const parts = jwt.split('.');
  if (parts.length !== 3) throw malformed('a JWT has three dot-separated parts');
  const [h, c, s] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  let signature: Uint8Array;
  try {
    header = JSON.parse(fromUtf8(fromBase64Url(h)));
    claims = JSON.parse(fromUtf8(fromBase64Url(c)));
    signature = fromBase64Url(s);
  } catch {
    throw malformed('its parts are not base64url-encoded JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed('the header is not an object');
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw malformed('the claims are not an object');
  return { header: header as TokenHeader, claims: claims as Record<string, unknown>, signingInput: utf8(`${h}.${c}`), signature };
}

/** Wraps a JWT and the root PEM the way `fx pki get-token` does. */
export function wrapToken(jwt: string, rootPem: string): string {
  return `${toBase64(utf8(jwt))}.${toBase64(utf8(rootPem))}`;
}

export interface UnwrappedToken {
  jwt: string;
  rootPem: string;
  rootDer: Uint8Array;
}

/** Splits an OpenFL token (`fx pki certify` accepts exactly two parts). */
export function unwrapToken(token: string): UnwrappedToken {
  const trimmed = token.trim();
  const parts = trimmed.split('.');
  if (parts.length !== 2) throw malformed('an enrollment token has two base64 parts joined by one dot');
  let jwt: string;
  let rootPem: string;
  try {
    jwt = fromUtf8(fromBase64(parts[0]!));
    rootPem = fromUtf8(fromBase64(parts[1]!));
  } catch {
    throw malformed('its parts are not base64');
  }
  const rootDer = fromPem(rootPem, 'CERTIFICATE');
  if (!rootDer) throw malformed('the second part is not a PEM certificate');
  if (jwt.split('.').length !== 3) throw malformed('the first part is not a JWT');
  return { jwt: jwt.trim(), rootPem, rootDer };
}

/** The JWT in an `ott` field: step sends the bare JWT; people may paste the whole token. */
export function jwtFromOtt(ott: string): string {
  const trimmed = ott.trim();
  return trimmed.split('.').length === 2 ? unwrapToken(trimmed).jwt : trimmed;
}

/**
 * The `jti` a token claims, read without verifying anything: only for looking the token
 * up ahead of verification (the signing threads get the stored record with the request).
 * Whatever it returns is checked again against the verified claims.
 */
export function unverifiedJti(ott: string): string | undefined {
  try {
    const { claims } = decodeJwt(jwtFromOtt(ott));
    return typeof claims.jti === 'string' && JTI_RE.test(claims.jti) ? claims.jti : undefined;
  } catch {
    return undefined;
  }
}

const JTI_RE = /^[0-9a-f]{64}$/;
const SHA_RE = /^[0-9a-f]{64}$/;

const invalid = (detail: string) => new CaError('token_claims_invalid', `The token's claims are invalid: ${detail}.`);

/** Checks claim types and shapes (not their values against a federation). */
export function parseClaims(raw: Record<string, unknown>): TokenClaims {
  const str = (k: string) => {
    const v = raw[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > 2048) throw invalid(`"${k}" must be a non-empty string`);
    return v;
  };
  const num = (k: string) => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`"${k}" must be a time in seconds`);
    return v;
  };
  const aud = Array.isArray(raw.aud) && raw.aud.length === 1 ? raw.aud[0] : raw.aud;
  if (typeof aud !== 'string') throw invalid('"aud" must be a string');
  const sans = raw.sans ?? [str('sub')];
  if (!Array.isArray(sans) || sans.length > 100 || !sans.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 253)) {
    throw invalid('"sans" must be a list of names');
  }
  const jti = str('jti');
  if (!JTI_RE.test(jti)) throw invalid('"jti" must be 64 lowercase hex characters');
  const sha = str('sha').toLowerCase();
  if (!SHA_RE.test(sha)) throw invalid('"sha" must be a SHA-256 fingerprint');
  return {
    iss: str('iss'),
    sub: str('sub'),
    aud,
    sans: sans as string[],
    sha,
    jti,
    nbf: num('nbf'),
    iat: num('iat'),
    exp: num('exp'),
    // Informational only (nothing is decided by it): an unknown value is left out, not refused.
    ...(typeof raw.role === 'string' && (NODE_ROLES as readonly string[]).includes(raw.role) ? { role: raw.role as NodeRole } : {}),
  };
}

/** Decodes a token for display (the enrollment page, `fedpki` messages) without verifying it. */
export function inspectToken(token: string): { claims: TokenClaims; header: TokenHeader; rootDer?: Uint8Array; rootPem?: string } {
  const trimmed = token.trim();
  const wrapped = trimmed.split('.').length === 2 ? unwrapToken(trimmed) : undefined;
  const decoded = decodeJwt(wrapped?.jwt ?? trimmed);
  return { claims: parseClaims(decoded.claims), header: decoded.header, rootDer: wrapped?.rootDer, rootPem: wrapped?.rootPem };
}

/**
 * The refusal for a token that cannot be consumed: unknown, used, cancelled, or — found
 * pending but past its time when the store tried to consume it — expired. One wording
 * for issuance, revocation and both stores.
 */
export function tokenStateError(state: TokenState | undefined): CaError {
  if (!state) return new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it.');
  if (state === 'used') return new CaError('token_used', 'The token has already been used: ask your administrator for a new one.');
  if (state === 'cancelled') return new CaError('token_cancelled', 'The token has been cancelled by an administrator.');
  return new CaError('token_expired', 'The token has expired.');
}
