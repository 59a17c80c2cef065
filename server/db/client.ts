import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite';
import * as schema from './schema';

export type DB = BunSQLiteDatabase<typeof schema> & { $client: Database };

export interface DatabaseHandle {
  sqlite: Database;
  db: DB;
  close(): void;
}

/** The one database file in a data dir. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'tollgate.sqlite');
}

/** Opens (creating if needed) the SQLite file in WAL mode with foreign keys and a busy timeout. */
export function openDatabase(path: string): DatabaseHandle {
  keepPrivate(path);
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec('PRAGMA journal_mode = WAL');
  sqlite.exec('PRAGMA synchronous = NORMAL');
  sqlite.exec('PRAGMA foreign_keys = ON');
  sqlite.exec('PRAGMA busy_timeout = 5000');
  const db = drizzle(sqlite, { schema }) as DB;
  return {
    sqlite,
    db,
    close: () => {
      try {
        sqlite.exec('PRAGMA optimize');
      } catch {
        // closing matters more than optimizing
      }
      sqlite.close();
    },
  };
}

/** The database holds every key (sealed) and order: readable by its owner only. SQLite gives its -wal and -shm files the same mode. */
function keepPrivate(path: string): void {
  if (path === ':memory:') return;
  if (existsSync(path)) chmodSync(path, 0o600);
  else closeSync(openSync(path, 'a', 0o600));
}
