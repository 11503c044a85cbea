import { getTableColumns, type Column } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tablesOf } from '../transfer';

/**
 * The two schemas must stay twins: same tables, same TypeScript property names, same
 * nullability and the same kind of value, so that one `CaStore` contract, one
 * `Queries` contract and the export/import hold on both. A column added to
 * db/schema.ts and not to db/pg/schema.ts (or the other way) fails here.
 */
describe('db/pg/schema.ts mirrors db/schema.ts', () => {
  const sqlite = tablesOf('sqlite');
  const pg = tablesOf('postgres');
  const shape = (columns: Record<string, Column>) =>
    Object.fromEntries(
      Object.entries(columns).map(([key, c]) => [
        key,
        { name: c.name, notNull: c.notNull, primary: c.primary, kind: c.dataType === 'date' ? 'date' : ['buffer', 'custom'].includes(c.dataType) ? 'bytes' : c.dataType === 'json' ? 'json' : c.dataType, enum: c.enumValues ?? null },
      ]),
    );

  it('has the same tables, parents before children', () => {
    expect(pg.map((t) => t.name)).toEqual(sqlite.map((t) => t.name));
    expect(sqlite.findIndex((t) => t.name === 'federations')).toBeLessThan(sqlite.findIndex((t) => t.name === 'certificates'));
    expect(sqlite.findIndex((t) => t.name === 'certificates')).toBeLessThan(sqlite.findIndex((t) => t.name === 'revocations'));
  });

  for (const table of sqlite) {
    it(`ok/${table.name}: same columns, nullability, keys and kinds of value`, () => {
      const twin = pg.find((t) => t.name === table.name)!;
      expect(shape(getTableColumns(twin.table) as Record<string, Column>)).toEqual(shape(getTableColumns(table.table) as Record<string, Column>));
      expect(twin.primaryKey).toEqual(table.primaryKey);
      expect(twin.parents.sort()).toEqual(table.parents.sort());
    });
  }
});
