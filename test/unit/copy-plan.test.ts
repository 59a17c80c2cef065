import { describe, expect, it } from 'bun:test';
import { is } from 'drizzle-orm';
import { integer, pgTable, text as pgText } from 'drizzle-orm/pg-core';
import { getTableConfig, SQLiteTable, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { compareTotals } from '../../server/db/copy/copy';
import { copyPlan, POSTGRES_ONLY, SKIPPED } from '../../server/db/copy/plan';
import * as pgSchema from '../../server/db/pg/schema';
import * as sqliteSchema from '../../server/db/schema';

// copy-to-postgres derives what it copies from the schemas: every table of server/db/schema.ts is
// copied or skipped with a reason, and a table or column that lines up with nothing stops it.

const sqliteTableNames = Object.values(sqliteSchema)
  .filter((t) => is(t, SQLiteTable))
  .map((t) => getTableConfig(t as SQLiteTable).name);

describe('the copy-to-postgres plan', () => {
  const plan = copyPlan();

  it('copies every SQLite table, or skips it with a reason', () => {
    expect(sqliteTableNames.length).toBeGreaterThanOrEqual(17);
    for (const name of sqliteTableNames) {
      const copied = plan.some((t) => t.name === name);
      const skipped = (SKIPPED[name] ?? '').length > 10;
      expect(`${name}: ${copied || skipped ? 'handled' : 'neither copied nor skipped with a reason'}`).toBe(`${name}: handled`);
    }
    for (const reason of Object.values(POSTGRES_ONLY)) expect(reason.length).toBeGreaterThan(10);
  });

  it('copies every column of a table, with the PostgreSQL type it is cast to', () => {
    const keys = plan.find((t) => t.name === 'api_keys');
    const sqliteColumns = getTableConfig(sqliteSchema.apiKeys).columns.map((c) => c.name);
    expect(keys?.columns.map((c) => c.name)).toEqual(sqliteColumns);
    expect(keys?.columns.find((c) => c.name === 'budget_nano')).toMatchObject({ pgType: 'bigint', conversion: 'integer' });
    expect(keys?.columns.find((c) => c.name === 'show_reasoning')).toMatchObject({ pgType: 'boolean', conversion: 'boolean' });
    expect(plan.find((t) => t.name === 'settings')?.columns.find((c) => c.name === 'value')).toMatchObject({ pgType: 'text', conversion: 'text' });
    expect(keys?.money).toEqual(['budget_nano', 'spent_nano']);
    expect(plan.find((t) => t.name === 'ledger')?.money).toContain('cost_nano');
  });

  it('moves the sequence of every table whose id PostgreSQL gives', () => {
    const withIdentity = plan.filter((t) => t.identity).map((t) => t.name).sort();
    expect(withIdentity).toEqual(['audit_log', 'credits', 'ledger', 'mail_outbox', 'payments']);
  });

  it('puts every referenced table before the tables that reference it', () => {
    const at = (name: string) => plan.findIndex((t) => t.name === name);
    expect(at('plans')).toBeLessThan(at('api_keys'));
    expect(at('api_keys')).toBeLessThan(at('ledger'));
    expect(at('api_keys')).toBeLessThan(at('orders'));
    expect(at('orders')).toBeLessThan(at('payments'));
    expect(at('orders')).toBeLessThan(at('credits'));
    expect(at('models')).toBeLessThan(at('prices'));
  });

  it('refuses a new SQLite table with no PostgreSQL twin, a PostgreSQL table with no SQLite one, and a column that lines up with nothing', () => {
    const extra = sqliteTable('gift_cards', { id: text('id').primaryKey() });
    expect(() => copyPlan({ ...sqliteSchema, extra }, pgSchema)).toThrow('the SQLite table gift_cards has no PostgreSQL twin and is not in SKIPPED');
    const pgExtra = pgTable('gift_cards', { id: pgText('id').primaryKey() });
    expect(() => copyPlan(sqliteSchema, { ...pgSchema, pgExtra })).toThrow('the PostgreSQL table gift_cards has no SQLite twin and is not in POSTGRES_ONLY');
    const wider = sqliteTable('settings', { key: text('key').primaryKey(), value: text('value'), colour: text('colour') });
    expect(() => copyPlan({ ...sqliteSchema, settings: wider }, pgSchema)).toThrow('settings.colour has no PostgreSQL column');
    const required = pgTable('settings', { key: pgText('key').primaryKey(), value: pgText('value'), rank: integer('rank').notNull() });
    expect(() => copyPlan(sqliteSchema, { ...pgSchema, settings: required })).toThrow('settings.rank is NOT NULL without a default in PostgreSQL');
  });
});

describe('comparing the totals of both sides', () => {
  const side = (rows: bigint, cost: bigint) => [{ name: 'ledger', rows, money: { cost_nano: cost } }];
  it('names the first difference, and nothing when they agree', () => {
    expect(compareTotals(side(3n, 10n), side(3n, 10n))).toBeUndefined();
    expect(compareTotals(side(3n, 10n), side(2n, 10n))).toBe('ledger has 3 rows in SQLite but 2 in PostgreSQL');
    expect(compareTotals(side(3n, 10n), side(3n, 11n))).toBe('the sum of ledger.cost_nano is 10 nano-USD in SQLite but 11 in PostgreSQL');
  });
});
