/**
 * The portal's read models on PostgreSQL: the `Queries` contract of
 * ../../queries/index.ts, one file per table as there. Results have the same shapes
 * (the two schemas share property names and TypeScript types).
 *
 * Porting a SQLite query (db/queries/x.ts → db/pg/queries/x.ts): import the tables from
 * ../schema; the builder chain stays as it is, but `.all()` becomes `await`,
 * `.get()` becomes `const [row] = await …`, `.run()` becomes `await`, and
 * `db.transaction((tx) => …)` becomes `await db.transaction(async (tx) => …)`. Raw SQL
 * that only SQLite speaks needs its PostgreSQL form: `like` is case-sensitive there
 * (use `ilike` or the lower-cased column), `json_each` is `jsonb_array_elements_text`,
 * times are timestamptz (compare with Date values, not milliseconds), and `count()`
 * already comes back as a number through drizzle. Then bind it below, and the
 * `Queries` type checks that both dialects offer it. Text compared or sorted by the
 * portal's lists goes through `bytewise` (./text.ts), so that pages and cursors do not
 * depend on the database's locale; values from URLs and cursors are checked with
 * `storable` / `timeFromMs` first (PostgreSQL refuses a NUL or an out-of-range time
 * where SQLite finds nothing).
 */

import type { Queries } from '../../queries';
import type { PgDb } from '../client';
import { iterateAudit, listAudit } from './audit';
import { getCertificateDetail, listCertificates, listEnrolledCollaborators } from './certificates';
import { listCertificatesByState, listExpiringCertificates } from './certificates-expiry';
import { federationStats } from './dashboard';
import { getFederationRow, listFederationSummaries } from './federations';
import { storable } from './text';
import { listTokens } from './tokens';

export function createPgQueries(db: PgDb): Queries {
  return {
    listFederationSummaries: (p) => listFederationSummaries(db, p),
    getFederation: async (p) => (storable(p.id) ? getFederationRow(db, p) : undefined),
    federationStats: (p) => federationStats(db, p),
    listCertificates: (p) => listCertificates(db, p),
    getCertificateDetail: (p) => getCertificateDetail(db, p),
    listEnrolledCollaborators: (p) => listEnrolledCollaborators(db, p),
    listExpiringCertificates: (p) => listExpiringCertificates(db, p),
    listCertificatesByState: (p) => listCertificatesByState(db, p),
    listTokens: (p) => listTokens(db, p),
    listAudit: (p) => listAudit(db, p),
    iterateAudit: (f) => iterateAudit(db, f),
  };
}
