import type { Database } from 'bun:sqlite';
import { statSync } from 'node:fs';
import type { Synchronous } from '../../db/sqlite/gate';
import type { OpsStore } from './store';

export function createSqliteOpsStore(sqlite: Database): Synchronous<OpsStore> {
  return {
    ping() {
      sqlite.query('SELECT 1').get();
    },
    databaseBytes() {
      const pages = sqlite.query('PRAGMA page_count').get() as { page_count: number };
      const size = sqlite.query('PRAGMA page_size').get() as { page_size: number };
      let wal = 0;
      try {
        wal = sqlite.filename ? statSync(`${sqlite.filename}-wal`).size : 0;
      } catch {
        // no WAL file right now
      }
      return pages.page_count * size.page_size + wal;
    },
  };
}
