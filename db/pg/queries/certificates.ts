/**
 * The portal's certificate inventory on PostgreSQL: the same pages and the same
 * cursors as ../../queries/certificates.ts (see there for the design: keyset pages on
 * (sort key, serial), a capped count, a broad name search that walks the sort's index).
 * test/integration/certificate-list.integ.ts checks, on one set of rows stored in both
 * databases, that every query shape the portal sends answers alike.
 *
 * What differs from SQLite:
 * - Text is compared byte by byte (`COLLATE "C"`, ./text.ts), as SQLite does, whatever
 *   locale the database was created with; the name index is built that way too
 *   (certs_cn_idx, migration 0004).
 * - A serial prefix is searched through the primary key in the database's own
 *   collation: serials are lower-case hex, which every collation orders as bytes do,
 *   and the range's upper end is the next hex prefix ("7a3f" → "7a4"), never a
 *   punctuation character that a locale would ignore.
 * - Keyset times are Dates (timestamptz), built from the cursor's milliseconds.
 */

import { and, asc, desc, eq, gt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { NodeRole } from '../../../lib/ca/types';
import type { CertificateDetail, CertificateListRow, CertificatePage, CertificateSort, ListCertificatesParams } from '../../queries/certificates';
import type { PgDb } from '../client';
import { certificates, revocations, tokens } from '../schema';
import { bytewise, storable, timeFromMs } from './text';

type Key = number | string;

interface SortSpec {
  /** The ORDER BY expression, and how a cursor's key becomes a value to compare with it. */
  column: SQL;
  direction: 'asc' | 'desc';
  key: (r: CertificateListRow) => Key;
  param: (k: Key) => Date | string | undefined;
}

const asTime = (k: Key) => (typeof k === 'number' ? timeFromMs(k) : undefined);
const asText = (k: Key) => (typeof k === 'string' && storable(k) ? k : undefined);

const SORT_SPEC: Record<CertificateSort, SortSpec> = {
  newest: { column: sql`${certificates.createdAt}`, direction: 'desc', key: (r) => r.createdAt.getTime(), param: asTime },
  oldest: { column: sql`${certificates.createdAt}`, direction: 'asc', key: (r) => r.createdAt.getTime(), param: asTime },
  expiry: { column: sql`${certificates.notAfter}`, direction: 'asc', key: (r) => r.notAfter.getTime(), param: asTime },
  expiry_desc: { column: sql`${certificates.notAfter}`, direction: 'desc', key: (r) => r.notAfter.getTime(), param: asTime },
  name: { column: bytewise(certificates.commonNameLower), direction: 'asc', key: (r) => r.commonName.toLowerCase(), param: asText },
};

const SERIAL = bytewise(certificates.serial);

interface Cursor {
  /** a = rows after this key, b = rows before it (in the page's sort order). */
  d: 'a' | 'b';
  k: Key;
  s: string;
}

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text || text.length > 512) return undefined;
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if ((c.d === 'a' || c.d === 'b') && (typeof c.k === 'number' || typeof c.k === 'string') && typeof c.s === 'string' && storable(c.s)) return c;
  } catch {
    /* a tampered or stale cursor starts from the first page */
  }
  return undefined;
}

/** The smallest string greater than every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The smallest hex string greater than every hex string that starts with `hex`; none for "fff…". */
function hexPrefixEnd(hex: string): string | undefined {
  for (let i = hex.length - 1; i >= 0; i--) {
    const digit = parseInt(hex[i]!, 16);
    if (digit < 15) return hex.slice(0, i) + (digit + 1).toString(16);
  }
  return undefined;
}

/**
 * A name prefix (any case) or a serial prefix. With `viaIndex` false the name is
 * compared as an expression the name index does not hold, so the page walks its
 * sort's index instead (the broad-search case).
 */
function searchCondition(search: string, viaIndex = true): SQL | undefined {
  const s = search.trim().toLowerCase();
  if (!s) return undefined;
  if (!storable(s)) return sql`false`;
  const name = viaIndex ? bytewise(certificates.commonNameLower) : sql`(${certificates.commonNameLower} || '') collate "C"`;
  const byName = sql`(${name} >= ${s} and ${name} < ${prefixEnd(s)})`;
  const hex = s.replace(/^0x/, '').replace(/[:\s]/g, '').replace(/^(00)+(?=.)/, '');
  if (!/^[0-9a-f]{4,}$/.test(hex)) return byName;
  const end = hexPrefixEnd(hex);
  const bySerial = end ? sql`(${certificates.serial} >= ${hex} and ${certificates.serial} < ${end})` : sql`${certificates.serial} >= ${hex}`;
  return or(byName, bySerial);
}

function filters(p: ListCertificatesParams, now: Date, searchViaIndex = true): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (p.federationId) conds.push(storable(p.federationId) ? eq(certificates.federationId, p.federationId) : sql`false`);
  if (p.status === 'revoked') conds.push(eq(certificates.status, 'revoked'));
  if (p.status === 'valid') conds.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now));
  if (p.status === 'expired') conds.push(eq(certificates.status, 'valid'), lte(certificates.notAfter, now));
  if (p.expiringWithinDays !== undefined) {
    const until = new Date(now.getTime() + p.expiringWithinDays * 86_400_000);
    conds.push(eq(certificates.status, 'valid'), gt(certificates.notAfter, now), lte(certificates.notAfter, until));
  }
  if (p.search) conds.push(searchCondition(p.search, searchViaIndex));
  return and(...conds);
}

const listColumns = {
  serial: certificates.serial,
  federationId: certificates.federationId,
  commonName: certificates.commonName,
  sans: certificates.sans,
  role: certificates.role,
  keyDescription: certificates.keyDescription,
  notBefore: certificates.notBefore,
  notAfter: certificates.notAfter,
  source: certificates.source,
  createdAt: certificates.createdAt,
  status: certificates.status,
  revokedAt: certificates.revokedAt,
  revocationReason: certificates.revocationReason,
};

/** One page of the certificate inventory (see ../../queries/certificates.ts). */
export async function listCertificates(db: PgDb, p: ListCertificatesParams = {}): Promise<CertificatePage> {
  const now = p.now ?? new Date();
  const size = Math.min(Math.max(Math.trunc(p.page?.size ?? 50), 1), 200);
  const countLimit = p.countLimit ?? (p.search ? 1_000 : 10_000);
  const sort = SORT_SPEC[p.sort ?? 'newest'] ?? SORT_SPEC.newest;
  let cursor = decodeCursor(p.page?.cursor);
  const key = cursor && sort.param(cursor.k);
  if (key === undefined) cursor = undefined;
  const where = filters(p, now);

  const counted = await db.execute<{ n: number }>(sql`select count(*)::int as n from (select 1 from ${certificates} where ${where ?? sql`true`} limit ${countLimit + 1}) as matches`);
  const n = counted.rows[0]?.n ?? 0;
  // Many name matches: walk the sort's own index and filter (see ../../queries/certificates.ts).
  const pageWhere = p.search && n > countLimit && p.sort !== 'name' ? filters(p, now, false) : where;

  // Expired certificates are the oldest: newest first, the creation index would pass
  // over every valid certificate before the first expired one (0.4 s at 1,000,000
  // rows). Ordered by an expression no index holds, they are read through the expiry
  // index instead and sorted (~10% of the rows, and only those).
  const column = p.status === 'expired' && sort === SORT_SPEC.newest ? sql`(${certificates.createdAt} + interval '0 ms')` : sort.column;

  const backwards = cursor?.d === 'b';
  const ascending = (sort.direction === 'asc') !== backwards;
  const order = ascending ? asc : desc;
  const keyset = cursor ? (ascending ? sql`(${column}, ${SERIAL}) > (${key}, ${cursor.s})` : sql`(${column}, ${SERIAL}) < (${key}, ${cursor.s})`) : undefined;

  const fetched = await db
    .select(listColumns)
    .from(certificates)
    .where(and(pageWhere, keyset))
    .orderBy(order(column), order(SERIAL))
    .limit(size + 1);
  const more = fetched.length > size;
  const slice = fetched.slice(0, size);
  if (backwards) slice.reverse();
  const rows: CertificateListRow[] = slice.map((r) => ({
    ...r,
    role: r.role as NodeRole,
    status: r.status === 'revoked' ? 'revoked' : r.notAfter <= now ? 'expired' : 'valid',
  }));

  const first = rows[0];
  const last = rows[rows.length - 1];
  const hasNext = backwards ? Boolean(cursor) : more;
  const hasPrev = backwards ? more : Boolean(cursor);
  return {
    rows,
    total: Math.min(n, countLimit),
    totalCapped: n > countLimit,
    next: hasNext && last ? encodeCursor({ d: 'a', k: sort.key(last), s: last.serial }) : undefined,
    prev: hasPrev && first ? encodeCursor({ d: 'b', k: sort.key(first), s: first.serial }) : undefined,
  };
}

export async function getCertificateDetail(db: PgDb, { serial, now = new Date() }: { serial: string; now?: Date }): Promise<CertificateDetail | undefined> {
  if (!storable(serial)) return undefined;
  const [row] = await db.select().from(certificates).where(eq(certificates.serial, serial));
  if (!row) return undefined;
  const [token] = row.tokenJti ? await db.select({ createdBy: tokens.createdBy, createdAt: tokens.createdAt }).from(tokens).where(eq(tokens.jti, row.tokenJti)) : [];
  const [revocation] =
    row.status === 'revoked'
      ? await db.select({ actor: revocations.actor, via: revocations.via, note: revocations.reason }).from(revocations).where(eq(revocations.serial, row.serial))
      : [];
  const [renewal] = await db
    .select({ serial: certificates.serial })
    .from(certificates)
    .where(eq(certificates.renewedFrom, row.serial))
    .orderBy(desc(certificates.createdAt))
    .limit(1);
  return {
    serial: row.serial,
    federationId: row.federationId,
    commonName: row.commonName,
    sans: row.sans,
    role: row.role as NodeRole,
    keyDescription: row.keyDescription,
    notBefore: row.notBefore,
    notAfter: row.notAfter,
    source: row.source,
    createdAt: row.createdAt,
    status: row.status === 'revoked' ? 'revoked' : row.notAfter <= now ? 'expired' : 'valid',
    revokedAt: row.revokedAt,
    revocationReason: row.revocationReason,
    der: new Uint8Array(row.der),
    fingerprint: row.fingerprint,
    tokenJti: row.tokenJti,
    renewedFrom: row.renewedFrom,
    issuedBy: row.issuedBy,
    token: token ?? null,
    revocation: revocation ?? null,
    renewedBy: renewal?.serial ?? null,
  };
}

/** A federation's collaborators (and envoys) holding a valid certificate, sorted as SQLite sorts, each once. */
export async function listEnrolledCollaborators(db: PgDb, { federationId, now = new Date() }: { federationId: string; now?: Date }): Promise<string[]> {
  if (!storable(federationId)) return [];
  const rows = await db
    .select({ name: certificates.commonName })
    .from(certificates)
    .where(
      and(
        eq(certificates.federationId, federationId),
        eq(certificates.status, 'valid'),
        gt(certificates.notAfter, now),
        or(eq(certificates.role, 'collaborator'), eq(certificates.role, 'envoy')),
      ),
    )
    .groupBy(certificates.commonName)
    .orderBy(bytewise(certificates.commonName));
  return rows.map((r) => r.name);
}
