import { afterAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';
import { embeddedMigrations } from '../../server/db/migrations.generated';
import { tempDir } from '../helpers/gateway';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('embeds every migration the drizzle journal lists, unchanged', () => {
    const journal = JSON.parse(readFileSync(join(import.meta.dir, '../../drizzle/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    expect(embeddedMigrations.map((m) => m.tag)).toEqual(journal.entries.map((e) => e.tag));
    for (const m of embeddedMigrations) expect(m.sql).toBe(readFileSync(join(import.meta.dir, `../../drizzle/${m.tag}.sql`), 'utf8'));
  });

  it('builds every table from an empty file, once', () => {
    const handle = openDatabase(join(dir, 'empty.sqlite'));
    expect(migrateDatabase(handle.db).applied).toBe(embeddedMigrations.length);
    expect(migrateDatabase(handle.db).applied).toBe(0);
    const tables = (handle.sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    for (const table of ['plans', 'models', 'model_aliases', 'prices', 'api_keys', 'ledger', 'orders', 'payments', 'webhook_events', 'upstream_keys', 'settings', 'audit_log']) {
      expect(tables).toContain(table);
    }
    handle.close();
  });

  it('opens SQLite in WAL mode with foreign keys and a busy timeout', () => {
    const handle = openDatabase(join(dir, 'pragmas.sqlite'));
    expect((handle.sqlite.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect((handle.sqlite.query('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys).toBe(1);
    expect((handle.sqlite.query('PRAGMA busy_timeout').get() as { timeout: number }).timeout).toBe(5000);
    migrateDatabase(handle.db);
    expect(() => handle.sqlite.exec("INSERT INTO model_aliases (alias, model_id) VALUES ('x', 'no-such-model')")).toThrow();
    handle.close();
  });
});
