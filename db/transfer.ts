/**
 * Export and import of a whole FedPKI database as JSON Lines, between SQLite and
 * PostgreSQL in either direction, so a federation moves without re-enrolling a node:
 * federations, CA keys (still encrypted with the CA password), tokens (pending ones
 * keep working), certificates, revocations, CRLs, the audit log with its ids, users,
 * sessions, settings — every table of the schema, found from the schema itself, so a
 * table added later is carried without touching this file (it must exist, with the
 * same property names, in both db/schema.ts and db/pg/schema.ts).
 *
 * Line 1 is a header naming the tables and their columns; then one line per row,
 * `{"t": table, "r": {property: value}}`, with times as ISO-8601 strings and bytes as
 * base64. Parents come before children (foreign keys), and within a table rows are in
 * primary key order. The last line, `{"end": {table: rows}}`, counts the rows: an
 * import refuses an export that lacks it or disagrees with it (a file cut short by a
 * full disk or an interrupted copy). An import goes into an empty database, in one
 * transaction.
 */

import { asc, getTableColumns, getTableName, gt, is, sql, type Column } from 'drizzle-orm';
import { PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { CaError } from '../lib/ca/errors';
import type { Database } from './open';
import * as pgSchema from './pg/schema';
import * as sqliteSchema from './schema';

export const EXPORT_FORMAT = 'fedpki-export';
/** 2: the closing line with the row counts. Version 1 files (without it) are still read. */
export const EXPORT_VERSION = 2;
const READABLE_VERSIONS = new Set([1, 2]);

type Kind = 'date' | 'bytes' | 'plain';

interface ColumnInfo {
  key: string;
  column: Column;
  kind: Kind;
  nullable: boolean;
}

interface TableInfo {
  name: string;
  table: PgTable | SQLiteTable;
  columns: ColumnInfo[];
  /** Property names of the primary key, in order. */
  primaryKey: string[];
  parents: string[];
}

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  source: Database['kind'];
  exportedAt: string;
  tables: Record<string, string[]>;
}

function kindOf(c: Column): Kind {
  if (c.dataType === 'date') return 'date';
  if (c.dataType === 'buffer' || c.getSQLType() === 'bytea' || c.getSQLType() === 'blob') return 'bytes';
  return 'plain';
}

/** The schema's tables, parents before children. */
export function tablesOf(kind: Database['kind']): TableInfo[] {
  const schema: Record<string, unknown> = kind === 'postgres' ? pgSchema : sqliteSchema;
  const infos = new Map<string, TableInfo>();
  for (const value of Object.values(schema)) {
    if (!is(value, PgTable) && !is(value, SQLiteTable)) continue;
    const table = value as PgTable | SQLiteTable;
    const config = is(table, PgTable) ? pgTableConfig(table) : sqliteTableConfig(table as SQLiteTable);
    const entries = Object.entries(getTableColumns(table)) as [string, Column][];
    const keyOf = new Map(entries.map(([key, col]) => [col.name, key]));
    const composite = config.primaryKeys[0]?.columns.map((c) => keyOf.get(c.name)!) ?? [];
    infos.set(getTableName(table), {
      name: getTableName(table),
      table,
      columns: entries.map(([key, column]) => ({ key, column, kind: kindOf(column), nullable: !column.notNull })),
      primaryKey: composite.length ? composite : entries.filter(([, c]) => c.primary).map(([k]) => k),
      parents: config.foreignKeys.map((fk) => getTableName(fk.reference().foreignTable)),
    });
  }
  const ordered: TableInfo[] = [];
  const visit = (name: string, path: Set<string>) => {
    const info = infos.get(name);
    if (!info || ordered.includes(info) || path.has(name)) return;
    path.add(name);
    for (const p of info.parents) if (p !== name) visit(p, path);
    ordered.push(info);
  };
  for (const name of [...infos.keys()].sort()) visit(name, new Set());
  return ordered;
}

function encode(info: TableInfo, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of info.columns) {
    const v = row[c.key];
    if (v === null || v === undefined) out[c.key] = null;
    else if (c.kind === 'date') out[c.key] = (v as Date).toISOString();
    else if (c.kind === 'bytes') out[c.key] = Buffer.from(v as Uint8Array).toString('base64');
    else out[c.key] = v;
  }
  return out;
}

function decode(info: TableInfo, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of info.columns) {
    if (!(c.key in row)) continue;
    const v = row[c.key];
    if (v === null) out[c.key] = null;
    else if (c.kind === 'date') out[c.key] = new Date(v as string);
    else if (c.kind === 'bytes') out[c.key] = Buffer.from(v as string, 'base64');
    else out[c.key] = v;
  }
  return out;
}

const PAGE = 1000;

type Page = (info: TableInfo, after: unknown, offset: number) => Promise<Record<string, unknown>[]>;

/** Pages by primary key (keyset) when it is one column, else by offset in key order. */
function pageQuery(info: TableInfo, run: (q: { where?: unknown; orderBy: unknown[]; offset: number }) => Promise<Record<string, unknown>[]>): Page {
  const cols = getTableColumns(info.table) as Record<string, Column>;
  const orderBy = info.primaryKey.map((k) => asc(cols[k]!));
  return (_info, after, offset) =>
    info.primaryKey.length === 1
      ? run({ where: after === undefined ? undefined : gt(cols[info.primaryKey[0]!]!, after), orderBy, offset: 0 })
      : run({ orderBy, offset });
}

/**
 * Writes the header, every row and the closing counts. The rows come from one read
 * transaction — REPEATABLE READ on PostgreSQL, a WAL snapshot on SQLite — so the export
 * is consistent while FedPKI keeps running (no certificate without its audit entry or
 * its used token).
 */
export async function exportDatabase(database: Database, write: (line: string) => Promise<void> | void): Promise<Record<string, number>> {
  const tables = tablesOf(database.kind);
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    source: database.kind,
    exportedAt: new Date().toISOString(),
    tables: Object.fromEntries(tables.map((t) => [t.name, t.columns.map((c) => c.key)])),
  };
  await write(JSON.stringify(header));
  const counts: Record<string, number> = {};
  const dump = async (info: TableInfo, page: Page) => {
    let n = 0;
    let after: unknown;
    for (let offset = 0; ; offset += PAGE) {
      const rows = await page(info, after, offset);
      for (const row of rows) await write(JSON.stringify({ t: info.name, r: encode(info, row) }));
      n += rows.length;
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]![info.primaryKey[0]!];
    }
    counts[info.name] = n;
  };
  const { handle } = database;
  if (handle.kind === 'postgres') {
    await handle.db.transaction(
      async (tx) => {
        for (const info of tables) {
          await dump(
            info,
            pageQuery(info, async (q) => {
              const base = tx.select().from(info.table as PgTable);
              const filtered = q.where ? base.where(q.where as ReturnType<typeof gt>) : base;
              return (await filtered.orderBy(...(q.orderBy as ReturnType<typeof asc>[])).limit(PAGE).offset(q.offset)) as Record<string, unknown>[];
            }),
          );
        }
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  } else {
    // One read transaction: in WAL mode every read in it sees the database as it was
    // at the first, whatever a running server commits meanwhile.
    handle.db.$client.exec('BEGIN');
    try {
      for (const info of tables) {
        await dump(
          info,
          pageQuery(info, async (q) => {
            const base = handle.db.select().from(info.table as SQLiteTable);
            const filtered = q.where ? base.where(q.where as ReturnType<typeof gt>) : base;
            return filtered.orderBy(...(q.orderBy as ReturnType<typeof asc>[])).limit(PAGE).offset(q.offset).all() as Record<string, unknown>[];
          }),
        );
      }
    } finally {
      handle.db.$client.exec('COMMIT');
    }
  }
  await write(JSON.stringify({ end: counts }));
  return counts;
}

function parseHeader(line: string | undefined): ExportHeader {
  let header: ExportHeader | undefined;
  try {
    header = line ? (JSON.parse(line) as ExportHeader) : undefined;
  } catch {
    header = undefined;
  }
  if (header?.format !== EXPORT_FORMAT) throw new CaError('bad_request', 'This is not a FedPKI export: its first line should be the fedpki-export header.');
  if (!READABLE_VERSIONS.has(header.version)) throw new CaError('bad_request', `This export has format version ${header.version}; this FedPKI reads versions ${[...READABLE_VERSIONS].join(' and ')}.`);
  return header;
}

/**
 * Loads an export into an empty database in one transaction: all of it or, on any
 * error, nothing. Refuses a database that already holds rows, and an export with a
 * table or column this version of FedPKI does not have.
 */
export async function importDatabase(database: Database, lines: AsyncIterable<string>): Promise<Record<string, number>> {
  const tables = new Map(tablesOf(database.kind).map((t) => [t.name, t]));
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const header = parseHeader(first.done ? undefined : first.value);
  for (const [name, columns] of Object.entries(header.tables)) {
    const info = tables.get(name);
    if (!info) throw new CaError('bad_request', `The export has a table "${name}" this FedPKI does not know: import with the FedPKI version that exported it, or newer.`);
    const known = new Set(info.columns.map((c) => c.key));
    const unknown = columns.filter((c) => !known.has(c));
    if (unknown.length) throw new CaError('bad_request', `The export's table "${name}" has columns this FedPKI does not know: ${unknown.join(', ')}.`);
  }

  const counts: Record<string, number> = Object.fromEntries([...tables.keys()].map((n) => [n, 0]));
  const insertAll = async (insert: (info: TableInfo, rows: Record<string, unknown>[]) => Promise<void>, isEmpty: (info: TableInfo) => Promise<boolean>) => {
    for (const info of tables.values()) {
      if (!(await isEmpty(info))) throw new CaError('conflict', `The target database is not empty (table "${info.name}" has rows): import into a new, empty database.`);
    }
    let batch: Record<string, unknown>[] = [];
    let current: TableInfo | undefined;
    const flush = async () => {
      if (current && batch.length) await insert(current, batch);
      batch = [];
    };
    let lineNo = 1;
    let end: Record<string, unknown> | undefined;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      lineNo += 1;
      const line = next.value.trim();
      if (!line) continue;
      if (end) throw new CaError('bad_request', `Line ${lineNo} of the export comes after its closing line: the file is not one export.`);
      let parsed: { t: string; r: Record<string, unknown>; end?: Record<string, unknown> };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        throw new CaError('bad_request', `Line ${lineNo} of the export is not valid JSON: the file is damaged or cut short.`);
      }
      if (parsed.end !== undefined) {
        end = parsed.end;
        continue;
      }
      const { t, r } = parsed;
      const info = tables.get(t);
      if (!info || !(t in header.tables)) throw new CaError('bad_request', `The export has a row for an undeclared table "${t}".`);
      if (info !== current || batch.length >= Math.floor(20_000 / info.columns.length)) {
        await flush();
        current = info;
      }
      batch.push(decode(info, r));
      counts[t]! += 1;
    }
    await flush();
    if (header.version >= 2) {
      if (!end) throw new CaError('bad_request', `The export ends at line ${lineNo} without its closing line: it was cut short (a full disk, an interrupted copy). Nothing was imported.`);
      const short = Object.keys(header.tables).filter((name) => (counts[name] ?? 0) !== end[name]);
      if (short.length) {
        throw new CaError('bad_request', `The export's rows do not match its closing counts (${short.map((n) => `${n}: ${counts[n] ?? 0} of ${String(end[n])}`).join(', ')}). Nothing was imported.`);
      }
    }
  };

  const { handle } = database;
  if (handle.kind === 'postgres') {
    await handle.db.transaction(async (tx) => {
      await insertAll(
        async (info, rows) => {
          await tx.insert(info.table as PgTable).values(rows);
        },
        async (info) => (await tx.select({ one: sql`1` }).from(info.table as PgTable).limit(1)).length === 0,
      );
      // Identity columns (the audit log's id) continue after the imported ids.
      for (const info of tables.values()) {
        for (const c of info.columns) {
          if (!c.column.generatedIdentity) continue;
          await tx.execute(
            sql`select setval(pg_get_serial_sequence(${info.name}, ${c.column.name}), coalesce((select max(${sql.identifier(c.column.name)}) from ${sql.identifier(info.name)}), 0) + 1, false)`,
          );
        }
      }
    });
  } else {
    const db = handle.db;
    db.$client.exec('BEGIN IMMEDIATE');
    try {
      await insertAll(
        async (info, rows) => {
          db.insert(info.table as SQLiteTable).values(rows).run();
        },
        async (info) => db.select({ one: sql`1` }).from(info.table as SQLiteTable).limit(1).all().length === 0,
      );
      db.$client.exec('COMMIT');
    } catch (e) {
      db.$client.exec('ROLLBACK');
      throw e;
    }
  }
  return counts;
}
