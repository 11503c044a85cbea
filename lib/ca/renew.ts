/**
 * Renewal and rekey, authorized by the current certificate (step-ca api/renew.go,
 * api/rekey.go), presented over mutual TLS or inside an x5c renewal token:
 *
 *   1. the certificate is one of ours: signed by the intermediate of a federation
 *      served here, and recorded in the inventory byte for byte   unauthenticated (401)
 *   2. it is not revoked                                            certificate_revoked (401)
 *   3. it is valid now, or expired in a federation that allows
 *      renewal after expiry (off by default)                        certificate_expired (401)
 *   4. the federation is enabled                                    federation_disabled (401)
 *   5. (token) the audience names this CA; the jti is used once     unauthenticated / token_used (401)
 *   6. (rekey) the CSR is well-formed, of an accepted key, self-signed, and the one the token names
 *   7. sign: same subject, SANs and role, the same lifetime starting now, a new serial;
 *      store it with `renewedFrom` and a CERT_RENEWED audit entry in one transaction
 *
 * The old certificate is left alone: it stays valid until it expires.
 */

import { readCertificate, type CertificateFields } from '../pki/certificate';
import { getCrypto, sha256 } from '../pki/crypto';
import { bytesEqual, toBase64Url } from '../pki/encoding';
import { verifySignedData } from '../pki/signature';
import { ActivityType, auditEntry } from './audit';
import { CaError } from './errors';
import { certificateResult, checkCsr, signLeafRecord, type IssuedCertificate } from './issue';
import { checkKeyPolicy } from './policy';
import type { FederationContext } from './keyring';
import type { CaStore } from './store';
import type { CertificateRecord } from './types';
import { BACKDATE_SECONDS, MAX_CERT_SECONDS, MIN_CERT_SECONDS, resolveValidity } from './validity';
import { REKEY_PATHS, RENEW_PATHS, acceptedUntil, audienceHost, verifyX5cToken } from './x5c-token';

export interface LifecycleDeps {
  store: CaStore;
  now: Date;
  crypto?: Crypto;
}

export interface AuthenticatedCertificate {
  ctx: FederationContext;
  record: CertificateRecord;
  fields: CertificateFields;
}

export interface AuthenticateOptions {
  /** Accept an expired certificate: always, never, or as the federation says (default). */
  allowExpired?: boolean | 'federation';
}

const unauthenticated = (detail: string) => new CaError('unauthenticated', `The request lacked necessary authorization: ${detail}.`);

/**
 * Checks that a presented certificate is a current certificate of one of `scope`'s
 * federations (steps 1–4). Verified here rather than trusted from the TLS layer:
 * listeners ask for client certificates but accept any, since renewal after expiry
 * and revocation by mTLS need certificates a TLS stack would refuse.
 */
export async function authenticateCertificate(
  leafDer: Uint8Array,
  scope: readonly FederationContext[],
  deps: LifecycleDeps,
  o: AuthenticateOptions = {},
): Promise<AuthenticatedCertificate> {
  const crypto = deps.crypto ?? getCrypto();
  let fields: CertificateFields;
  try {
    fields = readCertificate(leafDer);
  } catch {
    throw unauthenticated('the client certificate cannot be read');
  }
  let ctx: FederationContext | undefined;
  for (const candidate of scope) {
    if (!bytesEqual(candidate.intermediate.fields.subjectDer, fields.issuerDer)) continue;
    const signed = await verifySignedData({ data: fields.tbs, algorithm: fields.signatureAlgorithm, signature: fields.signature }, candidate.intermediate.fields.publicKey, crypto);
    if (signed) {
      ctx = candidate;
      break;
    }
  }
  if (!ctx) throw unauthenticated('the certificate was not issued by this certificate authority for a federation served here');
  const record = await deps.store.getCertificate(fields.serialNumber);
  if (!record || record.federationId !== ctx.federation.id || !bytesEqual(record.der, leafDer)) {
    throw unauthenticated('this certificate authority has no record of the certificate');
  }
  if (record.status === 'revoked') {
    throw new CaError('certificate_revoked', `Certificate ${record.serial} was revoked${record.revokedAt ? ` on ${record.revokedAt.toISOString()}` : ''}: it cannot be used to renew or to authenticate. Enroll again with a new token.`);
  }
  const now = deps.now.getTime();
  if (record.notBefore.getTime() > now + 60_000) throw unauthenticated('the certificate is not valid yet');
  const allowExpired = o.allowExpired === undefined || o.allowExpired === 'federation' ? ctx.federation.allowRenewAfterExpiry : o.allowExpired;
  if (record.notAfter.getTime() < now && !allowExpired) {
    throw new CaError('certificate_expired', `The certificate expired on ${record.notAfter.toISOString()}; federation "${ctx.federation.name}" does not renew expired certificates. Enroll again with a new token.`);
  }
  if (ctx.federation.status !== 'active') throw new CaError('federation_disabled', `The request is refused: federation "${ctx.federation.name}" has been disabled.`);
  return { ctx, record, fields };
}

export interface RenewParams {
  /** The current certificate: DER from the TLS connection, or as a renewal token's check authenticated it. */
  presented: Uint8Array | AuthenticatedCertificate;
  via: 'mtls' | 'x5c';
  /** Federations served where the request arrived, the SNI-selected one first. */
  scope: readonly FederationContext[];
  /** Rekey: a CSR for the new key (DER). Its names are ignored; the certificate's are kept. */
  csr?: Uint8Array;
  /** base64url SHA-256 the CSR must have (a token's `cnf`). */
  csrThumbprint?: string;
  sourceIp?: string | null;
}

/** The lifetime of the renewed certificate: the old one's, within FedPKI's bounds. */
function lifetimeSeconds(old: CertificateRecord): number {
  const seconds = Math.round((old.notAfter.getTime() - old.notBefore.getTime()) / 1000) - BACKDATE_SECONDS;
  return Math.min(MAX_CERT_SECONDS, Math.max(MIN_CERT_SECONDS, seconds));
}

/** Steps 1–4 and 6–7 (the token's steps are `authorizeRenewToken`'s). */
export async function renewCertificate(p: RenewParams, deps: LifecycleDeps): Promise<IssuedCertificate> {
  const crypto = deps.crypto ?? getCrypto();
  const { ctx, record: old, fields } = p.presented instanceof Uint8Array ? await authenticateCertificate(p.presented, p.scope, deps) : p.presented;
  let publicKey = fields.publicKey;
  if (p.csr) {
    const csr = await checkCsr(p.csr, crypto);
    if (p.csrThumbprint !== undefined && toBase64Url(await sha256(csr.der, crypto)) !== p.csrThumbprint) {
      throw new CaError('forbidden', 'The request was forbidden by the certificate authority: the CSR is not the one the renewal token was made for.');
    }
    publicKey = csr.publicKey;
  } else {
    // The same key again: it must still be one this CA accepts (a key issued under an
    // older, laxer policy has to be replaced with a rekey).
    checkKeyPolicy(publicKey);
  }
  const seconds = lifetimeSeconds(old);
  const validity = resolveValidity({ now: deps.now, defaultSeconds: seconds, maxSeconds: seconds, issuerNotBefore: ctx.leaf.issuerNotBefore, issuerNotAfter: ctx.leaf.issuerNotAfter });
  const actor = `${p.via}:${old.serial}`;
  const rekey = Boolean(p.csr);
  const record = await signLeafRecord(
    {
      ctx,
      csr: { publicKey },
      commonName: old.commonName,
      sans: old.sans,
      ...validity,
      role: old.role,
      source: rekey ? 'rekey' : 'renew',
      tokenJti: null,
      renewedFrom: old.serial,
      issuedBy: actor,
      now: deps.now,
    },
    crypto,
  );
  await deps.store.recordIssuance({
    certificate: record,
    now: deps.now,
    audit: auditEntry(ActivityType.CERT_RENEWED, {
      at: deps.now,
      actor,
      sourceIp: p.sourceIp,
      federationId: ctx.federation.id,
      target: record.serial,
      details: { renewedFrom: old.serial, subject: record.commonName, rekey, via: p.via, key: record.keyDescription, notAfter: record.notAfter.toISOString() },
    }),
  });
  return certificateResult(ctx, record);
}

export interface AuthorizedRenewToken {
  /** The certificate the token carries, authenticated. */
  presented: AuthenticatedCertificate;
  csrThumbprint?: string;
}

/**
 * Step 5 for the token form: verifies the token, that its audience names the
 * federation of the certificate it carries, and uses it up (by its jti, or its hash).
 */
export async function authorizeRenewToken(
  jwt: string,
  o: { rekey: boolean; scope: readonly FederationContext[]; requestHost?: string | null },
  deps: LifecycleDeps,
): Promise<AuthorizedRenewToken> {
  const crypto = deps.crypto ?? getCrypto();
  const token = await verifyX5cToken(jwt, { now: deps.now, paths: o.rekey ? REKEY_PATHS : RENEW_PATHS }, crypto);
  const presented = await authenticateCertificate(token.leafDer, o.scope, deps);
  const { ctx } = presented;
  // The audience is the federation's CA URL host (what step uses), or the host the
  // request was sent to (the browser page names the address it was loaded from). It
  // keeps a token made for another CA from being replayed here; the certificate it
  // carries must be one of ours anyway, and the jti is single use.
  const audHost = audienceHost(token.aud);
  if (!ctx.hostnames.has(audHost) && audHost !== o.requestHost) {
    throw unauthenticated(`the renewal token is meant for ${token.aud}, not for this certificate authority`);
  }
  await deps.store.useOnce(`x5c:${token.reuseKey}`, o.rekey ? 'rekey' : 'renew', acceptedUntil(token.exp), deps.now);
  return { presented, csrThumbprint: token.csrThumbprint };
}
