import type { SQL } from 'bun';
import { sql as expr, type SQL as Expression, type SQLWrapper } from 'drizzle-orm';
import { drizzle, type BunSQLDatabase } from 'drizzle-orm/bun-sql';

// What a PostgreSQL store runs its statements on: the pool, or one transaction's connection
// (a unit of work, or a store method that needs several statements to be atomic). Both as drizzle
// (typed query building) and as Bun's own SQL (hand-written statements, prepared and cached by
// their text). Bun answers bigint columns, count() and sum() as strings: drizzle maps the schema's
// bigint columns ({ mode: 'number' }) and `num` below maps an expression; a hand-written statement
// maps its row with `numbers`. Nothing else converts.

export type PgQueries = BunSQLDatabase;

export interface PgConn {
  db: PgQueries;
  sql: SQL;
  /** true inside a transaction: a multi-statement store method then runs as part of it */
  inTransaction: boolean;
}

export function pgConn(sql: SQL, inTransaction = false): PgConn {
  return { db: drizzle({ client: sql }), sql, inTransaction };
}

/**
 * Runs `work` atomically: as part of the transaction `conn` already is, or in one of its own
 * (the PostgreSQL twin of the SQLite gate's atomically()).
 */
export function pgAtomically<T>(conn: PgConn, work: (tx: PgConn) => Promise<T>): Promise<T> {
  if (conn.inTransaction) return work(conn);
  return conn.sql.begin((tx) => work(pgConn(tx, true))) as Promise<T>;
}

/** The named fields of a hand-written statement's row as numbers (null stays null). */
export function numbers<T extends Record<string, unknown>>(row: Record<string, unknown>, fields: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const field of fields) {
    const value = out[field];
    if (value !== null && value !== undefined) out[field] = Number(value);
  }
  return out as T;
}

/** A UTC day (YYYY-MM-DD) of an epoch-milliseconds column, as SQLite's strftime('%Y-%m-%d', ms / 1000, 'unixepoch') gives it. */
export const utcDay = (column: string) => `to_char(DATE '1970-01-01' + (${column} / 86400000)::int, 'YYYY-MM-DD')`;

/**
 * A text column as ORDER BY should compare it: by bytes, as SQLite does, whatever collation the
 * database was created with (under en_US or ICU 'key_a' sorts before 'key_B'; by bytes after).
 */
export const bytewise = (column: SQLWrapper): Expression => expr`${column} COLLATE "C"`;
