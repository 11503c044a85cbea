/**
 * Read models for the portal and the CLI, bound to a database handle. The custom server
 * builds one set at start (`runtime().queries`), so Next.js code runs queries without
 * importing the database driver. One file per table; each function takes an object
 * parameter and is named after what it looks up. The interface is asynchronous so the
 * PostgreSQL implementation (db/pg/queries) fits the same contract.
 */

import type { Db } from '../client';
import type { FederationRow } from '../schema';
import { iterateAudit, listAudit, type AuditFilters, type AuditRow, type ListAuditParams } from './audit';
import {
  getCertificateDetail,
  listCertificates,
  listEnrolledCollaborators,
  type CertificateDetail,
  type CertificatePage,
  type ListCertificatesParams,
} from './certificates';
import { listCertificatesByState, listExpiringCertificates, type CertificateListItem, type ListByStateParams } from './certificates-expiry';
import { federationStats, type FederationStats } from './dashboard';
import { getFederationRow, listFederationSummaries, type FederationSummary, type ListFederationsParams } from './federations';
import { listTokens, type ListTokensParams, type TokenListRow } from './tokens';

export interface Queries {
  /** Oldest first; per-federation certificate counts only when asked for. */
  listFederationSummaries(p?: ListFederationsParams): Promise<FederationSummary[]>;
  getFederation(p: { id: string }): Promise<FederationRow | undefined>;
  federationStats(p?: { now?: Date; expiringWithinDays?: number }): Promise<Map<string, FederationStats>>;
  /** The portal's list: search, filters, sorts, keyset pages. */
  listCertificates(p?: ListCertificatesParams): Promise<CertificatePage>;
  getCertificateDetail(p: { serial: string; now?: Date }): Promise<CertificateDetail | undefined>;
  listEnrolledCollaborators(p: { federationId: string; now?: Date }): Promise<string[]>;
  /** `fedpki list` and the expiry views: by state or expiry window, soonest first. */
  listCertificatesByState(p?: ListByStateParams): Promise<CertificateListItem[]>;
  listExpiringCertificates(p?: { withinDays?: number; federationId?: string; now?: Date; limit?: number }): Promise<CertificateListItem[]>;
  listTokens(p?: ListTokensParams): Promise<{ rows: TokenListRow[]; next?: string }>;
  listAudit(p?: ListAuditParams): Promise<{ rows: AuditRow[]; next?: string }>;
  /** Every matching audit entry, in batches (the CSV export). */
  iterateAudit(f: AuditFilters): AsyncIterable<AuditRow>;
}

export function createQueries(db: Db): Queries {
  return {
    listFederationSummaries: async (p) => listFederationSummaries(db, p),
    getFederation: async (p) => getFederationRow(db, p),
    federationStats: async (p) => federationStats(db, p),
    listCertificates: async (p) => listCertificates(db, p),
    getCertificateDetail: async (p) => getCertificateDetail(db, p),
    listEnrolledCollaborators: async (p) => listEnrolledCollaborators(db, p),
    listCertificatesByState: async (p) => listCertificatesByState(db, p),
    listExpiringCertificates: async (p) => listExpiringCertificates(db, p),
    listTokens: async (p) => listTokens(db, p),
    listAudit: async (p) => listAudit(db, p),
    iterateAudit: async function* (f) {
      yield* iterateAudit(db, f);
    },
  };
}
