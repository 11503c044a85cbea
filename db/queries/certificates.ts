/**
 * The certificate inventory for the portal. The list uses keyset pagination — each
 * page continues from the last row's (sort key, serial) — so page 2,000 costs what
 * page 1 costs, at 100,000 rows or millions; every sort has an index whose order it
 * follows (db/schema.ts `certs_*_idx`). The total is counted only up to a cap
 * (`countLimit`), so a page never walks the whole table to print "10,000+".
 *
 * A name search that matches many rows reads the sort's index and filters, rather
 * than gathering every match to sort it: at 1,000,000 rows a broad prefix ("col-1",
 * ~60,000 matches) took ~200 ms the planner's way and a few ms this way. The count,
 * taken first, tells which case it is.
 */

import { and, asc, desc, eq, gt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { certificates, revocations, tokens } from '../schema';
import type { CertificateRecord, NodeRole } from '../../lib/ca/types';

import type { CertificateListStatus, CertificateSort } from './vocabulary';

export type { CertificateListStatus, CertificateSort } from './vocabulary';

export interface ListCertificatesParams {
  federationId?: string;
  /** valid = not revoked and not expired; expired = past notAfter, never revoked. */
  status?: CertificateListStatus;
  /** Valid certificates whose notAfter falls within this many days. */
  expiringWithinDays?: number;
  /** A common-name prefix (any case) or a serial prefix (hex, colons allowed). */
  search?: string;
  /** Default newest. */
  sort?: CertificateSort;
  page?: {
    /** Rows per page, 1–200. Default 50. */
    size?: number;
    /** An opaque cursor from a previous page's `next` or `prev`. */
    cursor?: string;
  };
  now?: Date;
  /** Count matches up to this many. Default 10,000, or 1,000 with a search. */
  countLimit?: number;
}

/** A certificate as the list shows it: the record without its DER, with its effective status. */
export type CertificateListRow = Pick<
  CertificateRecord,
  'serial' | 'federationId' | 'commonName' | 'sans' | 'role' | 'keyDescription' | 'notBefore' | 'notAfter' | 'source' | 'createdAt' | 'revokedAt' | 'revocationReason'
> & { status: CertificateListStatus };

export interface CertificatePage {
  rows: CertificateListRow[];
  /** Matches, counted up to the cap. */
  total: number;
  /** True when there are more than `total` matches. */
  totalCapped: boolean;
  /** Cursors for the neighbouring pages, when they exist. */
  next?: string;
  prev?: string;
}

type SortColumn = typeof certificates.createdAt | typeof certificates.notAfter | typeof certificates.commonNameLower;

const SORT_SPEC: Record<CertificateSort, { column: SortColumn; direction: 'asc' | 'desc'; key: (r: CertificateListRow) => number | string }> = {
  newest: { column: certificates.createdAt, direction: 'desc', key: (r) => r.createdAt.getTime() },
  oldest: { column: certificates.createdAt, direction: 'asc', key: (r) => r.createdAt.getTime() },
  expiry: { column: certificates.notAfter, direction: 'asc', key: (r) => r.notAfter.getTime() },
  expiry_desc: { column: certificates.notAfter, direction: 'desc', key: (r) => r.notAfter.getTime() },
  name: { column: certificates.commonNameLower, direction: 'asc', key: (r) => r.commonName.toLowerCase() },
};

interface Cursor {
  /** a = rows after this key, b = rows before it (in the page's sort order). */
  d: 'a' | 'b';
  k: number | string;
  s: string;
}

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text || text.length > 512) return undefined;
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if ((c.d === 'a' || c.d === 'b') && (typeof c.k === 'number' || typeof c.k === 'string') && typeof c.s === 'string') return c;
  } catch {
    /* a tampered or stale cursor starts from the first page */
  }
  return undefined;
}

/** The smallest string greater than every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * `prefix <= column < prefixEnd`. With `viaIndex` false the column is written `+column`,
 * which keeps SQLite from answering it through the column's index.
 */
function prefixRange(column: typeof certificates.commonNameLower | typeof certificates.serial, prefix: string, viaIndex: boolean): SQL {
  const c = viaIndex ? sql`${column}` : sql`+${column}`;
  return sql`(${c} >= ${prefix} and ${c} < ${prefixEnd(prefix)})`;
}

function searchCondition(search: string, viaIndex = true): SQL | undefined {
  const s = search.trim().toLowerCase();
  if (!s) return undefined;
  const byName = prefixRange(certificates.commonNameLower, s, viaIndex);
  const hex = s.replace(/^0x/, '').replace(/[:\s]/g, '').replace(/^(00)+(?=.)/, '');
  return /^[0-9a-f]{4,}$/.test(hex) ? or(byName, prefixRange(certificates.serial, hex, viaIndex)) : byName;
}

function filters(p: ListCertificatesParams, now: Date, searchViaIndex = true): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (p.federationId) conds.push(eq(certificates.federationId, p.federationId));
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

/**
 * One page of the certificate inventory.
 * @example listCertificates(db, { federationId: 'default', expiringWithinDays: 30, sort: 'expiry', page: { size: 50 } })
 */
export function listCertificates(db: Db, p: ListCertificatesParams = {}): CertificatePage {
  const now = p.now ?? new Date();
  const size = Math.min(Math.max(Math.trunc(p.page?.size ?? 50), 1), 200);
  const countLimit = p.countLimit ?? (p.search ? 1_000 : 10_000);
  const sort = SORT_SPEC[p.sort ?? 'newest'] ?? SORT_SPEC.newest;
  const cursor = decodeCursor(p.page?.cursor);
  const where = filters(p, now);

  const counted = db.get<{ n: number }>(sql`select count(*) as n from (select 1 from ${certificates} where ${where ?? sql`1`} limit ${countLimit + 1})`);
  const n = counted?.n ?? 0;
  // Many name matches: walk the sort's own index and filter (see the note at the top).
  // Sorted by name, the name index already seeks to the prefix in order.
  const pageWhere = p.search && n > countLimit && p.sort !== 'name' ? filters(p, now, false) : where;

  // Walking backwards (to the previous page) reads in the opposite order, then flips.
  const backwards = cursor?.d === 'b';
  const ascending = (sort.direction === 'asc') !== backwards;
  const order = ascending ? asc : desc;
  const keyset = cursor
    ? ascending
      ? sql`(${sort.column}, ${certificates.serial}) > (${cursor.k}, ${cursor.s})`
      : sql`(${sort.column}, ${certificates.serial}) < (${cursor.k}, ${cursor.s})`
    : undefined;

  const fetched = db
    .select(listColumns)
    .from(certificates)
    .where(and(pageWhere, keyset))
    .orderBy(order(sort.column), order(certificates.serial))
    .limit(size + 1)
    .all();
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
  // Forwards: a next page exists if we read one row too many; a previous one if we came from a cursor.
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

export interface CertificateDetail extends Omit<CertificateListRow, 'status'> {
  status: CertificateListStatus;
  der: Uint8Array;
  fingerprint: string;
  tokenJti: string | null;
  renewedFrom: string | null;
  issuedBy: string;
  /** Who minted the token it was issued against, and when. */
  token: { createdBy: string; createdAt: Date } | null;
  /** Who revoked it, through which door, and the free-text note (never published). */
  revocation: { actor: string; via: string; note: string | null } | null;
  /** The newest certificate that renewed this one, if any. */
  renewedBy: string | null;
}

export function getCertificateDetail(db: Db, { serial, now = new Date() }: { serial: string; now?: Date }): CertificateDetail | undefined {
  const row = db.select().from(certificates).where(eq(certificates.serial, serial)).get();
  if (!row) return undefined;
  const token = row.tokenJti
    ? (db.select({ createdBy: tokens.createdBy, createdAt: tokens.createdAt }).from(tokens).where(eq(tokens.jti, row.tokenJti)).get() ?? null)
    : null;
  const revocation =
    row.status === 'revoked'
      ? (db.select({ actor: revocations.actor, via: revocations.via, note: revocations.reason }).from(revocations).where(eq(revocations.serial, row.serial)).get() ?? null)
      : null;
  const renewal = db
    .select({ serial: certificates.serial })
    .from(certificates)
    .where(eq(certificates.renewedFrom, row.serial))
    .orderBy(desc(certificates.createdAt))
    .limit(1)
    .get();
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
    token,
    revocation,
    renewedBy: renewal?.serial ?? null,
  };
}

/**
 * The names of a federation's collaborators (and envoys) holding a valid certificate,
 * for OpenFL's plan/cols.yaml — sorted, each once.
 */
export function listEnrolledCollaborators(db: Db, { federationId, now = new Date() }: { federationId: string; now?: Date }): string[] {
  return db
    .selectDistinct({ name: certificates.commonName })
    .from(certificates)
    .where(
      and(
        eq(certificates.federationId, federationId),
        eq(certificates.status, 'valid'),
        gt(certificates.notAfter, now),
        or(eq(certificates.role, 'collaborator'), eq(certificates.role, 'envoy')),
      ),
    )
    .orderBy(asc(certificates.commonName))
    .all()
    .map((r) => r.name);
}
