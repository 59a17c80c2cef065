import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { embeddedMigrations } from './migrations.generated';

// Online backups and restores of the one SQLite file. Plain functions: the CLI and the daily
// backup both use them.

export class BackupError extends Error {}

/** Tables whose presence says "this is a Tollgate database". */
const TOLLGATE_TABLES = ['__drizzle_migrations', 'api_keys', 'ledger', 'orders', 'plans', 'prices'];

/**
 * Writes a consistent copy of the database at `sourcePath` to `target` with VACUUM INTO, from a
 * connection of its own: in WAL mode it reads one snapshot while the gateway keeps writing.
 * Never overwrites: the copy goes to a private temporary name first and is then linked into
 * place, which fails if `target` exists. The file is 0600 (it holds sealed keys and emails).
 */
export function writeBackup(sourcePath: string, target: string): { bytes: number } {
  if (existsSync(target)) throw new BackupError(`${target} already exists; choose another name or remove it first`);
  if (!existsSync(sourcePath)) throw new BackupError(`there is no database at ${sourcePath}`);
  const partial = `${target}.partial-${process.pid}`;
  // VACUUM INTO accepts an empty existing file, so the file is created with our mode first.
  try {
    closeSync(openSync(partial, 'wx', 0o600));
  } catch (error) {
    throw new BackupError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const source = new Database(sourcePath, { readonly: true });
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    source.prepare('VACUUM INTO ?').run(partial);
    chmodSync(partial, 0o600);
    linkSync(partial, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupError(code === 'EEXIST' ? `${target} already exists; choose another name or remove it first` : `backup failed: ${(error as Error).message}`);
  } finally {
    source.close();
    // the link is the backup; the temporary name, and any rollback journal VACUUM INTO left beside it, go
    for (const leftover of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) rmSync(leftover, { force: true });
  }
  return { bytes: statSync(target).size };
}

export interface BackupCheck {
  /** migrations recorded in the file */
  migrations: number;
  keys: number;
  ledgerRows: number;
}

/**
 * Checks that `file` is a sound Tollgate database this binary can run: integrity ok, our tables
 * present, and no migration newer than the ones this binary carries.
 */
export function checkBackup(file: string): BackupCheck {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  let db: Database;
  try {
    db = new Database(file, { readonly: true });
  } catch (error) {
    throw new BackupError(`${file} is not a SQLite database (${(error as Error).message})`);
  }
  try {
    let integrity: string[];
    try {
      integrity = (db.query('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (error) {
      throw new BackupError(`${file} is not a SQLite database (${(error as Error).message})`);
    }
    if (integrity.join() !== 'ok') throw new BackupError(`${file} fails the integrity check: ${integrity.slice(0, 3).join('; ')}`);
    const tables = new Set((db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = TOLLGATE_TABLES.filter((name) => !tables.has(name));
    if (missing.length) throw new BackupError(`${file} is not a Tollgate database (no ${missing.join(', ')} table)`);
    const newest = (db.query('SELECT max(created_at) AS at, count(*) AS n FROM __drizzle_migrations').get() as { at: number | null; n: number });
    const known = embeddedMigrations.at(-1)?.when ?? 0;
    if ((newest.at ?? 0) > known || newest.n > embeddedMigrations.length) {
      throw new BackupError(`${file} comes from a newer Tollgate (its database has migrations this version does not know); upgrade first`);
    }
    const count = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { migrations: newest.n, keys: count('api_keys'), ledgerRows: count('ledger') };
  } finally {
    db.close();
  }
}

/**
 * Folds the WAL of the database at `path` back into the main file and leaves it in rollback
 * journal mode, so the file alone is the whole database. SQLite refuses the switch while any
 * other connection has the database open, which also guards against a running gateway.
 */
export function consolidateDatabase(path: string): void {
  const db = new Database(path);
  try {
    db.exec('PRAGMA busy_timeout = 2000');
    const mode = db.query('PRAGMA journal_mode = DELETE').get() as { journal_mode: string };
    if (mode.journal_mode !== 'delete') throw new BackupError(`${path} is in use by another process (stop the gateway first)`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${path} is in use by another process (stop the gateway first): ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `livePath` by a copy of `backupFile`. The current database, its WAL
 * folded in, is kept beside it as `<name>.before-restore-<stamp>`. Checks come first; the swap
 * is two renames. Returns what was restored and where the old database went (if there was one).
 */
export function restoreBackup(backupFile: string, livePath: string, stamp: string): BackupCheck & { keptAs: string | undefined } {
  const check = checkBackup(backupFile);
  const incoming = `${livePath}.restoring-${process.pid}`;
  try {
    closeSync(openSync(incoming, 'wx', 0o600));
    const source = new Database(backupFile, { readonly: true });
    try {
      source.prepare('VACUUM INTO ?').run(incoming);
    } finally {
      source.close();
    }
    chmodSync(incoming, 0o600);
    let keptAs: string | undefined;
    if (existsSync(livePath)) {
      consolidateDatabase(livePath);
      keptAs = `${livePath}.before-restore-${stamp}`;
      if (existsSync(keptAs)) throw new BackupError(`${keptAs} already exists`);
      renameSync(livePath, keptAs);
    }
    for (const side of ['-wal', '-shm', '-journal']) rmSync(livePath + side, { force: true });
    renameSync(incoming, livePath);
    return { ...check, keptAs };
  } finally {
    rmSync(incoming, { force: true });
  }
}
