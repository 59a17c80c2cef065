import type { SQL } from 'bun';
import { createHash } from 'node:crypto';
import { StartupError } from '../../config';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from './client';
import { embeddedMigrations } from './migrations.generated';

// Applies the embedded drizzle-pg/ migrations in one transaction under a transaction-scoped
// advisory lock, so that instances starting together apply them once: the second waits for the
// first to commit, then finds nothing left to do. The bookkeeping is drizzle's own table
// (drizzle.__drizzle_migrations: hash, created_at = the journal's `when`), so drizzle-kit agrees.

export interface EmbeddedMigration {
  tag: string;
  when: number;
  sql: string;
}

/** The database has migrations this binary does not know: a newer Tollgate has run on it. */
export class SchemaTooNewError extends StartupError {}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

export async function migratePostgres(sql: SQL, migrations: EmbeddedMigration[] = embeddedMigrations): Promise<{ applied: number }> {
  return sql.begin((tx) => applyPgMigrations(tx, migrations));
}

/**
 * The migrations inside a transaction the caller owns (copy-to-postgres migrates and copies in
 * one, so that a refused or failed copy leaves the database as it found it).
 */
export async function applyPgMigrations(tx: SQL, migrations: EmbeddedMigration[] = embeddedMigrations): Promise<{ applied: number }> {
  await tx`SELECT pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, ${ADVISORY_LOCKS.migrate})`;
  await tx`CREATE SCHEMA IF NOT EXISTS drizzle`;
  await tx`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
  const rows: { hash: string; created_at: string | null }[] = await tx`SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY created_at`;
  const known = new Set(migrations.map((m) => hashOf(m.sql)));
  const newest = migrations.at(-1)?.when ?? 0;
  const unknown = rows.filter((row) => !known.has(row.hash) || Number(row.created_at ?? 0) > newest);
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database has ${unknown.length} migration(s) this version of Tollgate does not know (a newer version has run on it); upgrade this instance first`,
    );
  }
  const applied = new Set(rows.map((row) => row.hash));
  let count = 0;
  for (const migration of migrations) {
    const hash = hashOf(migration.sql);
    if (applied.has(hash)) continue;
    for (const statement of migration.sql.split('--> statement-breakpoint')) {
      if (statement.trim() !== '') await tx.unsafe(statement);
    }
    await tx`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${hash}, ${migration.when})`;
    count++;
  }
  return { applied: count };
}
