/**
 * The OCSP responder (RFC 6960), answering from the certificate inventory itself, so
 * a revocation shows the moment it is committed:
 *
 *   1. parse the request                         malformedRequest
 *   2. find the issuer by the CertID's hashes    unauthorized when it is no federation's intermediate
 *   3. per CertID: good / revoked (time, reason) / unknown (never issued here)
 *   4. sign with the issuing intermediate (a CA-signed response needs no delegation),
 *      echo the nonce, thisUpdate backdated a minute, nextUpdate an hour later
 *
 * Errors are OCSP responses too, never JSON: OCSP clients only read OCSPResponse DER.
 */

import { bytesEqual } from '../pki/encoding';
import { digest, getCrypto } from '../pki/crypto';
import { DerError } from '../pki/der';
import { ocspErrorResponse, parseOcspRequest, signOcspResponse, type OcspCertId, type OcspCertStatus, type OcspHash, type ParsedOcspRequest, type SingleResponseParams } from '../pki/ocsp';
import { isCaError } from './errors';
import { statusThisUpdate } from './crl';
import type { FederationContext } from './keyring';
import type { CaStore } from './store';

/** How long an answer may be cached by relying parties. */
export const OCSP_VALIDITY_SECONDS = 3600;
/** CertIDs answered in one request; more is refused as malformed. */
export const MAX_OCSP_REQUESTS = 20;

interface IssuerHashes {
  name: Uint8Array;
  key: Uint8Array;
}

const hashCache = new WeakMap<FederationContext['intermediate'], Map<OcspHash, Promise<IssuerHashes>>>();
const responderIds = new WeakMap<FederationContext['intermediate'], Promise<Uint8Array>>();

function issuerHashes(ctx: FederationContext, hash: OcspHash, crypto: Crypto): Promise<IssuerHashes> {
  let byHash = hashCache.get(ctx.intermediate);
  if (!byHash) hashCache.set(ctx.intermediate, (byHash = new Map()));
  let entry = byHash.get(hash);
  if (!entry) {
    const { subjectDer, publicKey } = ctx.intermediate.fields;
    entry = Promise.all([digest(hash, subjectDer, crypto), digest(hash, publicKey.subjectPublicKey, crypto)]).then(([name, key]) => ({ name, key }));
    byHash.set(hash, entry);
  }
  return entry;
}

/** ResponderID byKey: SHA-1 of the responder's subjectPublicKey (RFC 6960 §4.2.1). */
function responderKeyHash(ctx: FederationContext, crypto: Crypto): Promise<Uint8Array> {
  let id = responderIds.get(ctx.intermediate);
  if (!id) responderIds.set(ctx.intermediate, (id = digest('SHA-1', ctx.intermediate.fields.publicKey.subjectPublicKey, crypto)));
  return id;
}

async function issuerOf(certId: OcspCertId, federations: readonly FederationContext[], crypto: Crypto): Promise<FederationContext | undefined> {
  if (!certId.hash) return undefined;
  for (const ctx of federations) {
    const h = await issuerHashes(ctx, certId.hash, crypto);
    if (bytesEqual(h.name, certId.issuerNameHash) && bytesEqual(h.key, certId.issuerKeyHash)) return ctx;
  }
  return undefined;
}

export interface OcspDeps {
  store: CaStore;
  now: Date;
  crypto?: Crypto;
}

export interface OcspAnswer {
  /** OCSPResponse DER, to send with 200 and `application/ocsp-response`. */
  der: Uint8Array;
  /** For logs: the federation that answered and the statuses given. */
  federationId?: string;
  statuses: OcspCertStatus['status'][];
  /** When the answer stops being fresh (for the Cache-Control/Expires headers). */
  nextUpdate?: Date;
}

/**
 * Answers an OCSP request.
 * @param federations - the federations this listener serves, the preferred one first
 */
export async function answerOcsp(requestDer: Uint8Array, federations: readonly FederationContext[], deps: OcspDeps): Promise<OcspAnswer> {
  const crypto = deps.crypto ?? getCrypto();
  let request: ParsedOcspRequest;
  try {
    request = parseOcspRequest(requestDer);
  } catch (e) {
    if (e instanceof DerError || e instanceof TypeError) return { der: ocspErrorResponse('malformedRequest'), statuses: [] };
    throw e;
  }
  if (request.requests.length > MAX_OCSP_REQUESTS) return { der: ocspErrorResponse('malformedRequest'), statuses: [] };

  const issuers = await Promise.all(request.requests.map((r) => issuerOf(r, federations, crypto)));
  const responder = issuers.find((c): c is FederationContext => c !== undefined);
  if (!responder) return { der: ocspErrorResponse('unauthorized'), statuses: [] };

  const nowMs = Math.floor(deps.now.getTime() / 1000) * 1000;
  const thisUpdate = statusThisUpdate(nowMs);
  const nextUpdate = new Date(nowMs + OCSP_VALIDITY_SECONDS * 1000);
  const responses: SingleResponseParams[] = [];
  for (const [i, r] of request.requests.entries()) {
    let status: OcspCertStatus = { status: 'unknown' };
    if (issuers[i] === responder) {
      let cert;
      try {
        cert = await deps.store.getCertificate(r.serialNumber);
      } catch (e) {
        // The database is unreachable: RFC 6960's "try later", which OCSP clients understand.
        if (isCaError(e) && e.code === 'unavailable') return { der: ocspErrorResponse('tryLater'), statuses: [] };
        throw e;
      }
      if (cert && cert.federationId === responder.federation.id) {
        // Reason "unspecified" is left out, as in the CRL (RFC 5280 §5.3.1).
        status = cert.status === 'revoked' ? { status: 'revoked', revokedAt: cert.revokedAt ?? thisUpdate, reasonCode: cert.revocationReason || undefined } : { status: 'good' };
      }
    }
    // Not dated before the revocation it states.
    responses.push({ certId: r.der, status, thisUpdate: status.status === 'revoked' ? statusThisUpdate(nowMs, status.revokedAt) : thisUpdate, nextUpdate });
  }
  const der = await signOcspResponse(
    {
      signatureAlgorithm: responder.leaf.signatureAlgorithm,
      responderKeyHash: await responderKeyHash(responder, crypto),
      producedAt: new Date(nowMs),
      responses,
      nonce: request.nonce,
    },
    responder.intermediate.key,
    crypto,
  );
  return { der, federationId: responder.federation.id, statuses: responses.map((r) => r.status.status), nextUpdate };
}
