import { afterAll, beforeAll, expect, it } from 'bun:test';
import { SQL } from 'bun';
import { eq } from 'drizzle-orm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectPostgres } from '../../server/db/pg/client';
import { migratePostgres, SchemaTooNewError } from '../../server/db/pg/migrate';
import { embeddedMigrations } from '../../server/db/pg/migrations.generated';
import { apiKeys, auditLog, plans } from '../../server/db/pg/schema';
import { describePostgres, POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from '../helpers/postgres';

let pg: TestPostgres;
beforeAll(async () => {
  if (POSTGRES_AVAILABLE) pg = await startPostgres();
}, 30_000);
afterAll(async () => {
  await pg?.stop();
});

const tablesOf = async (sql: SQL) =>
  ((await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`) as { table_name: string }[]).map((r) => r.table_name);

describePostgres('PostgreSQL migrations', () => {
  it('embeds every migration of the drizzle-pg journal, unchanged', () => {
    const journal = JSON.parse(readFileSync(join(import.meta.dir, '../../drizzle-pg/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    expect(embeddedMigrations.map((m) => m.tag)).toEqual(journal.entries.map((e) => e.tag));
    for (const m of embeddedMigrations) expect(m.sql).toBe(readFileSync(join(import.meta.dir, `../../drizzle-pg/${m.tag}.sql`), 'utf8'));
  });

  it('build every table in an empty database, once, with money as numbers and the budget guarded by a CHECK', async () => {
    const { sql, db, close } = await connectPostgres(await pg.createDatabase());
    try {
      expect(await migratePostgres(sql)).toEqual({ applied: embeddedMigrations.length });
      expect(await migratePostgres(sql)).toEqual({ applied: 0 });
      const tables = await tablesOf(sql);
      for (const table of ['plans', 'models', 'model_aliases', 'prices', 'api_keys', 'ledger', 'ledger_daily', 'orders', 'payments', 'webhook_events', 'upstream_keys', 'settings', 'audit_log', 'holds', 'instances', 'cache_versions']) {
        expect(tables).toContain(table);
      }
      await db.insert(plans).values({ id: 'p', name: 'P', priceNano: 5_000_000_000, budgetNano: 5_000_000_000, models: ['deepseek-v4-flash'], rpm: 60, maxConcurrency: 4, validityDays: 30 });
      const key = { id: 'k', keyHash: 'h', keyEncrypted: 'e', keyHint: 'sk-…abcd', planId: 'p', budgetNano: 1_000, upstreamUserId: 'u' };
      await db.insert(apiKeys).values(key);
      const [plan] = await db.select().from(plans).where(eq(plans.id, 'p'));
      expect(plan?.models).toEqual(['deepseek-v4-flash']);
      // JSON is kept as text, as SQLite keeps it (copy-to-postgres copies it as it is)
      expect((await sql`SELECT models FROM plans`)[0].models).toBe('["deepseek-v4-flash"]');
      await db.insert(auditLog).values({ actor: 'admin', action: 'test', before: null, after: { budget_usd: '1.000000000' } });
      expect(await sql`SELECT before, after::jsonb ->> 'budget_usd' AS budget FROM audit_log`).toEqual([{ before: null, budget: '1.000000000' }]);
      expect(plan?.budgetNano).toBe(5_000_000_000);
      expect(typeof plan?.createdAt).toBe('number');
      expect(Math.abs((plan?.createdAt ?? 0) - Date.now())).toBeLessThan(60_000);
      // a hold that would pass the budget is refused by the database itself
      expect(await sql`UPDATE api_keys SET held_nano = held_nano + 600 WHERE id = 'k' RETURNING held_nano`.then((rows) => Number(rows[0].held_nano))).toBe(600);
      await expect(sql`UPDATE api_keys SET held_nano = held_nano + 401 WHERE id = 'k'`).rejects.toThrow(/api_keys_within_budget/);
      await expect(sql`UPDATE api_keys SET spent_nano = 500 WHERE id = 'k'`).rejects.toThrow(/api_keys_within_budget/);
      await expect(sql`UPDATE api_keys SET held_nano = -1 WHERE id = 'k'`).rejects.toThrow(/api_keys_holds_not_negative/);
    } finally {
      await close();
    }
  });

  it('are applied once when two instances start at the same moment', async () => {
    const url = await pg.createDatabase();
    const [first, second] = await Promise.all([connectPostgres(url), connectPostgres(url)]);
    try {
      const results = await Promise.all([migratePostgres(first.sql), migratePostgres(second.sql)]);
      expect(results.map((r) => r.applied).sort()).toEqual([0, embeddedMigrations.length]);
      const [row] = await first.sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`;
      expect(Number(row.n)).toBe(embeddedMigrations.length);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('refuse a database that a newer Tollgate has migrated, and change nothing', async () => {
    const { sql, close } = await connectPostgres(await pg.createDatabase());
    try {
      await migratePostgres(sql);
      const newer = { tag: '9999_from_the_future', when: (embeddedMigrations.at(-1)?.when ?? 0) + 1, sql: 'CREATE TABLE from_the_future (id text);' };
      expect(await migratePostgres(sql, [...embeddedMigrations, newer])).toEqual({ applied: 1 });
      const error = await migratePostgres(sql).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaTooNewError);
      expect((error as Error).message).toBe('the database has 1 migration(s) this version of Tollgate does not know (a newer version has run on it); upgrade this instance first');
      const [row] = await sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`;
      expect(Number(row.n)).toBe(embeddedMigrations.length + 1);
    } finally {
      await close();
    }
  });
});
