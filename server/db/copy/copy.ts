import type { Database } from 'bun:sqlite';
import type { SQL } from 'bun';
import { StartupError } from '../../config';
import { applyPgMigrations } from '../pg/migrate';
import { copyPlan, POSTGRES_ONLY, type CopyColumn, type CopyTable } from './plan';

// Copies a stopped SQLite deployment into an empty PostgreSQL database in ONE PostgreSQL
// transaction: migrate (as `tollgate migrate` does), refuse a database that holds any row, copy
// every table of the plan in batches, move the identity sequences past the copied ids, then count
// rows and sum every money column on both sides. Anything wrong throws, and the rollback leaves
// the target as it was (PostgreSQL's DDL is transactional too, so not even the migrations stay).

/** The copy was refused before anything was written: bad input (exit 2). */
export class CopyRefusedError extends StartupError {}

/** The copy ran but did not verify, or a row did not go in: rolled back (exit 1). */
export class CopyFailedError extends Error {}

export interface TableTotals {
  name: string;
  rows: bigint;
  /** column → sum in nano-USD */
  money: Record<string, bigint>;
}

export interface CopyResult {
  applied: number;
  tables: TableTotals[];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMS = 30_000;
const MAX_BATCH_ROWS = 1000;

export async function copyToPostgres(sqlite: Database, sql: SQL, opts: { plan?: CopyTable[] } = {}): Promise<CopyResult> {
  const plan = opts.plan ?? copyPlan();
  refuseOverspentKeys(sqlite);
  sqlite.exec('BEGIN'); // one snapshot of the source for the copy and its totals
  try {
    return await sql.begin(async (tx) => {
      try {
        return await copyIn(sqlite, tx, plan);
      } catch (error) {
        if (error instanceof StartupError || error instanceof CopyFailedError) throw error;
        // a lock wait that ran out, a dropped connection…: still one line, and still rolled back
        throw new CopyFailedError(`the copy failed: ${String((error as Error).message ?? error).split('\n')[0]}; nothing was written (the transaction was rolled back)`);
      }
    });
  } finally {
    sqlite.exec('ROLLBACK');
  }
}

async function copyIn(sqlite: Database, tx: SQL, plan: CopyTable[]): Promise<CopyResult> {
  const { applied } = await applyPgMigrations(tx);
  const ours = [...plan.map((t) => t.name), ...Object.keys(POSTGRES_ONLY)];
  await tx.unsafe(`SET LOCAL lock_timeout = '10s'`);
  await tx.unsafe(`LOCK TABLE ${ours.map(quote).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  await refuseData(tx);
  for (const table of plan) await copyTable(sqlite, tx, table);
  for (const table of plan) if (table.identity) await moveSequence(sqlite, tx, table.name, table.identity);
  const source = plan.map((t) => sqliteTotals(sqlite, t));
  const target: TableTotals[] = [];
  for (const table of plan) target.push(await pgTotals(tx, table));
  const mismatch = compareTotals(source, target);
  if (mismatch) throw new CopyFailedError(`verification failed: ${mismatch}; nothing was written (the transaction was rolled back)`);
  return { applied, tables: source };
}

/** The first difference between the two sides, in words, or undefined when they agree. */
export function compareTotals(source: TableTotals[], target: TableTotals[]): string | undefined {
  for (const [i, s] of source.entries()) {
    const t = target[i];
    if (!t || t.name !== s.name) return `${s.name} is missing in PostgreSQL`;
    if (s.rows !== t.rows) return `${s.name} has ${s.rows} rows in SQLite but ${t.rows} in PostgreSQL`;
    for (const [column, sum] of Object.entries(s.money)) {
      if (t.money[column] !== sum) return `the sum of ${s.name}.${column} is ${sum} nano-USD in SQLite but ${t.money[column] ?? 'absent'} in PostgreSQL`;
    }
  }
  return undefined;
}

/** PostgreSQL's api_keys_within_budget check refuses a key that spent past its budget: say which, before starting. */
function refuseOverspentKeys(sqlite: Database): void {
  const over = sqlite.query('SELECT id FROM api_keys WHERE spent_nano > budget_nano ORDER BY id LIMIT 3').all() as { id: string }[];
  if (over.length === 0) return;
  throw new CopyRefusedError(
    `key(s) ${over.map((k) => k.id).join(', ')} spent more than their budget, which PostgreSQL's api_keys_within_budget check refuses; raise their budget first (tollgate keys topup ID USD)`,
  );
}

/** Any row in any table of the public schema (ours or not) makes the database not empty. */
async function refuseData(tx: SQL): Promise<void> {
  const tables: { name: string }[] = await tx`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
  const filled: string[] = [];
  for (const { name } of tables) {
    const [row] = await tx.unsafe(`SELECT EXISTS (SELECT 1 FROM ${quote(name)}) AS any`);
    if (row?.any) filled.push(name);
  }
  if (filled.length > 0) {
    throw new CopyRefusedError(`the target database is not empty (rows in ${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''}); copy-to-postgres needs an empty database`);
  }
}

function convert(table: string, column: CopyColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.conversion) {
    case 'boolean':
      if (value === 0 || value === 1) return value === 1;
      break;
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'bigint') return value.toString();
      break;
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return String(value);
      break;
  }
  throw new CopyFailedError(`${table}.${column.name} holds ${JSON.stringify(String(value)).slice(0, 40)}, which is not a ${column.conversion}; nothing was written`);
}

async function copyTable(sqlite: Database, tx: SQL, table: CopyTable): Promise<void> {
  const names = table.columns.map((c) => quote(c.name)).join(', ');
  const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMS / table.columns.length)));
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    const params: unknown[] = [];
    const tuples = batch.map((row) => {
      const slots = table.columns.map((column) => {
        params.push(convert(table.name, column, row[column.name]));
        return `$${params.length}::${column.pgType}`;
      });
      return `(${slots.join(', ')})`;
    });
    batch = [];
    try {
      await tx.unsafe(`INSERT INTO ${quote(table.name)} (${names}) VALUES ${tuples.join(', ')}`, params);
    } catch (error) {
      throw new CopyFailedError(`copying ${table.name} failed: ${(error as Error).message.split('\n')[0]}; nothing was written`);
    }
  };
  // streamed, so that a long ledger is never all in memory at once
  for (const row of sqlite.query(`SELECT ${names} FROM ${quote(table.name)} ORDER BY rowid`).iterate() as IterableIterator<Record<string, unknown>>) {
    batch.push(row);
    if (batch.length >= batchRows) await flush();
  }
  if (batch.length > 0) await flush();
}

/** Past both the highest copied id and SQLite's own AUTOINCREMENT counter, so that no id of a deleted row comes back. */
async function moveSequence(sqlite: Database, tx: SQL, table: string, column: string): Promise<void> {
  const hasCounter = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
  const counter = hasCounter ? ((sqlite.query('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as { seq: number } | null)?.seq ?? 0) : 0;
  await tx.unsafe(
    `SELECT setval(pg_get_serial_sequence($1, $2), greatest(coalesce(max(${quote(column)}), 0), $3::bigint) + 1, false) FROM ${quote(table)}`,
    [table, column, counter],
  );
}

function totalsQuery(table: CopyTable): string {
  const sums = table.money.map((c) => `coalesce(sum(${quote(c)}), 0) AS ${quote(c)}`);
  return `SELECT ${['count(*) AS "rows"', ...sums].join(', ')} FROM ${quote(table.name)}`;
}

function totalsOf(table: CopyTable, row: Record<string, unknown>): TableTotals {
  const money: Record<string, bigint> = {};
  for (const column of table.money) money[column] = BigInt(String(row[column]));
  return { name: table.name, rows: BigInt(String(row.rows)), money };
}

function sqliteTotals(sqlite: Database, table: CopyTable): TableTotals {
  return totalsOf(table, sqlite.query(totalsQuery(table)).safeIntegers(true).get() as Record<string, unknown>);
}

async function pgTotals(tx: SQL, table: CopyTable): Promise<TableTotals> {
  const [row] = await tx.unsafe(totalsQuery(table));
  return totalsOf(table, row as Record<string, unknown>);
}
