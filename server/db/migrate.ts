import { createHash } from 'node:crypto';
import type { MigrationMeta } from 'drizzle-orm/migrator';
import type { DB } from './client';
import { embeddedMigrations } from './migrations.generated';

/** Applies pending migrations (embedded in the binary) with drizzle's own bookkeeping table. */
export function migrateDatabase(db: DB): { applied: number } {
  const migrations: MigrationMeta[] = embeddedMigrations.map((m) => ({
    sql: m.sql.split('--> statement-breakpoint'),
    bps: m.breakpoints,
    folderMillis: m.when,
    hash: createHash('sha256').update(m.sql).digest('hex'),
  }));
  const before = countApplied(db);
  // The same call drizzle's bun-sqlite migrator makes after reading the files from disk.
  (db as unknown as { dialect: { migrate(m: MigrationMeta[], s: unknown, c: object): void }; session: unknown }).dialect.migrate(
    migrations,
    (db as unknown as { session: unknown }).session,
    { migrationsFolder: 'embedded' },
  );
  return { applied: countApplied(db) - before };
}

function countApplied(db: DB): number {
  const exists = db.$client.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!exists) return 0;
  const row = db.$client.query('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
  return row.n;
}
