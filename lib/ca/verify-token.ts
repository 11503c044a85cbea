/**
 * Token verification, in the order step-ca checks and with the algorithm pinned:
 * decode → alg must be ES256 → key by `kid` → signature (or the token's binding to its
 * record, token-binding.ts) → claim shapes → iss → aud
 * → nbf/exp with 60 s leeway → root fingerprint → federation enabled. Single use is
 * enforced by the store when the certificate is recorded (see `CaStore.recordIssuance`).
 */

import { getCrypto } from '../pki/crypto';
import { CaError } from './errors';
import type { FederationContext } from './keyring';
import { isBoundToken } from './token-binding';
import { TOKEN_LEEWAY_SECONDS, decodeJwt, jwtFromOtt, parseClaims, type TokenClaims } from './token';

export interface VerifiedToken {
  claims: TokenClaims;
  ctx: FederationContext;
}

export interface TokenVerifyParams {
  ott: string;
  now: Date;
  lookup: (kid: string) => FederationContext | undefined;
  /** Paths an `aud` may carry: /1.0/sign and /sign for signing, /1.0/revoke and /revoke for revocation. */
  paths: readonly string[];
  /**
   * The binding stored with the record of the token whose `jti` this one claims, if
   * any. When the token's bytes match it (token-binding.ts), they are the bytes this CA
   * signed, and the signature is not verified again; otherwise it is.
   */
  bindingOf?: (jti: string) => Promise<Uint8Array | null | undefined>;
}

export async function verifyToken(p: TokenVerifyParams, crypto: Crypto = getCrypto()): Promise<VerifiedToken> {
  const jwt = jwtFromOtt(p.ott);
  const decoded = decodeJwt(jwt);
  const { header } = decoded;
  if (header.alg !== 'ES256') {
    throw new CaError('token_algorithm_refused', `The token is refused: it must be signed with ES256, not ${JSON.stringify(String(header.alg))}.`);
  }
  if (header.crit !== undefined) throw new CaError('token_malformed', 'The token is malformed: critical header parameters are not supported.');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new CaError('token_malformed', 'The token is malformed: its type is not JWT.');
  if (typeof header.kid !== 'string') throw new CaError('token_key_unknown', 'The token is refused: it does not name the key that signed it.');
  const ctx = p.lookup(header.kid);
  if (!ctx) throw new CaError('token_key_unknown', 'The token is refused: it was not signed by a provisioner of this certificate authority.');
  if (decoded.signature.length !== 64) throw new CaError('token_signature_invalid', 'The token is refused: its signature is not valid.');
  const ok =
    (await isBound(p, ctx, jwt, decoded.claims.jti, crypto)) ||
    (await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ctx.provisioner.publicKey, decoded.signature as BufferSource, decoded.signingInput as BufferSource));
  if (!ok) throw new CaError('token_signature_invalid', 'The token is refused: its signature is not valid.');

  const claims = parseClaims(decoded.claims);
  if (claims.iss !== ctx.provisioner.name) throw new CaError('token_issuer_invalid', 'The token is refused: it names another issuer.');
  checkAudience(claims.aud, ctx, p.paths);
  const now = Math.floor(p.now.getTime() / 1000);
  if (claims.nbf > now + TOKEN_LEEWAY_SECONDS) {
    throw new CaError('token_not_yet_valid', `The token is not valid yet: it becomes valid at ${new Date(claims.nbf * 1000).toISOString()}.`);
  }
  if (claims.exp < now - TOKEN_LEEWAY_SECONDS) {
    throw new CaError('token_expired', `The token has expired: it was valid until ${new Date(claims.exp * 1000).toISOString()}.`);
  }
  if (claims.sha !== ctx.root.fingerprint) {
    throw new CaError('token_claims_invalid', "The token is refused: its root fingerprint is not this federation's root.");
  }
  if (ctx.federation.status !== 'active') {
    throw new CaError('federation_disabled', `The token is refused: federation "${ctx.federation.name}" has been disabled.`);
  }
  return { claims, ctx };
}

async function isBound(p: TokenVerifyParams, ctx: FederationContext, jwt: string, jti: unknown, crypto: Crypto): Promise<boolean> {
  if (!p.bindingOf || !ctx.tokenBinding || typeof jti !== 'string') return false;
  const binding = await p.bindingOf(jti);
  return !!binding && isBoundToken(ctx.tokenBinding, jwt, binding, crypto);
}

function checkAudience(aud: string, ctx: FederationContext, paths: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(aud);
  } catch {
    throw new CaError('token_audience_invalid', 'The token is refused: its audience is not a URL.');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (url.protocol !== 'https:' || !paths.includes(url.pathname) || !ctx.hostnames.has(host)) {
    throw new CaError('token_audience_invalid', `The token is refused: it is meant for ${aud}, not for this certificate authority.`);
  }
}
