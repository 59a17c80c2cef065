import type { Database } from 'bun:sqlite';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkServiceUrl, type Config } from '../config';
import { databasePath, openDatabase } from '../db/client';
import { CopyFailedError, copyToPostgres, type TableTotals } from '../db/copy/copy';
import { embeddedMigrations } from '../db/migrations.generated';
import { connectPostgres } from '../db/pg/client';
import { createSealer } from '../lib/crypto';
import { claimDataDir, DataDirInUseError, servingProcess } from '../maintenance/serving-marker';
import { UsageError } from './keys';

/** The money shown per table (every money column is verified; these are the ones worth reading). */
const SHOWN: Record<string, string[]> = {
  api_keys: ['budget_nano', 'spent_nano'],
  credits: ['amount_nano'],
  orders: ['amount_nano'],
  payments: ['amount_nano', 'refunded_nano'],
  ledger: ['cost_nano'],
  ledger_daily: ['cost_nano'],
};

/**
 * `tollgate copy-to-postgres DATABASE_URL`: the data dir's SQLite database (its gateway stopped)
 * into an empty PostgreSQL database, verified. Returns the exit status; refusals throw (status 2).
 */
export async function runCopyToPostgres(config: Config, positionals: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('usage: tollgate copy-to-postgres DATABASE_URL (postgres://user:password@host:5432/tollgate)');
  const url = positionals[0] as string;
  checkServiceUrl(url, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/tollgate');
  const dir = resolve(config.dataDir);
  const path = databasePath(dir);
  if (!existsSync(path)) throw new UsageError(`there is no SQLite database at ${path} to copy (point --data-dir at the shop's data dir)`);
  const release = claimStopped(dir);
  try {
    const sqlite = openDatabase(path);
    try {
      refuseUnmigrated(sqlite.sqlite);
      const pg = await connectPostgres(url, { max: 1, variable: 'DATABASE_URL', applicationName: 'tollgate copy-to-postgres' });
      try {
        out(`copying ${path} into ${pg.describe} (one transaction)`);
        const result = await copyToPostgres(sqlite.sqlite, pg.sql).catch((error: unknown) => {
          if (error instanceof CopyFailedError) return error;
          throw error;
        });
        if (result instanceof CopyFailedError) {
          err(`tollgate: ${result.message}`);
          return 1;
        }
        if (result.applied > 0) out(`applied ${result.applied} migration(s) first`);
        for (const line of totalsTable(result.tables)) out(line);
        const rows = result.tables.reduce((sum, t) => sum + t.rows, 0n);
        out(`verified: ${result.tables.length} tables, ${rows} rows; row counts and money totals are equal on both sides`);
        for (const line of nextSteps(dir, sqlite.sqlite, result.tables)) out(line);
        return 0;
      } finally {
        await pg.close();
      }
    } finally {
      sqlite.close();
    }
  } finally {
    release();
  }
}

/** The same one-server-per-data-dir claim a serving gateway takes: held while copying, so none can start meanwhile. */
function claimStopped(dir: string): () => void {
  const pid = servingProcess(dir);
  if (pid !== undefined) throw new UsageError(`a gateway (pid ${pid}) is serving ${dir}; stop it before copying (copy-to-postgres copies a stopped shop)`);
  try {
    return claimDataDir(dir);
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new UsageError(`a gateway is starting or serving ${dir}; stop it before copying (copy-to-postgres copies a stopped shop)`);
    throw error;
  }
}

/** The copy reads the columns this version knows: the SQLite database must be migrated to exactly this version. */
function refuseUnmigrated(sqlite: Database): void {
  const known = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  const rows = known ? (sqlite.query('SELECT created_at FROM __drizzle_migrations').all() as { created_at: number }[]) : [];
  const newest = embeddedMigrations.at(-1)?.when ?? 0;
  if (rows.length > embeddedMigrations.length || rows.some((r) => Number(r.created_at) > newest)) {
    throw new UsageError('a newer version of Tollgate has migrated this SQLite database; run that version’s copy-to-postgres');
  }
  if (rows.length < embeddedMigrations.length) {
    throw new UsageError(`the SQLite database is ${embeddedMigrations.length - rows.length} migration(s) behind this version; run tollgate migrate (with the same --data-dir) first`);
  }
}

/** nano-USD (a bigint sum) as USD with nine decimals. */
function usd(nano: bigint): string {
  const sign = nano < 0n ? '-' : '';
  const abs = nano < 0n ? -nano : nano;
  return `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function totalsTable(tables: TableTotals[]): string[] {
  const width = Math.max(...tables.map((t) => t.name.length), 5);
  const rowsWidth = Math.max(...tables.map((t) => t.rows.toString().length), 4);
  const lines = [`${'table'.padEnd(width)}  ${'rows'.padStart(rowsWidth)}  money (USD)`];
  for (const table of tables) {
    const money = (SHOWN[table.name] ?? []).map((c) => `${c.replace(/_nano$/, '')} ${usd(table.money[c] ?? 0n)}`).join(', ');
    lines.push(`${table.name.padEnd(width)}  ${table.rows.toString().padStart(rowsWidth)}  ${money}`.trimEnd());
  }
  return lines;
}

/** What the instances need to serve the copy: above all the secret the keys are sealed with. */
function nextSteps(dir: string, sqlite: Database, tables: TableTotals[]): string[] {
  const secretPath = join(dir, 'server-secret');
  const sealed = ['api_keys', 'upstream_keys'].some((name) => (tables.find((t) => t.name === name)?.rows ?? 0n) > 0n);
  const lines: string[] = [];
  if (sealed && !existsSync(secretPath)) {
    lines.push(`the keys are sealed with a server secret, but ${secretPath} is missing: give every instance TOLLGATE_SERVER_SECRET set to the original one, or the keys cannot be opened`);
  } else if (existsSync(secretPath)) {
    if (sealed && !opensSample(secretPath, sqlite)) {
      lines.push(`warning: ${secretPath} cannot open the keys sealed in this database; the instances need the secret that sealed them`);
    }
    lines.push(`the keys and upstream keys are sealed with ${secretPath}: every instance must have TOLLGATE_SERVER_SECRET set to its content (TOLLGATE_SERVER_SECRET=$(cat ${secretPath}))`);
  }
  const token = join(dir, 'admin-token');
  lines.push(
    `next: start the instances with TOLLGATE_DATABASE_URL, TOLLGATE_REDIS_URL, TOLLGATE_SERVER_SECRET and TOLLGATE_ADMIN_TOKEN${existsSync(token) ? ` (the console's token so far is in ${token})` : ''}; leave this data dir's gateway stopped`,
  );
  return lines;
}

function opensSample(secretPath: string, sqlite: Database): boolean {
  const sample =
    (sqlite.query('SELECT key_encrypted AS v FROM api_keys LIMIT 1').get() as { v: string } | null)?.v ??
    (sqlite.query('SELECT key_encrypted AS v FROM upstream_keys LIMIT 1').get() as { v: string } | null)?.v;
  if (sample === undefined) return true;
  try {
    createSealer(Buffer.from(readFileSync(secretPath, 'utf8').trim(), 'base64')).open(sample);
    return true;
  } catch {
    return false;
  }
}
