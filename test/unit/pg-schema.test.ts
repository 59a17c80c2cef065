import { describe, expect, it } from 'bun:test';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as pg from '../../server/db/pg/schema';
import * as sqlite from '../../server/db/schema';

// The PostgreSQL schema mirrors the SQLite one: a store's two implementations must find the same
// tables, columns, keys and indexes. Only the scale-out mode's own additions may differ.

const PG_ONLY_TABLES = ['holds', 'instances', 'cache_versions'];
const PG_ONLY_COLUMNS: Record<string, string[]> = { api_keys: ['held_nano', 'in_flight'] };

const sqliteTables = (Object.values(sqlite) as unknown[]).filter((value): value is SQLiteTable => value instanceof SQLiteTable).map(sqliteConfig);
const pgTables = (Object.values(pg) as unknown[]).filter((value): value is PgTable => value instanceof PgTable).map(pgConfig);

const columnsOf = (columns: { name: string; notNull: boolean; hasDefault: boolean; primary: boolean }[], skip: string[] = []) =>
  columns.filter((c) => !skip.includes(c.name)).map((c) => ({ name: c.name, notNull: c.notNull, hasDefault: c.hasDefault, primary: c.primary })).sort((a, b) => a.name.localeCompare(b.name));
const indexesOf = (indexes: { config: { name?: string; unique?: boolean; columns: unknown[] } }[]) =>
  indexes.map((i) => ({ name: i.config.name, unique: Boolean(i.config.unique), columns: i.config.columns.map((c) => (c as { name: string }).name) })).sort((a, b) => String(a.name).localeCompare(String(b.name)));

describe('the PostgreSQL schema', () => {
  it('has every SQLite table, and only the scale-out tables besides', () => {
    const names = pgTables.map((t) => t.name).sort();
    expect(names).toEqual([...sqliteTables.map((t) => t.name), ...PG_ONLY_TABLES].sort());
  });

  for (const table of sqliteTables) {
    it(`mirrors ${table.name}: its columns, defaults, keys, indexes and references`, () => {
      const twin = pgTables.find((t) => t.name === table.name);
      expect(twin).toBeDefined();
      expect(columnsOf(twin!.columns, PG_ONLY_COLUMNS[table.name])).toEqual(columnsOf(table.columns));
      for (const name of PG_ONLY_COLUMNS[table.name] ?? []) expect(twin!.columns.find((c) => c.name === name)?.notNull).toBe(true);
      expect(indexesOf(twin!.indexes)).toEqual(indexesOf(table.indexes));
      const keys = (pks: { columns: { name: string }[] }[]) => pks.map((pk) => pk.columns.map((c) => c.name));
      expect(keys(twin!.primaryKeys)).toEqual(keys(table.primaryKeys));
      const refs = (fks: { reference(): { columns: { name: string }[]; foreignTable: unknown; foreignColumns: { name: string }[] } }[]) =>
        fks.map((fk) => fk.reference()).map((r) => `${r.columns.map((c) => c.name)} → ${r.foreignColumns.map((c) => c.name)}`).sort();
      expect(refs(twin!.foreignKeys)).toEqual(refs(table.foreignKeys));
    });
  }

  it('keeps money and times in bigint columns read as numbers', () => {
    for (const table of pgTables) {
      for (const column of table.columns) {
        if (/_nano$|_at$|^last_seen$/.test(column.name)) expect(`${table.name}.${column.name}: ${column.getSQLType()}`).toBe(`${table.name}.${column.name}: bigint`);
      }
    }
  });
});
