import { afterAll, beforeAll, expect, it } from 'bun:test';
import { fixedClock } from '../../server/lib/clock';
import { parseUsd } from '../../server/lib/money';
import { rollUpCutoff, rollUpOldLedger } from '../../server/maintenance';
import { adminClient } from '../helpers/admin';
import { eachBackend, type BackendKind, type Query } from '../helpers/backends';
import { bearer, daysOfTraffic, startStack, type Stack } from '../helpers/stack';

// The ledger roll-up and the usage it feeds, on both backends: twelve days of real requests (a
// fixed clock, two keys, both models and price periods, streamed or not), then the rows past the
// retention rolled into ledger_daily in small batches. /api/usage, its daily series, the recent
// requests, the console's key and overview answer the same after as before, a second roll-up
// moves nothing, and PostgreSQL's answers are SQLite's, figure for figure.

type J = Record<string, any>;
const DAY = 86_400_000;
const RETENTION_DAYS = 5;
// twelve days ending on a Monday morning (UTC)
const START = Date.parse('2026-10-05T01:00:00Z');
const DAYS = 12;
const answers = new Map<BackendKind, unknown>();

eachBackend('ledger roll-up and usage', (b) => {
  const clock = fixedClock(START);
  let stack: Stack;
  let q: Query;
  const keys: { key: string; id: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({ clock, env: { ...(await b.env()), TOLLGATE_LEDGER_RETENTION_DAYS: String(RETENTION_DAYS), TOLLGATE_LOG_LEVEL: 'error' } });
    q = b.query(stack.gw.deps);
    keys.push(...(await daysOfTraffic(stack, clock, { start: START, days: DAYS })));
  }, 60_000);
  afterAll(() => stack?.close());

  const count = async (where = '1 = 1') => Number((await q(`SELECT count(*) AS n FROM ledger WHERE ${where}`))[0]!.n);

  /** Everything a buyer and the operator see of the usage, without the ids that differ per run. */
  async function figures() {
    const admin = adminClient(stack.gw.url, stack.gw.admin.token);
    const perKey = [];
    for (const { key, id } of keys) {
      const get = async (path: string) => (await fetch(`${stack.gw.url}${path}`, { headers: bearer(key) })).json() as Promise<J>;
      const spent = Number((await q('SELECT spent_nano FROM api_keys WHERE id = ?', id))[0]!.spent_nano);
      const { key_hint: _hint, ...usage } = await get('/api/usage');
      const { id: _id, key_hint: _h, created_at: _c, last_used_at: _l, ...adminKey } = (await admin.get(`/keys/${id}`)).body;
      const recent = ((await get('/api/usage/requests?limit=5')).data as J[]).map(({ request_id: _r, duration_ms: _d, ...rest }) => rest);
      perKey.push({
        usage,
        daily: (await get('/api/usage/daily?days=366')).data,
        dailyInsideRetention: (await get('/api/usage/daily?days=4')).data,
        dailyAcrossCutoff: (await get('/api/usage/daily?days=8')).data,
        recent,
        adminKey,
        ledgerSum: await stack.gw.deps.metering.ledgerSum(id),
        spent,
      });
    }
    const overview = async (days: number) => {
      const { current_period: _p, ...rest } = (await admin.get(`/overview?days=${days}`)).body;
      return rest;
    };
    return { perKey, overviewAll: await overview(3660), overviewRecent: await overview(3), overviewAcrossCutoff: await overview(9) };
  }

  it('rolls the rows past the retention into daily totals, leaving every total, series and report as it was', async () => {
    const cutoff = rollUpCutoff(clock.now(), RETENTION_DAYS);
    const older = await count(`started_at < ${cutoff}`);
    const newer = await count(`started_at >= ${cutoff}`);
    expect(older).toBeGreaterThan(10);
    expect(newer).toBeGreaterThan(10);
    expect((await q('SELECT DISTINCT period FROM ledger ORDER BY period')).map((r) => r.period)).toEqual(['off_peak', 'peak']);

    const before = await figures();
    for (const k of before.perKey) {
      expect(k.ledgerSum.costNano).toBe(k.spent);
      expect(parseUsd(k.usage.spent_usd)).toBe(k.spent);
      expect(k.usage.requests).toBe(k.ledgerSum.rows);
      expect(k.daily.length).toBe(DAYS);
      // today (no traffic yet) and the seven days before it
      expect(k.dailyAcrossCutoff.map((d: J) => d.date)).toEqual(Array.from({ length: 7 }, (_, i) => new Date(START + (DAYS - 7 + i) * DAY).toISOString().slice(0, 10)));
    }
    expect(before.overviewAll.spend_by_day).toHaveLength(DAYS);

    // small batches: one (key, day, model, period) total is added to over several statements
    expect(await stack.gw.deps.metering.rollUpLedger(cutoff, 7)).toBe(older);
    expect(await count(`started_at < ${cutoff}`)).toBe(0);
    expect(await count(`started_at >= ${cutoff}`)).toBe(newer);
    const [daily] = await q('SELECT count(*) AS n, sum(requests) AS requests, max(date) AS last FROM ledger_daily');
    expect(Number(daily!.requests)).toBe(older);
    expect(Number(daily!.n)).toBeLessThan(older);
    expect(daily!.last < new Date(cutoff).toISOString().slice(0, 10)).toBe(true);

    const after = await figures();
    expect(after).toEqual(before);
    // spent = raw rows + rolled-up totals, per key
    for (const { id } of keys) {
      const [row] = await q(
        `SELECT spent_nano AS spent, (SELECT coalesce(sum(cost_nano), 0) FROM ledger WHERE key_id = ?) AS raw_nano, (SELECT coalesce(sum(cost_nano), 0) FROM ledger_daily WHERE key_id = ?) AS rolled_nano FROM api_keys WHERE id = ?`,
        id,
        id,
        id,
      );
      expect(Number(row!.raw_nano) + Number(row!.rolled_nano)).toBe(Number(row!.spent));
    }
    answers.set(b.kind, after);
  });

  it('moves nothing when run again through the maintenance entry point', async () => {
    const before = await figures();
    const rolled = await q('SELECT * FROM ledger_daily ORDER BY key_id, date, public_model, period');
    expect(await rollUpOldLedger(stack.gw.deps)).toBe(0);
    expect(await q('SELECT * FROM ledger_daily ORDER BY key_id, date, public_model, period')).toEqual(rolled);
    expect(await figures()).toEqual(before);
  });

  if (b.kind === 'postgres') {
    it('answers what SQLite answered for the same traffic, figure for figure', () => {
      const sqlite = answers.get('sqlite');
      if (sqlite === undefined) return; // the SQLite half did not run (a filtered run)
      expect(answers.get('postgres')).toEqual(sqlite);
    });
  }
});
