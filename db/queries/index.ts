/**
 * Read models for the portal, bound to a database handle. The custom server builds one
 * set at start (`runtime().queries`), so Next.js code runs queries without importing
 * the database driver. One file per table; each function takes an object parameter
 * and is named after what it looks up.
 */

import type { Db } from '../client';
import { listCertificates, listExpiringCertificates, type ListCertificatesParams } from './certificates-expiry';
import { listFederationSummaries } from './federations';

export function createQueries(db: Db) {
  return {
    listFederationSummaries: () => listFederationSummaries(db),
    listExpiringCertificates: (p?: Parameters<typeof listExpiringCertificates>[1]) => listExpiringCertificates(db, p),
    listCertificates: (p?: ListCertificatesParams) => listCertificates(db, p),
  };
}

export type Queries = ReturnType<typeof createQueries>;
