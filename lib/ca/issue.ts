/**
 * Issuance, as an ordered pipeline (each step has its own error codes):
 *
 *   1. parse the CSR                      csr_malformed (400)
 *   2. key policy                         policy_key_* (403)
 *   3. proof of possession                csr_signature_* (400)
 *   4. token: signature (or binding), claims, time   token_* (401)
 *   5. token state (known, pending)       token_unknown / token_used / token_cancelled (401)
 *   6. names: CN and SANs fit the token   csr_name_mismatch / csr_san_mismatch (403)
 *   7. validity window                    policy_validity (403)
 *   8. sign with the federation's template
 *   9. store: consume token + certificate + audit in one transaction
 */

import { parseCsr, verifyCsrSignature, type ParsedCsr } from '../pki/csr';
import { MultipleCommonNamesError } from '../pki/name';
import { fingerprint } from '../pki/certificate';
import { digest, getCrypto } from '../pki/crypto';
import { DerError } from '../pki/der';
import { toHex } from '../pki/encoding';
import { splitSans } from '../pki/extensions/subject-alt-name';
import { toPem } from '../pki/pem';
import { describePublicKey } from '../pki/spki';
import { generateSerialNumber } from '../pki/x509';
import { ActivityType, auditEntry, jtiLabel, type AuditEntry } from './audit';
import { CaError, isCaError } from './errors';
import type { FederationContext } from './keyring';
import { checkCsrNames, checkKeyPolicy } from './policy';
import { signLeaf } from './profiles';
import type { CaStore } from './store';
import type { CertificateRecord, CertificateSource, NodeRole, TokenRecord } from './types';
import { resolveValidity, type TimeSpec } from './validity';
import { tokenStateError } from './token';
import { verifyToken } from './verify-token';

export interface IssuedCertificate {
  record: CertificateRecord;
  /** Leaf PEM. */
  certificate: string;
  /** Leaf then intermediate, as step-ca's certChain. */
  chain: [string, string];
  intermediate: string;
  root: string;
}

export const SIGN_PATHS = ['/1.0/sign', '/sign'] as const;

/** Steps 1–3: a CSR that is well-formed, of an accepted key, and self-signed. */
export async function checkCsr(input: Uint8Array | ParsedCsr, crypto: Crypto = getCrypto()): Promise<ParsedCsr> {
  let csr: ParsedCsr;
  try {
    csr = input instanceof Uint8Array ? parseCsr(input) : input;
  } catch (e) {
    if (e instanceof MultipleCommonNamesError) {
      throw new CaError('csr_name_mismatch', `The request was forbidden by the certificate authority: the CSR subject holds ${e.count} common names; a node has one.`);
    }
    throw new CaError('csr_malformed', 'The request could not be completed: invalid csr (it is not a well-formed PKCS#10 request).', { cause: e });
  }
  checkKeyPolicy(csr.publicKey);
  if (!csr.signatureAlgorithm) {
    throw new CaError('csr_signature_algorithm_unsupported', `The request could not be completed: the CSR signature algorithm ${csr.signatureAlgorithmOid} is not accepted (use SHA-256 or stronger).`);
  }
  let ok: boolean;
  try {
    ok = await verifyCsrSignature(csr, crypto);
  } catch (e) {
    if (e instanceof DerError || (e as Error)?.name === 'DataError') ok = false;
    else throw e;
  }
  if (!ok) throw new CaError('csr_signature_invalid', 'The request could not be completed: invalid csr (its signature does not verify, so it does not prove possession of the key).');
  return csr;
}

export function certificateResult(ctx: FederationContext, record: CertificateRecord): IssuedCertificate {
  const leaf = toPem(record.der, 'CERTIFICATE');
  return { record, certificate: leaf, chain: [leaf, ctx.intermediate.pem], intermediate: ctx.intermediate.pem, root: ctx.root.pem };
}

export interface SignLeafParams {
  ctx: FederationContext;
  /** Where the public key comes from: the CSR, or the certificate being renewed. */
  csr: Pick<ParsedCsr, 'publicKey'>;
  commonName: string;
  sans: readonly string[];
  notBefore: Date;
  notAfter: Date;
  role: NodeRole;
  source: CertificateSource;
  tokenJti: string | null;
  renewedFrom?: string | null;
  issuedBy: string;
  now: Date;
}

/** Step 8: signs and returns the record to store. */
export async function signLeafRecord(p: SignLeafParams, crypto: Crypto = getCrypto()): Promise<CertificateRecord> {
  const serialNumber = generateSerialNumber(crypto);
  const der = await signLeaf(
    p.ctx.leaf,
    { serialNumber, notBefore: p.notBefore, notAfter: p.notAfter, commonName: p.commonName, sans: splitSans(p.sans), publicKey: p.csr.publicKey },
    crypto,
  );
  return {
    serial: toHex(serialNumber),
    federationId: p.ctx.federation.id,
    commonName: p.commonName,
    sans: [...p.sans],
    role: p.role,
    keyDescription: describePublicKey(p.csr.publicKey),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    der,
    fingerprint: await fingerprint(der, 'SHA-256', crypto),
    source: p.source,
    tokenJti: p.tokenJti,
    renewedFrom: p.renewedFrom ?? null,
    issuedBy: p.issuedBy,
    createdAt: p.now,
    status: 'valid',
    revokedAt: null,
    revocationReason: null,
    keySha256: toHex(await digest('SHA-256', p.csr.publicKey.der, crypto)),
  };
}

export interface SignWithTokenParams {
  csr: Uint8Array;
  ott: string;
  notBefore?: TimeSpec;
  notAfter?: TimeSpec;
  sourceIp?: string | null;
}

/** Reads what issuance needs from storage; writes go through `CaStore.recordIssuance`. */
export type TokenReader = Pick<CaStore, 'getToken'>;

export interface PrepareDeps {
  store: TokenReader;
  lookup: (kid: string) => FederationContext | undefined;
  now: () => Date;
  crypto?: Crypto;
}

export interface IssueDeps extends PrepareDeps {
  store: CaStore;
  /** The unlocked federation a prepared certificate belongs to. */
  context: (federationId: string) => FederationContext;
}

/** A signed certificate waiting to be recorded. */
export interface PreparedIssuance {
  record: CertificateRecord;
  jti: string;
  now: Date;
  sourceIp: string | null;
}

/**
 * A refusal of an authentic token. It is worth an audit entry (someone holding a real
 * token was turned away); refusals of garbage are not, or a flood of junk would fill
 * the audit log.
 */
export interface Refusal {
  error: CaError;
  audit?: AuditEntry;
}

/**
 * Steps 1–8: everything but the write. Pure apart from the token lookup, so it can run
 * on any thread that has the federation's keys.
 * @throws CaError, with `.refusal.audit` set when the token was authentic
 */
export async function prepareTokenIssuance(p: SignWithTokenParams, deps: PrepareDeps): Promise<PreparedIssuance> {
  const crypto = deps.crypto ?? getCrypto();
  const now = deps.now();
  const csr = await checkCsr(p.csr, crypto);
  // The record is read once: for the token's binding (instead of its signature) and then its state.
  let read: { jti: string; token: Promise<TokenRecord | undefined> } | undefined;
  const tokenOf = (jti: string) => (read?.jti === jti ? read : (read = { jti, token: deps.store.getToken(jti) })).token;
  const bindingOf = async (jti: string) => (await tokenOf(jti))?.binding;
  const { claims, ctx } = await verifyToken({ ott: p.ott, now, lookup: deps.lookup, paths: SIGN_PATHS, bindingOf }, crypto);
  try {
    const token = await tokenOf(claims.jti);
    if (!token || token.federationId !== ctx.federation.id || token.kind !== 'sign') throw tokenStateError(undefined);
    if (token.state !== 'pending') throw tokenStateError(token.state);
    if (token.subject !== claims.sub) throw new CaError('token_claims_invalid', 'The token is refused: its subject does not match the issued token.');
    checkCsrNames(csr, claims.sub, claims.sans);
    const validity = resolveValidity({
      now,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      defaultSeconds: token.certSeconds,
      maxSeconds: token.certSeconds,
      issuerNotBefore: ctx.leaf.issuerNotBefore,
      issuerNotAfter: ctx.leaf.issuerNotAfter,
    });
    const record = await signLeafRecord(
      {
        ctx,
        csr,
        commonName: claims.sub,
        sans: claims.sans,
        ...validity,
        role: token.role,
        source: 'token',
        tokenJti: claims.jti,
        issuedBy: `token:${jtiLabel(claims.jti)}`,
        now,
      },
      crypto,
    );
    return { record, jti: claims.jti, now, sourceIp: p.sourceIp ?? null };
  } catch (e) {
    if (isCaError(e)) attachRefusalAudit(e, refusalAudit(e, claims.jti, claims.sub, ctx.federation.id, now, p.sourceIp ?? null));
    throw e;
  }
}

function refusalAudit(e: CaError, jti: string, subject: string, federationId: string, at: Date, sourceIp: string | null): AuditEntry {
  return auditEntry(ActivityType.TOKEN_REFUSED, {
    at,
    actor: `token:${jtiLabel(jti)}`,
    sourceIp,
    federationId,
    target: subject,
    outcome: 'failure',
    details: { code: e.code },
  });
}

const REFUSAL = Symbol.for('fedpki.refusalAudit');

/** Marks `e` as the refusal of an authentic token, to be audited (see `auditRefusal`). */
export function attachRefusalAudit(e: CaError, audit: AuditEntry): void {
  (e as unknown as Record<symbol, AuditEntry>)[REFUSAL] = audit;
}

/** The audit entry a refusal of an authentic token carries, if any. */
export function refusalAuditOf(e: unknown): AuditEntry | undefined {
  return isCaError(e) ? (e as unknown as Record<symbol, AuditEntry | undefined>)[REFUSAL] : undefined;
}

/** Step 9: consume the token, store the certificate, append CERT_ISSUED — atomically. */
export async function commitTokenIssuance(prepared: PreparedIssuance, ctx: FederationContext, store: CaStore): Promise<IssuedCertificate> {
  const { record, jti, now, sourceIp } = prepared;
  try {
    await store.recordIssuance({
      certificate: record,
      consumeJti: jti,
      now,
      audit: auditEntry(ActivityType.CERT_ISSUED, {
        at: now,
        actor: record.issuedBy,
        sourceIp,
        federationId: ctx.federation.id,
        target: record.serial,
        details: { subject: record.commonName, sans: record.sans, key: record.keyDescription, notAfter: record.notAfter.toISOString() },
      }),
    });
  } catch (e) {
    if (isCaError(e)) attachRefusalAudit(e, refusalAudit(e, jti, record.commonName, ctx.federation.id, now, sourceIp));
    throw e;
  }
  return certificateResult(ctx, record);
}

/** Writes the audit entry of a refused authentic token (best effort: the refusal stands). */
export async function auditRefusal(e: unknown, store: Pick<CaStore, 'appendAudit'>): Promise<void> {
  const audit = refusalAuditOf(e);
  if (audit) await store.appendAudit(audit);
}

/** The /sign operation: a one-time token and a CSR in, a certificate out. */
export async function signWithToken(p: SignWithTokenParams, deps: IssueDeps): Promise<IssuedCertificate> {
  try {
    const prepared = await prepareTokenIssuance(p, deps);
    return await commitTokenIssuance(prepared, deps.context(prepared.record.federationId), deps.store);
  } catch (e) {
    await auditRefusal(e, deps.store);
    throw e;
  }
}
