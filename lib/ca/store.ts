/**
 * The storage seam. `lib/ca` talks to a `CaStore`; `db/` implements it (SQLite through
 * drizzle and better-sqlite3 by default). Every method that changes state takes the
 * audit entry describing the change and writes both in one transaction.
 */

import type { AuditEntry } from './audit';
import type { CaKeyRecord, CertificateRecord, FederationRecord, TokenRecord } from './types';

export interface IssuanceRecord {
  certificate: CertificateRecord;
  /** The token this issuance consumes; it must still be pending and unexpired at `now`. */
  consumeJti?: string;
  now: Date;
  audit: AuditEntry;
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
   * entry atomically. Of concurrent calls with one token exactly one succeeds.
   * @throws CaError token_used / token_cancelled / token_expired / token_unknown
   */
  recordIssuance(issuance: IssuanceRecord): Promise<void>;
  getCertificate(serial: string): Promise<CertificateRecord | undefined>;

  appendAudit(entry: AuditEntry): Promise<void>;
}
