/**
 * Revocation, as one operation behind every door (portal, CLI, `POST /revoke` with a
 * revoke token or the certificate's own mTLS certificate):
 *
 *   1. the serial is read (hex as FedPKI shows it; decimal or 0x-hex as step sends it)
 *   2. the reason is an RFC 5280 CRLReason FedPKI publishes       bad_request (400)
 *   3. the certificate exists (in the expected federation)      not_found (404)
 *   4. store: certificate + revocation row + audit (+ the revoke token consumed)
 *      in one transaction; a second revocation is refused       already_revoked (400)
 *
 * Publishing the new CRL is the caller's next step (`CrlPublisher.publish`).
 */

import { normalizeSerial, serialToDecimal } from '../pki/certificate';
import { getCrypto } from '../pki/crypto';
import { CRL_REASONS, crlReasonName, type CrlReasonName } from '../pki/crl';
import { ActivityType, auditEntry } from './audit';
import { CaError } from './errors';
import type { FederationContext } from './keyring';
import type { CaStore, Revoked } from './store';
import type { AuditEntry } from './audit';
import type { Actor, CertificateRecord, RevocationChannel, RevocationRecord } from './types';
import { tokenStateError } from './token';
import { verifyToken } from './verify-token';

/**
 * Reasons FedPKI accepts for a node's certificate: RFC 5280's, less removeFromCRL
 * (delta CRLs only), certificateHold (a hold is meant to be lifted, and a revocation
 * here is final; the CA/Browser Forum's BR 7.2.2 forbid it too), and cACompromise and
 * aACompromise (reasons for revoking a CA or attribute authority, not a leaf).
 */
const NOT_FOR_LEAVES = new Set<CrlReasonName>(['removeFromCRL', 'certificateHold', 'cACompromise', 'aACompromise']);
export const REVOCATION_REASONS: readonly CrlReasonName[] = (Object.keys(CRL_REASONS) as CrlReasonName[]).filter((r) => !NOT_FOR_LEAVES.has(r));

/** Longest free-text reason kept (step's `--reason` is free text). */
export const MAX_REASON_TEXT = 500;

/**
 * A reason given by name ("keyCompromise", case-insensitive) or code ("1").
 * @throws CaError bad_request naming the accepted reasons
 */
export function parseReasonCode(input: string | number | undefined | null): number {
  if (input === undefined || input === null || input === '') return CRL_REASONS.unspecified;
  const text = String(input).trim();
  const byName = REVOCATION_REASONS.find((r) => r.toLowerCase() === text.toLowerCase());
  const code = byName !== undefined ? CRL_REASONS[byName] : /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  const name = crlReasonName(code);
  if (name === undefined || !REVOCATION_REASONS.includes(name)) {
    throw new CaError('bad_request', `The request could not be completed: the revocation reason must be one of ${REVOCATION_REASONS.map((r) => `${r} (${CRL_REASONS[r]})`).join(', ')}.`);
  }
  return code;
}

/**
 * A serial as a person or client gives it.
 * @param base - how to read a bare digit string: 16 (FedPKI, OpenSSL) or 10 (step's /revoke)
 */
export function parseSerial(input: string, base: 10 | 16 = 16): string {
  const serial = normalizeSerial(input, base);
  if (!serial) throw new CaError('serial_invalid', 'The request could not be completed: the serial number is not a positive hexadecimal or decimal number.');
  return serial;
}

export interface RevokeParams {
  /** RFC 5280 CRLReason code. Default is 0 (unspecified). */
  reasonCode?: number;
  /** Free text kept with the revocation (not published). */
  reason?: string | null;
  /** Refuse unless the certificate belongs to this federation. */
  federationId?: string;
  /** A verified revoke token to consume in the same transaction. */
  consumeJti?: string;
}

export interface RevokeDeps {
  store: CaStore;
  now: Date;
}

/**
 * Revokes a certificate and records who did it, how and why.
 * @param serialInput - lowercase hex as stored, or any form `parseSerial` reads
 * @throws CaError serial_invalid, bad_request, not_found, already_revoked
 */
export async function revokeCertificate(
  serialInput: string,
  p: RevokeParams,
  actor: Actor,
  via: RevocationChannel,
  deps: RevokeDeps,
): Promise<Revoked> {
  const serial = parseSerial(serialInput);
  const reasonCode = parseReasonCode(p.reasonCode);
  const reason = p.reason?.trim().slice(0, MAX_REASON_TEXT) || null;
  const cert = await deps.store.getCertificate(serial);
  if (!cert || (p.federationId && cert.federationId !== p.federationId)) {
    throw new CaError('not_found', `No certificate with serial ${serial} was issued by this certificate authority.`);
  }
  if (cert.status === 'revoked') throw alreadyRevoked(cert);
  return deps.store.markRevoked(
    { serial, federationId: cert.federationId, reasonCode, reason, revokedAt: deps.now, expiresAt: cert.notAfter, actor: actor.id, via },
    auditEntry(ActivityType.CERT_REVOKED, {
      at: deps.now,
      actor: actor.id,
      sourceIp: actor.sourceIp,
      federationId: cert.federationId,
      target: serial,
      details: { subject: cert.commonName, reasonCode, reason: crlReasonName(reasonCode), via, ...(reason ? { text: reason } : {}), serialDecimal: serialToDecimal(serial) },
    }),
    p.consumeJti,
  );
}

/** RFC 5280 keyCompromise: the reason that reaches the key, not only the certificate. */
export const KEY_COMPROMISE = CRL_REASONS.keyCompromise;

export function keyCompromisedError(): CaError {
  return new CaError(
    'policy_key_compromised',
    'The request was forbidden by the certificate authority: this key was reported compromised (a certificate for it was revoked for keyCompromise); make a new key.',
  );
}

/**
 * The revocation and audit entry of a certificate revoked because another one with
 * the same key was revoked for keyCompromise (the stores write them in that
 * revocation's transaction).
 */
export function sameKeyRevocation(r: RevocationRecord, audit: AuditEntry, other: Pick<CertificateRecord, 'serial' | 'federationId' | 'commonName' | 'notAfter'>): { revocation: RevocationRecord; audit: AuditEntry } {
  return {
    revocation: { ...r, serial: other.serial, federationId: other.federationId, expiresAt: other.notAfter, reason: `same key as ${r.serial}` },
    audit: auditEntry(ActivityType.CERT_REVOKED, {
      at: r.revokedAt,
      actor: r.actor,
      sourceIp: audit.sourceIp,
      federationId: other.federationId,
      target: other.serial,
      details: { subject: other.commonName, reasonCode: KEY_COMPROMISE, reason: 'keyCompromise', via: r.via, sameKeyAs: r.serial, serialDecimal: serialToDecimal(other.serial) },
    }),
  };
}

export function alreadyRevoked(cert: Pick<CertificateRecord, 'serial' | 'revokedAt'>): CaError {
  const when = cert.revokedAt ? ` on ${cert.revokedAt.toISOString()}` : '';
  return new CaError('already_revoked', `The request could not be completed: certificate ${cert.serial} was already revoked${when}.`);
}

export const REVOKE_PATHS = ['/1.0/revoke', '/revoke'] as const;

export interface RevokeTokenDeps extends RevokeDeps {
  lookup: (kid: string) => FederationContext | undefined;
  crypto?: Crypto;
}

/**
 * Checks a revoke token for a serial (step-ca authority/tls.go Revoke): a FedPKI token
 * whose audience is …/revoke, whose `sub` is the serial in decimal, still pending.
 * Consuming it is left to the revocation's transaction.
 * @returns the federation and the token id to consume
 */
export async function authorizeRevokeToken(ott: string, serial: string, deps: RevokeTokenDeps): Promise<{ ctx: FederationContext; jti: string }> {
  const { claims, ctx } = await verifyToken({ ott, now: deps.now, lookup: deps.lookup, paths: REVOKE_PATHS }, deps.crypto ?? getCrypto());
  if (claims.sub !== serialToDecimal(serial)) {
    throw new CaError('forbidden', 'The request was forbidden by the certificate authority: the token is for another certificate.');
  }
  const token = await deps.store.getToken(claims.jti);
  if (!token || token.federationId !== ctx.federation.id || token.kind !== 'revoke' || token.subject !== claims.sub) {
    throw new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it as a revoke token.');
  }
  if (token.state !== 'pending') throw tokenStateError(token.state);
  return { ctx, jti: claims.jti };
}
