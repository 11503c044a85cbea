/**
 * The renewal token `step ca renew --mtls=false` sends as `Authorization: Bearer …`
 * (step-ca authority/authorize.go AuthorizeRenewToken; go.step.sm/crypto jose):
 *
 *   header  {"alg": "ES256" | "ES384" | "ES512" | "RS256", "typ": "JWT",
 *            "x5cInsecure": [base64 DER leaf, base64 DER intermediate …]}
 *   claims  {"iss": "step-ca-client/1.0", "sub": <leaf CN>, "aud": "https://<ca>/1.0/renew",
 *            "nbf", "iat", "exp" (5 minutes), "jti"?}
 *
 * signed by the certificate's own key. "Insecure" because the chain is only a claim:
 * the CA checks it against its own intermediates (lib/ca/renew.ts). FedPKI also takes
 * it on /rekey (aud …/rekey), binding the new CSR with step's `cnf` claim
 * {"x5rt#S256": base64url(SHA-256(CSR DER))}: that is how the browser renewal page
 * proves possession of the current key without sending it.
 *
 * step's own CLI makes these tokens without a jti (go.step.sm/cli-utils token.NewClaims
 * sets none), so, as step-ca's UseToken does, a token without one is used up under
 * the SHA-256 of the whole token instead.
 */

import { readCertificate, type CertificateFields } from '../pki/certificate';
import { getCrypto, randomBytes, sha256 } from '../pki/crypto';
import { CURVE_FIELD_BYTES } from '../pki/ecdsa';
import { fromBase64, toBase64, toBase64Url, toHex, utf8 } from '../pki/encoding';
import { CaError } from './errors';
import { TOKEN_LEEWAY_SECONDS, decodeJwt } from './token';

export const RENEW_TOKEN_ISSUER = 'step-ca-client/1.0';
export const RENEW_PATHS = ['/1.0/renew', '/renew'] as const;
export const REKEY_PATHS = ['/1.0/rekey', '/rekey'] as const;
/** step's renewal tokens live 5 minutes. */
export const RENEW_TOKEN_TTL_SECONDS = 5 * 60;
/** A longer-lived token is refused: it would be a reusable credential, not a proof. */
export const MAX_RENEW_TOKEN_LIFETIME_SECONDS = 3600;

export type JwsAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256';

const EC_JWS: Record<string, { alg: JwsAlgorithm; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }> = {
  'P-256': { alg: 'ES256', hash: 'SHA-256' },
  'P-384': { alg: 'ES384', hash: 'SHA-384' },
  'P-521': { alg: 'ES512', hash: 'SHA-512' },
};

/** The JWS algorithm a key signs with: by curve for EC, RS256 for RSA (as step). */
export function jwsAlgorithmFor(key: CryptoKey): JwsAlgorithm {
  const alg = key.algorithm as EcKeyAlgorithm;
  if (alg.name === 'ECDSA') {
    const entry = EC_JWS[alg.namedCurve];
    if (entry) return entry.alg;
  }
  if (alg.name === 'RSASSA-PKCS1-v1_5') return 'RS256';
  throw new CaError('bad_request', 'The key must be ECDSA (P-256, P-384, P-521) or RSA.');
}

function webCryptoParams(alg: JwsAlgorithm): AlgorithmIdentifier | EcdsaParams {
  if (alg === 'RS256') return { name: 'RSASSA-PKCS1-v1_5' };
  return { name: 'ECDSA', hash: alg === 'ES256' ? 'SHA-256' : alg === 'ES384' ? 'SHA-384' : 'SHA-512' };
}

export interface X5cTokenParams {
  /** Leaf first; DER. */
  chain: readonly Uint8Array[];
  /** The leaf's private key. */
  key: CryptoKey;
  /** https://<ca host:port>/1.0/renew or …/1.0/rekey */
  audience: string;
  /** The leaf's common name. */
  subject: string;
  /** Binds a rekey CSR to the token. */
  csrDer?: Uint8Array;
  now?: Date;
  ttlSeconds?: number;
}

/** Makes and signs a renewal token (the CLI and the browser renewal page). */
export async function createX5cToken(p: X5cTokenParams, crypto: Crypto = getCrypto()): Promise<string> {
  const alg = jwsAlgorithmFor(p.key);
  const iat = Math.floor((p.now ?? new Date()).getTime() / 1000);
  const header = { alg, typ: 'JWT', x5cInsecure: p.chain.map((d) => toBase64(d)) };
  const claims: Record<string, unknown> = {
    aud: p.audience,
    exp: iat + (p.ttlSeconds ?? RENEW_TOKEN_TTL_SECONDS),
    iat,
    iss: RENEW_TOKEN_ISSUER,
    jti: toHex(randomBytes(32, crypto)),
    nbf: iat,
    sub: p.subject,
  };
  if (p.csrDer) claims.cnf = { 'x5rt#S256': toBase64Url(await sha256(p.csrDer, crypto)) };
  const input = `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(claims)))}`;
  const sig = new Uint8Array(await crypto.subtle.sign(webCryptoParams(alg), p.key, utf8(input) as BufferSource));
  return `${input}.${toBase64Url(sig)}`;
}

export interface VerifiedX5cToken {
  leafDer: Uint8Array;
  leaf: CertificateFields;
  /** What makes the token single use: its jti, or `sha256:<hex of the whole token>` when it has none. */
  reuseKey: string;
  aud: string;
  exp: number;
  /** base64url SHA-256 of the CSR the token was made for, when it names one. */
  csrThumbprint?: string;
}

const refused = (detail: string) => new CaError('unauthenticated', `The renewal token is refused: ${detail}.`);

/**
 * The first instant a token expiring at `exp` (seconds) is refused: the leeway after
 * exp, to the end of that second. Its jti must be remembered until then, or a used
 * token could be replayed in the gap.
 */
export function acceptedUntil(exp: number): Date {
  return new Date((exp + TOKEN_LEEWAY_SECONDS + 1) * 1000);
}

/**
 * Checks a renewal token's form, its signature by the key of the leaf it carries, and
 * its claims. The leaf itself (issuer, inventory, status, expiry) is the caller's to check.
 * @param paths - the audience paths accepted (RENEW_PATHS or REKEY_PATHS)
 */
export async function verifyX5cToken(jwt: string, o: { now: Date; paths: readonly string[] }, crypto: Crypto = getCrypto()): Promise<VerifiedX5cToken> {
  let decoded;
  try {
    decoded = decodeJwt(jwt.trim());
  } catch {
    throw refused('it is not a JWT');
  }
  const { header, claims } = decoded;
  const chain = header.x5cInsecure ?? header.x5c;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > 4 || !chain.every((c) => typeof c === 'string')) {
    throw refused('it carries no certificate (x5cInsecure header)');
  }
  let leafDer: Uint8Array;
  let leaf: CertificateFields;
  try {
    leafDer = fromBase64(chain[0] as string);
    leaf = readCertificate(leafDer);
  } catch {
    throw refused('its certificate cannot be read');
  }
  const alg = header.alg as JwsAlgorithm;
  const pk = leaf.publicKey;
  const fits = pk.type === 'EC' ? EC_JWS[pk.curve ?? '']?.alg === alg : pk.type === 'RSA' && alg === 'RS256';
  if (!fits) throw refused(`it must be signed with the certificate's key algorithm, not ${JSON.stringify(String(header.alg))}`);

  let ok = false;
  try {
    const key =
      pk.type === 'EC'
        ? await crypto.subtle.importKey('raw', pk.subjectPublicKey as BufferSource, { name: 'ECDSA', namedCurve: pk.curve! }, false, ['verify'])
        : await crypto.subtle.importKey('spki', pk.der as BufferSource, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    if (pk.type === 'EC' && decoded.signature.length !== 2 * CURVE_FIELD_BYTES[pk.curve!]) throw refused('its signature is not valid');
    ok = await crypto.subtle.verify(webCryptoParams(alg), key, decoded.signature as BufferSource, decoded.signingInput as BufferSource);
  } catch (e) {
    if (e instanceof CaError) throw e;
    ok = false;
  }
  if (!ok) throw refused('its signature does not verify with the certificate it carries');

  const num = (k: string) => (typeof claims[k] === 'number' && Number.isSafeInteger(claims[k]) ? (claims[k] as number) : undefined);
  const aud = Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : claims.aud;
  const exp = num('exp');
  const nbf = num('nbf') ?? num('iat');
  const jti = claims.jti;
  if (claims.iss !== RENEW_TOKEN_ISSUER) throw refused(`its issuer must be "${RENEW_TOKEN_ISSUER}"`);
  if (typeof claims.sub !== 'string' || claims.sub !== leaf.subject.commonName) throw refused("its subject is not the certificate's common name");
  if (typeof aud !== 'string') throw refused('it has no audience');
  let path: string;
  try {
    const url = new URL(aud);
    if (url.protocol !== 'https:') throw new Error('not https');
    path = url.pathname;
  } catch {
    throw refused('its audience is not an https URL');
  }
  if (!o.paths.includes(path)) throw refused(`it is meant for ${aud}, not for ${o.paths[0]}`);
  if (exp === undefined || nbf === undefined) throw refused('it must carry nbf (or iat) and exp');
  const hasJti = jti !== undefined && jti !== '';
  if (hasJti && (typeof jti !== 'string' || jti.length < 16 || jti.length > 128)) throw refused('its jti, when it has one, must be 16 to 128 characters');
  const now = Math.floor(o.now.getTime() / 1000);
  if (nbf > now + TOKEN_LEEWAY_SECONDS) throw refused('it is not valid yet');
  if (o.now.getTime() >= acceptedUntil(exp).getTime()) throw refused('it has expired');
  if (exp - nbf > MAX_RENEW_TOKEN_LIFETIME_SECONDS) throw refused('it lives longer than an hour');
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  const csrThumbprint = cnf && typeof cnf['x5rt#S256'] === 'string' ? (cnf['x5rt#S256'] as string) : undefined;
  const reuseKey = hasJti ? (jti as string) : `sha256:${toHex(await sha256(utf8(jwt.trim()), crypto))}`;
  return { leafDer, leaf, reuseKey, aud, exp, csrThumbprint };
}

/** The audience host of a verified token, lowercase, without brackets or port. */
export function audienceHost(aud: string): string {
  return new URL(aud).hostname.replace(/^\[|\]$/g, '').toLowerCase();
}
