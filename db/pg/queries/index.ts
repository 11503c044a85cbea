/**
 * The portal's read models on PostgreSQL: the `Queries` contract of
 * ../../queries/index.ts, one file per table as there. Results have the same shapes
 * (the two schemas share property names and TypeScript types).
 */

import type { Queries } from '../../queries';
import type { PgDb } from '../client';
import { getFederationRow, listFederationSummaries } from './federations';

export function createPgQueries(db: PgDb): Queries {
  return {
    listFederationSummaries: () => listFederationSummaries(db),
    getFederation: (p) => getFederationRow(db, p),
  };
}
