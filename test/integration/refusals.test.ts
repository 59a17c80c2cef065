import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway';
import { bearer, chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// Refused requests of known keys: counted per key, UTC day and reason, in memory on the request's
// way and written in batches (TOLLGATE_REFUSAL_FLUSH_SECONDS); never a ledger row.

type Refused = { total: number; by_reason: Record<string, number> };
type Usage = { requests: number; refused: Refused };

let stack: Stack;
beforeAll(async () => {
  // an hour between writes: every count read below comes from memory until a test writes on purpose
  stack = await startStack({ env: { TOLLGATE_REFUSAL_FLUSH_SECONDS: '3600' } });
});
afterAll(() => stack.close());

async function usage(key: string): Promise<Usage> {
  const res = await fetch(`${stack.gw.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Usage;
}

const sql = (query: string) => stack.gw.deps.database!.sqlite.query(query).all() as Record<string, unknown>[];
const flash = (extra: Record<string, unknown> = {}) => ({ model: 'deepseek-v4-flash', messages: user('hello'), ...extra });

async function status(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

describe('refused requests', () => {
  it('are counted once each, against the key refused and for the reason it was', async () => {
    const exec = (query: string) => {
      stack.gw.deps.database!.sqlite.exec(query);
      stack.gw.deps.metering.dropKeyCache();
    };
    const cases: { reason: string; status: number; key: string; send(key: string): Promise<Response> }[] = [];
    const add = (reason: string, expected: number, key: string, send: (key: string) => Promise<Response>) => cases.push({ reason, status: expected, key, send });

    const spent = await stack.key({ budget: '0.001' });
    exec(`UPDATE api_keys SET spent_nano = budget_nano WHERE id = '${keyRow(stack, spent).id}'`);
    add('budget_exhausted', 402, spent, (k) => chat(stack, k, flash()));
    add('budget_too_low', 402, await stack.key({ budget: '0.00002' }), (k) => chat(stack, k, flash({ messages: user('x'.repeat(40)) })));
    const expired = await stack.key();
    exec(`UPDATE api_keys SET expires_at = 1000 WHERE id = '${keyRow(stack, expired).id}'`);
    add('key_expired', 402, expired, (k) => chat(stack, k, flash()));
    add('model_not_allowed', 403, await stack.key({ planId: 'starter' }), (k) => chat(stack, k, { model: 'deepseek-v4-pro', messages: user('hi') }));
    add('model_not_found', 404, await stack.key(), (k) => chat(stack, k, { model: 'gpt-4o', messages: user('hi') }));
    // the schema (refused by Elysia before the relay), and a protocol's own limit (FIM's max_tokens)
    add('bad_request', 400, await stack.key(), (k) => chat(stack, k, { model: 'deepseek-v4-flash', messages: 'hello' }));
    add('bad_request', 400, await stack.key(), (k) =>
      fetch(`${stack.gw.url}/beta/completions`, { method: 'POST', headers: bearer(k), body: JSON.stringify({ model: 'deepseek-v4-flash', prompt: 'def f(', max_tokens: 5000 }) }),
    );
    add('bad_request', 400, await stack.key(), (k) => fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: bearer(k), body: '{"model": ' }));

    const untouched = await stack.key();
    for (const c of cases) expect({ reason: c.reason, status: await status(await c.send(c.key)) }).toEqual({ reason: c.reason, status: c.status });

    for (const c of cases) expect({ reason: c.reason, refused: (await usage(c.key)).refused }).toEqual({ reason: c.reason, refused: { total: 1, by_reason: { [c.reason]: 1 } } });
    expect((await usage(untouched)).refused).toEqual({ total: 0, by_reason: {} });
    // none of them is money: no ledger row for any
    for (const c of cases) expect(ledgerRows(stack, `key_id = '${keyRow(stack, c.key).id}'`)).toHaveLength(0);
  });

  it('counts the rate limit and the concurrency limit apart, and a request that passes not at all', async () => {
    const limited = await stack.key({ rpmOverride: 1 });
    expect(await status(await chat(stack, limited, flash()))).toBe(200);
    expect(await status(await chat(stack, limited, flash()))).toBe(429);
    expect((await usage(limited)).refused).toEqual({ total: 1, by_reason: { rate_limited: 1 } });

    const single = await stack.key({ concurrencyOverride: 1 });
    await stack.control('next', { stall_ms: 1500 });
    const first = chat(stack, single, flash());
    // the stalled request holds the only slot until DeepSeek answers it
    for (let i = 0; i < 100 && stack.gw.deps.proxy.openRelays === 0; i++) await Bun.sleep(10);
    expect(await status(await chat(stack, single, flash()))).toBe(429);
    expect(await status(await first)).toBe(200);
    expect(await usage(single)).toMatchObject({ requests: 1, refused: { total: 1, by_reason: { concurrency_limited: 1 } } });
  });

  it("counts DeepSeek's own refusal of a request, which also keeps its ledger row at no cost", async () => {
    const key = await stack.key();
    await stack.control('next', { status: 400 });
    expect(await status(await chat(stack, key, flash()))).toBe(400);
    expect((await usage(key)).refused).toEqual({ total: 1, by_reason: { upstream_rejected: 1 } });
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows.map((r) => [r.http_status, r.cost_nano])).toEqual([[400, 0]]);
  });

  it('counts nothing for an unknown or a missing key', async () => {
    const before = stack.gw.deps.metering.refusals.unwrittenCount();
    const unknown = `sk-gateway-${'Q'.repeat(40)}`;
    for (const body of [flash(), { model: 'gpt-4o', messages: user('hi') }, { model: 'deepseek-v4-flash', messages: 'x' }]) {
      expect(await status(await chat(stack, unknown, body))).toBe(401);
      expect(await status(await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))).toBe(401);
    }
    expect(stack.gw.deps.metering.refusals.unwrittenCount()).toBe(before);
  });

  it('writes nothing to the database on the way: the counts wait in memory for the batched write', async () => {
    const key = await stack.key({ planId: 'starter' });
    const id = keyRow(stack, key).id;
    // the key's row is cached now; from here on a refused request touches no table
    expect(await status(await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('hi') }))).toBe(403);
    const changes = () => (sql('SELECT total_changes() AS n')[0] as { n: number }).n;
    const before = changes();
    const refused = await Promise.all(Array.from({ length: 100 }, () => chat(stack, key, { model: 'deepseek-v4-pro', messages: user('hi') }).then(status)));
    expect(new Set(refused)).toEqual(new Set([403]));
    expect(changes()).toBe(before);
    expect(sql(`SELECT * FROM refusals WHERE key_id = '${id}'`)).toEqual([]);
    // yet the buyer sees them at once
    expect((await usage(key)).refused).toEqual({ total: 101, by_reason: { model_not_allowed: 101 } });

    // the write: one row for the key, the day and the reason, however many refusals
    await stack.gw.deps.metering.refusals.flush();
    const today = new Date().toISOString().slice(0, 10);
    expect(sql(`SELECT key_id, date, reason, count FROM refusals WHERE key_id = '${id}'`)).toEqual([{ key_id: id, date: today, reason: 'model_not_allowed', count: 101 }]);
    // and nothing is counted twice once written
    expect((await usage(key)).refused.total).toBe(101);
  });

  it('shows them per day in /api/usage/daily, a day with only refusals included', async () => {
    const key = await stack.key({ planId: 'starter' });
    for (let i = 0; i < 2; i++) await status(await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('hi') }));
    await status(await chat(stack, key, { model: 'no-such-model', messages: user('hi') }));
    const res = await fetch(`${stack.gw.url}/api/usage/daily?days=7`, { headers: { authorization: `Bearer ${key}` } });
    const days = ((await res.json()) as { data: { date: string; requests: number; cost_usd: string; refused: Refused }[] }).data;
    expect(days).toEqual([
      {
        date: new Date().toISOString().slice(0, 10),
        requests: 0,
        cost_usd: '0.000000000',
        tokens: { cache_hit: 0, cache_miss: 0, output: 0, reasoning: 0 },
        refused: { total: 3, by_reason: { model_not_allowed: 2, model_not_found: 1 } },
      } as never,
    ]);
  });
});

describe('refusal counts across a restart', () => {
  let dataDir: string;
  let sim: ReturnType<typeof startDeepSeekSimulator>;
  beforeAll(() => {
    dataDir = tempDir('tollgate-refusals-');
    sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', keys: ['sk-upstream-test-0001'] });
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = () =>
    startTestGateway({ dataDir, env: { DEEPSEEK_API_KEY: 'sk-upstream-test-0001', DEEPSEEK_BASE_URL: sim.url, TOLLGATE_REFUSAL_FLUSH_SECONDS: '3600' } });

  it('keeps what was counted in memory through a graceful stop', async () => {
    let gw: TestGateway = await start();
    const key = (await gw.deps.metering.createKey({ planId: 'starter', rpmOverride: 0, concurrencyOverride: 0 })).key;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-pro', messages: user('hi') }) });
      expect(await status(res)).toBe(403);
    }
    expect(gw.deps.metering.refusals.unwrittenCount()).toBe(3);
    await gw.stop();
    gw = await start();
    try {
      const res = await fetch(`${gw.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } });
      expect(((await res.json()) as Usage).refused).toEqual({ total: 3, by_reason: { model_not_allowed: 3 } });
      expect(gw.deps.metering.refusals.unwrittenCount()).toBe(0);
    } finally {
      await gw.stop();
    }
  });
});
