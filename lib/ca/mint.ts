/** Minting one-time tokens (what `fx pki get-token` does, plus a stored record). */

import { serialToDecimal } from '../pki/certificate';
import { getCrypto } from '../pki/crypto';
import { ActivityType, auditEntry, jtiLabel } from './audit';
import { CaError } from './errors';
import type { FederationContext } from './keyring';
import { sansWithSubject, validateSubject } from './policy';
import type { CaStore } from './store';
import { bindToken } from './token-binding';
import {
  TOKEN_DEFAULT_TTL_SECONDS,
  TOKEN_MAX_TTL_SECONDS,
  TOKEN_MIN_TTL_SECONDS,
  audienceFor,
  newJti,
  signJwt,
  wrapToken,
  type TokenClaims,
} from './token';
import type { Actor, CertificateRecord, NodeRole, TokenRecord } from './types';
import { MAX_CERT_SECONDS, MIN_CERT_SECONDS } from './validity';

export interface MintTokenParams {
  subject: string;
  /** Default is [subject]. */
  sans?: readonly string[];
  role?: NodeRole;
  /** Token lifetime. Default is 24 hours; 5 minutes to 7 days. */
  ttlSeconds?: number;
  /** Lifetime of the certificate it yields. Default is the federation's (365 days). */
  certSeconds?: number;
}

export interface MintedToken {
  /** The OpenFL token: base64(JWT) "." base64(root PEM). Shown once, never stored. */
  token: string;
  jwt: string;
  claims: TokenClaims;
  record: TokenRecord;
}

export async function mintToken(
  ctx: FederationContext,
  p: MintTokenParams,
  actor: Actor,
  store: CaStore,
  now: Date,
  crypto: Crypto = getCrypto(),
): Promise<MintedToken> {
  if (ctx.federation.status !== 'active') throw new CaError('conflict', `Federation "${ctx.federation.name}" is disabled; enable it to mint tokens.`);
  const subject = validateSubject(p.subject);
  const sans = sansWithSubject(subject, p.sans ?? []);
  const ttl = checkTtl(p.ttlSeconds);
  const certSeconds = p.certSeconds ?? ctx.federation.defaultCertSeconds;
  if (!Number.isInteger(certSeconds) || certSeconds < MIN_CERT_SECONDS || certSeconds > MAX_CERT_SECONDS) {
    throw new CaError('validation_failed', 'A certificate lives between 5 minutes and 5 years.', { fieldErrors: { certValidity: ['Choose between 5 minutes and 5 years.'] } });
  }
  const role = p.role ?? 'collaborator';
  return issueToken(
    { ctx, kind: 'sign', path: '/1.0/sign', subject, sans, role, certSeconds, ttl, actor, store, now, crypto },
    (record) => ({ subject, sans, role, expiresAt: record.expiresAt.toISOString() }),
  );
}

export interface MintRevokeTokenParams {
  /** The certificate to revoke (lowercase hex, as stored). */
  serial: string;
  /** Token lifetime. Default is 24 hours; 5 minutes to 7 days. */
  ttlSeconds?: number;
}

/**
 * A revoke token, as `step ca token SERIAL --revoke` makes it: `sub` is the serial in
 * decimal and `aud` https://<ca-url>/1.0/revoke. Whoever holds it may revoke that one
 * certificate, once, with `POST /revoke` (`step ca revoke --token`).
 */
export async function mintRevokeToken(
  ctx: FederationContext,
  cert: Pick<CertificateRecord, 'serial' | 'federationId' | 'role' | 'status'>,
  p: Pick<MintRevokeTokenParams, 'ttlSeconds'>,
  actor: Actor,
  store: CaStore,
  now: Date,
  crypto: Crypto = getCrypto(),
): Promise<MintedToken> {
  if (cert.federationId !== ctx.federation.id) throw new CaError('not_found', `Certificate ${cert.serial} does not belong to federation "${ctx.federation.name}".`);
  if (cert.status === 'revoked') throw new CaError('already_revoked', `Certificate ${cert.serial} is already revoked.`);
  const ttl = checkTtl(p.ttlSeconds);
  const decimal = serialToDecimal(cert.serial);
  return issueToken(
    { ctx, kind: 'revoke', path: '/1.0/revoke', subject: decimal, sans: [decimal], role: cert.role, certSeconds: 0, ttl, actor, store, now, crypto },
    (record) => ({ kind: 'revoke', serial: cert.serial, expiresAt: record.expiresAt.toISOString() }),
  );
}

function checkTtl(ttlSeconds: number | undefined): number {
  const ttl = ttlSeconds ?? TOKEN_DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < TOKEN_MIN_TTL_SECONDS || ttl > TOKEN_MAX_TTL_SECONDS) {
    throw new CaError('validation_failed', 'A token lives between 5 minutes and 7 days.', { fieldErrors: { ttl: ['Choose between 5 minutes and 7 days.'] } });
  }
  return ttl;
}

interface TokenToIssue {
  ctx: FederationContext;
  kind: TokenRecord['kind'];
  path: string;
  subject: string;
  sans: string[];
  role: NodeRole;
  certSeconds: number;
  ttl: number;
  actor: Actor;
  store: CaStore;
  now: Date;
  crypto: Crypto;
}

/** Signs the JWT, stores its record with a TOKEN_MINTED audit entry, and wraps it as OpenFL does. */
async function issueToken(t: TokenToIssue, auditDetails: (record: TokenRecord) => Record<string, unknown>): Promise<MintedToken> {
  const { ctx, now } = t;
  const iat = Math.floor(now.getTime() / 1000);
  const claims: TokenClaims = {
    aud: audienceFor(ctx.federation.caUrl, t.path),
    exp: iat + t.ttl,
    iat,
    iss: ctx.provisioner.name,
    jti: newJti(t.crypto),
    nbf: iat,
    sans: t.sans,
    sha: ctx.root.fingerprint,
    sub: t.subject,
    ...(t.kind === 'sign' ? { role: t.role } : {}),
  };
  const jwt = await signJwt({ alg: 'ES256', kid: ctx.provisioner.kid, typ: 'JWT' }, claims, await ctx.provisioner.privateKey(), t.crypto);
  const record: TokenRecord = {
    jti: claims.jti,
    federationId: ctx.federation.id,
    kind: t.kind,
    subject: t.subject,
    sans: t.sans,
    role: t.role,
    certSeconds: t.certSeconds,
    notBefore: new Date(claims.nbf * 1000),
    expiresAt: new Date(claims.exp * 1000),
    createdAt: now,
    createdBy: t.actor.id,
    state: 'pending',
    usedAt: null,
    certSerial: null,
    cancelledAt: null,
    cancelledBy: null,
    binding: ctx.tokenBinding ? await bindToken(ctx.tokenBinding, jwt, t.crypto) : null,
  };
  await t.store.insertToken(
    record,
    auditEntry(ActivityType.TOKEN_MINTED, {
      at: now,
      actor: t.actor.id,
      sourceIp: t.actor.sourceIp,
      federationId: ctx.federation.id,
      target: jtiLabel(record.jti),
      details: auditDetails(record),
    }),
  );
  return { token: wrapToken(jwt, ctx.root.pem), jwt, claims, record };
}
