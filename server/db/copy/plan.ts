import { is } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable, type PgColumn } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as pgSchema from '../pg/schema';
import * as sqliteSchema from '../schema';

// What copy-to-postgres copies, derived from the two schemas rather than listed by hand, so that a
// table or column added to server/db/schema.ts is copied without anyone remembering to: every
// SQLite table goes to its PostgreSQL twin of the same name, column by column (by name), in an
// order that puts a referenced table before the tables that reference it. A SQLite table without
// a twin must be named in SKIPPED with the reason, and a PostgreSQL table without a SQLite one in
// POSTGRES_ONLY; anything else stops the copy (and a unit test) before a row is read.

/** SQLite tables deliberately not copied, with the reason (none today: everything is copied). */
export const SKIPPED: Readonly<Record<string, string>> = {};

/** PostgreSQL tables that have no SQLite twin: they start empty, and why that is right. */
export const POSTGRES_ONLY: Readonly<Record<string, string>> = {
  holds: 'requests in flight; a stopped SQLite gateway has none (its holds lived in memory)',
  instances: 'the heartbeats of running instances; each instance writes its own row at start',
  cache_versions: 'cache invalidation counters; they start at zero',
};

/** How a SQLite value becomes the PostgreSQL column's value. */
export type Conversion = 'boolean' | 'integer' | 'text';

export interface CopyColumn {
  name: string;
  /** the PostgreSQL type the parameter is cast to ($n::bigint) */
  pgType: string;
  conversion: Conversion;
}

export interface CopyTable {
  name: string;
  columns: CopyColumn[];
  /** the identity column whose sequence is moved past the copied ids */
  identity?: string;
  /** money columns (nano-USD): their sums must be equal on both sides */
  money: string[];
}

type SchemaModule = Record<string, unknown>;

function conversionOf(column: PgColumn): Conversion {
  const type = column.getSQLType();
  if (type === 'boolean') return 'boolean';
  if (type === 'bigint' || type === 'integer' || type === 'smallint') return 'integer';
  if (type === 'text') return 'text';
  throw new Error(`copy-to-postgres: ${column.name} has PostgreSQL type ${type}, which it does not know how to fill from SQLite`);
}

/** The copy, table by table in foreign-key order; throws when the schemas do not line up. */
export function copyPlan(sqlite: SchemaModule = sqliteSchema, pg: SchemaModule = pgSchema): CopyTable[] {
  const sqliteTables = new Map(Object.values(sqlite).filter((t) => is(t, SQLiteTable)).map((t) => [sqliteTableConfig(t as SQLiteTable).name, sqliteTableConfig(t as SQLiteTable)]));
  const pgTables = new Map(Object.values(pg).filter((t) => is(t, PgTable)).map((t) => [pgTableConfig(t as PgTable).name, pgTableConfig(t as PgTable)]));
  const problems: string[] = [];
  for (const name of pgTables.keys()) {
    if (!sqliteTables.has(name) && !(name in POSTGRES_ONLY)) problems.push(`the PostgreSQL table ${name} has no SQLite twin and is not in POSTGRES_ONLY`);
  }
  const tables: CopyTable[] = [];
  for (const [name, source] of sqliteTables) {
    if (name in SKIPPED) continue;
    const target = pgTables.get(name);
    if (!target) {
      problems.push(`the SQLite table ${name} has no PostgreSQL twin and is not in SKIPPED`);
      continue;
    }
    const targetColumns = new Map(target.columns.map((c) => [c.name, c]));
    const columns: CopyColumn[] = [];
    for (const column of source.columns) {
      const twin = targetColumns.get(column.name);
      if (!twin) problems.push(`${name}.${column.name} has no PostgreSQL column`);
      else columns.push({ name: column.name, pgType: twin.getSQLType(), conversion: conversionOf(twin) });
    }
    for (const column of target.columns) {
      if (!source.columns.some((c) => c.name === column.name) && column.notNull && !column.hasDefault) {
        problems.push(`${name}.${column.name} is NOT NULL without a default in PostgreSQL and has no SQLite column to fill it`);
      }
    }
    const identity = target.columns.find((c) => (c as PgColumn & { generatedIdentity?: unknown }).generatedIdentity !== undefined)?.name;
    tables.push({ name, columns, identity, money: columns.map((c) => c.name).filter((c) => c.endsWith('_nano')) });
  }
  if (problems.length > 0) throw new Error(`copy-to-postgres cannot line up the schemas: ${problems.join('; ')}`);
  return inForeignKeyOrder(tables, (name) => (pgTables.get(name)?.foreignKeys ?? []).map((fk) => pgTableConfig(fk.reference().foreignTable).name));
}

/** Referenced tables first (a table that references itself is fine: its rows go in one statement per batch). */
function inForeignKeyOrder(tables: CopyTable[], references: (name: string) => string[]): CopyTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: CopyTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`copy-to-postgres: foreign keys go round in a circle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const other of references(name)) if (other !== name && byName.has(other)) visit(other, [...path, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name) as CopyTable);
  };
  for (const table of tables) visit(table.name, []);
  return ordered;
}
