/**
 * Read models for the portal, bound to a database handle. The custom server builds one
 * set at start (`runtime().queries`), so Next.js code runs queries without importing
 * the database driver. One file per table; each function takes an object parameter
 * and is named after what it looks up.
 *
 * `Queries` is the contract both databases fulfil: this file binds the SQLite
 * functions, db/pg/queries/index.ts the PostgreSQL ones (same names, same results).
 * Every query returns a Promise, since PostgreSQL's driver is asynchronous.
 */

import type { Db } from '../client';
import { getFederationRow, listFederationSummaries, type FederationSummary } from './federations';
import type { FederationRow } from '../schema';
import { listCertificates, listExpiringCertificates, type ListCertificatesParams } from './certificates-expiry';

export interface Queries {
  listFederationSummaries(): Promise<FederationSummary[]>;
  getFederation(p: { id: string }): Promise<FederationRow | undefined>;
  listExpiringCertificates(p?: Parameters<typeof listExpiringCertificates>[1]): Promise<ReturnType<typeof listExpiringCertificates>>;
  listCertificates(p?: ListCertificatesParams): Promise<ReturnType<typeof listCertificates>>;
}

export function createQueries(db: Db): Queries {
  return {
    listFederationSummaries: async () => listFederationSummaries(db),
    getFederation: async (p) => getFederationRow(db, p),
    listExpiringCertificates: async (p) => listExpiringCertificates(db, p),
    listCertificates: async (p) => listCertificates(db, p),
  };
}

export type { FederationSummary };
