import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { fixedClock } from '../../server/lib/clock';
import { parseUsd } from '../../server/lib/money';
import { rollUpCutoff, rollUpOldLedger } from '../../server/maintenance';
import { adminClient } from '../helpers/admin';
import { startTestGateway } from '../helpers/gateway';
import { bearer, daysOfTraffic, startStack, type Stack } from '../helpers/stack';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 30;
// 45 days of traffic ending on a Monday morning (UTC); days run over peak and off-peak hours
const START = Date.parse('2026-10-05T01:00:00Z');
const DAYS = 45;

const clock = fixedClock(START);
let stack: Stack;
let keys: { key: string; id: string }[];

beforeAll(async () => {
  stack = await startStack({ clock, env: { TOLLGATE_LEDGER_RETENTION_DAYS: String(RETENTION_DAYS) } });
  // traffic on most days, over both models and price periods, streamed or not
  keys = await daysOfTraffic(stack, clock, { start: START, days: DAYS });
}, 60_000);
afterAll(() => stack.close());

const sqlite = () => stack.gw.deps.database!.sqlite;
const rawRows = (where = '1 = 1') => (sqlite().query(`SELECT count(*) AS n FROM ledger WHERE ${where}`).get() as { n: number }).n;

async function figures() {
  const admin = adminClient(stack.gw.url, stack.gw.admin.token);
  const perKey = [];
  for (const { key, id } of keys) {
    const get = async (path: string) => (await fetch(`${stack.gw.url}${path}`, { headers: bearer(key) })).json();
    const spent = (sqlite().query('SELECT spent_nano FROM api_keys WHERE id = ?').get(id) as { spent_nano: number }).spent_nano;
    perKey.push({
      usage: await get('/api/usage'),
      daily: await get('/api/usage/daily?days=366'),
      dailyInsideRetention: await get('/api/usage/daily?days=20'),
      dailyAcrossCutoff: await get('/api/usage/daily?days=35'),
      adminKey: (await admin.get(`/keys/${id}`)).body,
      ledgerSum: await stack.gw.deps.metering.ledgerSum(id),
      spent,
    });
  }
  return {
    perKey,
    overviewAll: (await admin.get('/overview?days=3660')).body,
    overviewRecent: (await admin.get('/overview?days=7')).body,
    overviewAcrossCutoff: (await admin.get('/overview?days=40')).body,
  };
}

describe('the ledger roll-up', () => {
  it('made traffic on every day, with rows on both sides of the cut-off', () => {
    const cutoff = rollUpCutoff(clock.now(), RETENTION_DAYS);
    expect(rawRows(`started_at < ${cutoff}`)).toBeGreaterThan(20);
    expect(rawRows(`started_at >= ${cutoff}`)).toBeGreaterThan(20);
    const periods = sqlite().query('SELECT DISTINCT period FROM ledger').all();
    expect(periods.length).toBe(2);
  });

  it('rolls old rows into daily totals and leaves every total, chart and report unchanged', async () => {
    const before = await figures();
    for (const k of before.perKey) {
      expect(k.ledgerSum.costNano).toBe(k.spent);
      expect(parseUsd(k.usage.spent_usd)).toBe(k.spent);
      expect(k.usage.requests).toBe(k.ledgerSum.rows);
    }
    const cutoff = rollUpCutoff(clock.now(), RETENTION_DAYS);
    const newer = rawRows(`started_at >= ${cutoff}`);
    const older = rawRows(`started_at < ${cutoff}`);

    // small batches, so that one (key, day, model, period) group is added to over several transactions
    const rolled = await stack.gw.deps.metering.rollUpLedger(cutoff, 7);
    expect(rolled).toBe(older);
    expect(rawRows(`started_at < ${cutoff}`)).toBe(0);
    expect(rawRows(`started_at >= ${cutoff}`)).toBe(newer);
    const daily = sqlite().query('SELECT count(*) AS n, sum(requests) AS requests, max(date) AS last FROM ledger_daily').get() as { n: number; requests: number; last: string };
    expect(daily.requests).toBe(older);
    expect(daily.n).toBeLessThan(older);
    expect(daily.last < new Date(cutoff).toISOString().slice(0, 10)).toBe(true);

    const after = await figures();
    expect(after).toEqual(before);
  });

  it("keeps each key's spent total equal to its ledger rows plus its rolled-up totals", () => {
    for (const { id } of keys) {
      const row = sqlite()
        .query(
          `SELECT spent_nano AS spent,
             (SELECT coalesce(sum(cost_nano), 0) FROM ledger WHERE key_id = $id) + (SELECT coalesce(sum(cost_nano), 0) FROM ledger_daily WHERE key_id = $id) AS rows
           FROM api_keys WHERE id = $id`,
        )
        .get({ id }) as { spent: number; rows: number };
      expect(row.spent).toBeGreaterThan(0);
      expect(row.rows).toBe(row.spent);
    }
  });

  it('changes nothing when run again, and the maintenance entry point uses the configured retention', async () => {
    const before = await figures();
    const dailyRows = sqlite().query('SELECT * FROM ledger_daily ORDER BY key_id, date, public_model, period').all();
    expect(await rollUpOldLedger(stack.gw.deps)).toBe(0);
    expect(sqlite().query('SELECT * FROM ledger_daily ORDER BY key_id, date, public_model, period').all()).toEqual(dailyRows);
    expect(await figures()).toEqual(before);
  });

  it('rolls up by itself when a gateway starts', async () => {
    const later = fixedClock(clock.now());
    const cutoff = rollUpCutoff(later.now(), 10);
    const before = await figures();
    expect(rawRows(`started_at < ${cutoff}`)).toBeGreaterThan(0);
    const second = await startTestGateway({ dataDir: stack.gw.dataDir, clock: later, env: { TOLLGATE_LEDGER_RETENTION_DAYS: '10' } });
    try {
      for (let i = 0; i < 100 && rawRows(`started_at < ${cutoff}`) > 0; i++) await Bun.sleep(20);
      expect(rawRows(`started_at < ${cutoff}`)).toBe(0);
      expect(second.logLines.some((line) => line.includes('ledger rolled up'))).toBe(true);
    } finally {
      await second.close();
    }
    expect(await figures()).toEqual(before);
  });

  it('rolls up nothing when retention is 0 (keep every row)', async () => {
    const deps = { ...stack.gw.deps, config: { ...stack.gw.deps.config, ledgerRetentionDays: 0 } };
    clock.set(START + 400 * DAY_MS);
    try {
      expect(await rollUpOldLedger(deps)).toBe(0);
      expect(rawRows()).toBeGreaterThan(0);
    } finally {
      clock.set(START + DAYS * DAY_MS);
    }
  });
});
