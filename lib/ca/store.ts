/**
 * The storage seam. `lib/ca` talks to a `CaStore`; `db/` implements it (SQLite through
 * drizzle and better-sqlite3 by default). Every method that changes state takes the
 * audit entry describing the change and writes both in one transaction.
 */

import type { AuditEntry } from './audit';
import type {
  CaKeyRecord,
  CertificateRecord,
  CrlRecord,
  ExpiringCertificate,
  ExpiryNotice,
  FederationRecord,
  RevocationRecord,
  RevokedEntry,
  TokenRecord,
} from './types';

export interface IssuanceRecord {
  certificate: CertificateRecord;
  /** The token this issuance consumes; it must still be pending and unexpired at `now`. */
  consumeJti?: string;
  now: Date;
  audit: AuditEntry;
}

export interface Revoked {
  certificate: CertificateRecord;
  /** Other certificates with the same key, revoked with it (keyCompromise only). */
  alsoRevoked: CertificateRecord[];
}

export interface CaStore {
  listFederations(): Promise<FederationRecord[]>;
  getFederation(id: string): Promise<FederationRecord | undefined>;
  listCaKeys(federationId: string): Promise<CaKeyRecord[]>;
  /** @throws CaError conflict when the id, name or CA URL is taken */
  createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry): Promise<void>;
  updateFederation(federation: FederationRecord, audit: AuditEntry): Promise<void>;

  insertToken(token: TokenRecord, audit: AuditEntry): Promise<void>;
  getToken(jti: string): Promise<TokenRecord | undefined>;
  /** @throws CaError not_found, or conflict when the token is no longer pending */
  cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry): Promise<TokenRecord>;

  /**
   * Consumes the token (when given), stores the certificate and appends the audit
   * entry atomically. Of concurrent calls with one token exactly one succeeds. A key
   * recorded as compromised is refused before anything is written (the token stays
   * pending, for a new key).
   * @throws CaError token_used / token_cancelled / token_expired / token_unknown, policy_key_compromised
   */
  recordIssuance(issuance: IssuanceRecord): Promise<void>;
  getCertificate(serial: string): Promise<CertificateRecord | undefined>;

  appendAudit(entry: AuditEntry): Promise<void>;

  // ------------------------------------------------------------ lifecycle

  /**
   * Marks the certificate revoked, records the revocation and appends the audit entry
   * in one transaction; consumes the revoke token when given (it must be a pending
   * 'revoke' token, unexpired at `revocation.revokedAt`). For reason keyCompromise, in the same transaction: the key is recorded as
   * compromised (no certificate is issued for it again, `recordIssuance` refuses it
   * with policy_key_compromised) and every other valid certificate carrying it, in any
   * federation, is revoked too, each with its own revocation row and audit entry.
   * @throws CaError not_found, already_revoked, or token_used / token_cancelled / token_expired
   * @returns the certificate as it now stands, and those revoked with it
   */
  markRevoked(revocation: RevocationRecord, audit: AuditEntry, consumeJti?: string): Promise<Revoked>;
  /** The federation's revoked certificates whose certificate expires after `expiresAfter`. */
  listRevoked(federationId: string, o: { expiresAfter: Date }): Promise<RevokedEntry[]>;
  /** When the federation's latest revocation happened (a CRL older than that is stale). */
  latestRevocationAt(federationId: string): Promise<Date | undefined>;
  /**
   * The next CRL number for the federation: strictly greater than any number it
   * returned before and than the stored CRL's, also across processes.
   */
  nextCrlNumber(federationId: string): Promise<number>;
  /**
   * Stores the CRL and its audit entry unless a CRL with an equal or higher number is
   * already stored (a concurrent builder finished first).
   * @returns whether this CRL is now the federation's current one
   */
  saveCrl(crl: CrlRecord, audit: AuditEntry): Promise<boolean>;
  /** The federation's current CRL; undefined when none, or when its number is not above `newerThan`. */
  getCrl(federationId: string, newerThan?: number): Promise<CrlRecord | undefined>;

  /**
   * Records a one-time identifier (a renewal token's jti) as used.
   * @throws CaError token_used when it was used before
   */
  useOnce(id: string, purpose: string, expiresAt: Date, now: Date): Promise<void>;
  /** Forgets one-time identifiers that expired before `before`. */
  purgeUsedOnce(before: Date): Promise<number>;

  /**
   * Valid certificates expiring in (`from`, `until`] that no renewal has superseded and
   * that have no expiry notice yet at `threshold` days or a smaller threshold.
   */
  findExpiryNoticesDue(o: { threshold: number; from: Date; until: Date; limit: number }): Promise<ExpiringCertificate[]>;
  /** Queues a notice (once per certificate and threshold; a second call does nothing). */
  enqueueExpiryNotice(serial: string, threshold: number, now: Date): Promise<void>;
  /**
   * Claims pending notices whose attempt is due, pushing their next attempt to
   * `leaseUntil` so that no other process sends them meanwhile.
   */
  claimExpiryNotices(o: { now: Date; limit: number; leaseUntil: Date }): Promise<ExpiryNotice[]>;
  /**
   * Records an attempt's outcome: delivered, failed for good, or pending again at
   * `nextAttemptAt`; the audit entry (if any) in the same transaction.
   */
  finishExpiryNotice(o: {
    serial: string;
    threshold: number;
    state: 'pending' | 'delivered' | 'failed';
    attempts: number;
    nextAttemptAt: Date;
    lastError: string | null;
    audit?: AuditEntry;
  }): Promise<void>;
}
