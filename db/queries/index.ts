/**
 * Read models for the portal, bound to a database handle. The custom server builds one
 * set at start (`runtime().queries`), so Next.js code runs queries without importing
 * the database driver. One file per table; each function takes an object parameter
 * and is named after what it looks up.
 */

import type { Db } from '../client';
import { iterateAudit, listAudit, type AuditFilters, type ListAuditParams } from './audit';
import { getCertificateDetail, listCertificates, listEnrolledCollaborators, type ListCertificatesParams } from './certificates';
import { federationStats } from './dashboard';
import { getFederationRow, listFederationSummaries } from './federations';
import { listTokens, type ListTokensParams } from './tokens';

export function createQueries(db: Db) {
  return {
    listFederationSummaries: () => listFederationSummaries(db),
    getFederation: (p: { id: string }) => getFederationRow(db, p),
    federationStats: (p?: { now?: Date; expiringWithinDays?: number }) => federationStats(db, p),
    listCertificates: (p?: ListCertificatesParams) => listCertificates(db, p),
    getCertificateDetail: (p: { serial: string; now?: Date }) => getCertificateDetail(db, p),
    listEnrolledCollaborators: (p: { federationId: string; now?: Date }) => listEnrolledCollaborators(db, p),
    listTokens: (p?: ListTokensParams) => listTokens(db, p),
    listAudit: (p?: ListAuditParams) => listAudit(db, p),
    iterateAudit: (f: AuditFilters) => iterateAudit(db, f),
  };
}

export type Queries = ReturnType<typeof createQueries>;
