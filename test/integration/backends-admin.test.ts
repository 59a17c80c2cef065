import { afterAll, beforeAll, expect, it } from 'bun:test';
import { formatUsd, parseUsd } from '../../server/lib/money';
import type { SettleRow } from '../../server/modules/metering/store';
import { adminClient, type AdminClient } from '../helpers/admin';
import { eachBackend } from '../helpers/backends';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

// The console's reads on both backends, through /admin/api on a gateway with the DeepSeek and
// PayPal simulators: the keys list (case-insensitive search, filters, pages and totals), the
// ledger (filters, a date range to the millisecond, pages, the CSV export), the overview's money
// (earned, margin, owed) and its series per UTC day, refusals, and the audit log by action.

type J = Record<string, any>;
const DAY = 86_400_000;
// two rows either side of a UTC midnight, and one on a later day
const LATE = Date.parse('2026-01-05T23:59:59.999Z');
const MIDNIGHT = Date.parse('2026-01-06T00:00:00.000Z');
const LATER = Date.parse('2026-01-09T12:00:00.000Z');

const chat = (s: CheckoutStack, key: string, model: string, content: string) =>
  fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

function oldRow(keyId: string, n: number, startedAt: number, model = 'deepseek-v4-flash', httpStatus = 200): SettleRow {
  return {
    requestId: `req_hist_${keyId}_${n}`,
    keyId,
    publicModel: model,
    upstreamModel: model === 'deepseek-v4-pro' ? 'deepseek-v4-pro' : 'deepseek-flash',
    period: n % 2 === 0 ? 'peak' : 'off_peak',
    cacheHitTokens: 10 + n,
    cacheMissTokens: 20 + n,
    outputTokens: 30 + n,
    reasoningTokens: n,
    cacheHitPriceNano: 6,
    cacheMissPriceNano: 300,
    outputPriceNano: 1200,
    costNano: 100_000 + n,
    basis: 'upstream',
    httpStatus,
    stream: n % 3 === 0,
    durationMs: 10,
    startedAt,
    finishedAt: startedAt + 10,
    holdNano: 0,
    floorNano: 0,
  };
}

eachBackend('admin reads', (b) => {
  let s: CheckoutStack;
  let admin: AdminClient;
  const keys: Record<string, { key: string; id: string }> = {};

  beforeAll(async () => {
    // on PostgreSQL a database whose text sorts as under en_US, not by bytes: the answers must not depend on it
    s = await startCheckoutStack({ deepseek: true, env: await b.env({ icuLocale: 'en-US' }), query: b.query });
    admin = adminClient(s.url, s.gw.admin.token);
    // a bought key (its order is what the overview's earned figure weighs its spend by)
    const created = await s.checkout('starter', 'Buyer.One@Example.COM');
    expect((await s.pay(created)).status).toBe(303);
    await s.quiesce();
    const view = (await s.viewOrder(created.order_id, created.view_token)).body;
    keys.bought = { key: view.key, id: ((await s.q('SELECT id FROM api_keys WHERE order_id = ?', created.order_id))[0] as J).id };
    // keys the operator made, in a known order
    for (const [name, body] of [
      ['ops', { plan_id: 'pro', budget_usd: '2', email: 'Ops.Person@Example.com', note: 'VIP customer' }],
      ['trial', { plan_id: 'trial', budget_usd: '0.5', email: 'trial_user@other.org' }],
      ['zed', { plan_id: 'pro', budget_usd: '3', email: 'ZED@OTHER.ORG' }],
      ['off', { plan_id: 'starter', budget_usd: '1', email: 'off@example.com' }],
    ] as const) {
      const res = await admin.post('/keys', { ...body, rpm: 0, concurrency: 0 });
      expect(res.status).toBe(200);
      keys[name] = { key: res.body.key, id: res.body.data.id };
      await Bun.sleep(2); // distinct created_at: the list's order is by creation
    }
    expect((await admin.patch(`/keys/${keys.off!.id}`, { status: 'disabled' })).status).toBe(200);
    // traffic today: flash on the bought key, pro on the ops key; refused: pro on trial, the disabled key
    for (let i = 0; i < 3; i++) expect(await chat(s, keys.bought!.key, 'deepseek-v4-flash', `hello ${i} #tokens=40`)).toBe(200);
    expect(await chat(s, keys.ops!.key, 'deepseek-v4-pro', 'hi #tokens=25')).toBe(200);
    expect(await chat(s, keys.trial!.key, 'deepseek-v4-pro', 'hi')).toBe(403);
    expect(await chat(s, keys.trial!.key, 'deepseek-v4-pro', 'hi again')).toBe(403);
    expect(await chat(s, keys.off!.key, 'deepseek-v4-flash', 'hi')).toBe(401);
    // history: either side of a UTC midnight and a later day, on the zed key
    const history = [
      oldRow(keys.zed!.id, 1, LATE),
      oldRow(keys.zed!.id, 2, LATE - 1000, 'deepseek-v4-pro', 500),
      oldRow(keys.zed!.id, 3, MIDNIGHT),
      oldRow(keys.zed!.id, 4, MIDNIGHT + 1),
      oldRow(keys.zed!.id, 5, LATER, 'deepseek-v4-pro'),
    ];
    await s.gw.deps.backend.stores.metering.settleMany(history);
  });
  afterAll(() => s?.close());

  const ledger = async () => (await s.q('SELECT * FROM ledger ORDER BY id')) as J[];
  const ids = (rows: J[]) => rows.map((r) => r.id);

  it('searches keys by email in any case, by hint, order and key id; filters by status and plan; pages with the total', async () => {
    const all = (await admin.get('/keys?limit=100')).body;
    expect(all.total).toBe(5);
    // newest first
    expect(ids(all.data)).toEqual([keys.off!.id, keys.zed!.id, keys.trial!.id, keys.ops!.id, keys.bought!.id]);

    for (const q of ['ops.person@example.com', 'OPS.PERSON', 'Person@EXAMPLE']) {
      const found = (await admin.get(`/keys?q=${encodeURIComponent(q)}`)).body;
      expect({ q, total: found.total, ids: ids(found.data) }).toEqual({ q, total: 1, ids: [keys.ops!.id] });
    }
    const other = (await admin.get('/keys?q=OTHER.org')).body;
    expect(other.total).toBe(2);
    expect(ids(other.data)).toEqual([keys.zed!.id, keys.trial!.id]);
    expect((await admin.get(`/keys?q=${keys.ops!.id.toUpperCase()}`)).body.total).toBe(1);
    const hint = (await admin.get(`/keys?q=${keys.zed!.id}`)).body.data[0].key_hint as string;
    expect(ids((await admin.get(`/keys?q=${encodeURIComponent(hint.slice(-4))}`)).body.data)).toContain(keys.zed!.id);
    expect((await admin.get(`/keys?q=${encodeURIComponent(keys.trial!.key)}`)).body).toMatchObject({ total: 1, data: [{ id: keys.trial!.id }] });
    const [order] = await s.q('SELECT order_id FROM api_keys WHERE id = ?', keys.bought!.id);
    expect(ids((await admin.get(`/keys?q=${order!.order_id.toLowerCase()}`)).body.data)).toEqual([keys.bought!.id]);
    // LIKE's own wildcards are text, not patterns (alone, they are no filter)
    expect((await admin.get('/keys?q=%25')).body.total).toBe(5);
    expect(ids((await admin.get('/keys?q=L_U')).body.data)).toEqual([keys.trial!.id]);
    expect((await admin.get('/keys?q=lXu')).body.total).toBe(0);

    expect(ids((await admin.get('/keys?status=disabled')).body.data)).toEqual([keys.off!.id]);
    const pro = (await admin.get('/keys?plan_id=pro')).body;
    expect({ total: pro.total, ids: ids(pro.data) }).toEqual({ total: 2, ids: [keys.zed!.id, keys.ops!.id] });
    expect((await admin.get('/keys?plan_id=pro&status=disabled')).body).toEqual({ data: [], total: 0 });
    const page = (await admin.get('/keys?limit=2&offset=2')).body;
    expect({ total: page.total, ids: ids(page.data) }).toEqual({ total: 5, ids: [keys.trial!.id, keys.ops!.id] });
    expect((await admin.get('/keys?limit=2&offset=10')).body).toEqual({ data: [], total: 5 });
    const ops = (await admin.get(`/keys/${keys.ops!.id}`)).body;
    expect(ops).toMatchObject({ email: 'ops.person@example.com', note: 'VIP customer', plan_id: 'pro', budget_usd: '2.000000000', status: 'active' });
    expect(ops.spent_usd).not.toBe('0.000000000');
  });

  it('lists the ledger newest first with filters by model, key, status and a date range to the millisecond, and pages it', async () => {
    const rows = await ledger();
    expect(rows).toHaveLength(9);
    const all = (await admin.get('/ledger?limit=100')).body;
    expect(all.total).toBe(9);
    expect(ids(all.data)).toEqual(ids(rows).reverse());
    const pro = (await admin.get('/ledger?model=deepseek-v4-pro')).body;
    expect(pro.total).toBe(3);
    expect(pro.data.every((r: J) => r.model === 'deepseek-v4-pro')).toBe(true);
    expect((await admin.get(`/ledger?key_id=${keys.bought!.id}`)).body.total).toBe(3);
    expect((await admin.get(`/ledger?key_id=${keys.zed!.id}&model=deepseek-v4-pro`)).body.total).toBe(2);
    expect(ids((await admin.get('/ledger?status=error')).body.data)).toEqual(ids(rows.filter((r) => r.http_status >= 400)).reverse());
    expect((await admin.get('/ledger?status=500')).body.total).toBe(1);
    expect((await admin.get('/ledger?status=ok')).body.total).toBe(8);
    // from and to are inclusive, to the millisecond
    const day = (await admin.get(`/ledger?from=${new Date(LATE).toISOString()}&to=${new Date(MIDNIGHT).toISOString()}`)).body;
    expect(day.data.map((r: J) => r.started_at)).toEqual([new Date(MIDNIGHT).toISOString(), new Date(LATE).toISOString()]);
    expect((await admin.get(`/ledger?from=${new Date(MIDNIGHT + 2).toISOString()}&to=${new Date(LATER).toISOString()}`)).body.total).toBe(1);
    const page = (await admin.get('/ledger?limit=3&offset=3')).body;
    expect({ total: page.total, ids: ids(page.data) }).toEqual({ total: 9, ids: ids(rows).reverse().slice(3, 6) });
    // the row as it was written
    const oldest = all.data.find((r: J) => r.request_id === `req_hist_${keys.zed!.id}_3`);
    expect(oldest).toMatchObject({
      key_id: keys.zed!.id,
      model: 'deepseek-v4-flash',
      period: 'off_peak',
      stream: true,
      status: 200,
      prompt_cache_hit_tokens: 13,
      prompt_cache_miss_tokens: 23,
      completion_tokens: 33,
      reasoning_tokens: 3,
      cost_usd: '0.000100003',
      basis: 'upstream',
      started_at: new Date(MIDNIGHT).toISOString(),
      protocol: 'chat',
    });
    expect(all.data.find((r: J) => r.request_id === `req_hist_${keys.zed!.id}_1`).stream).toBe(false);
  });

  it('exports the matching ledger rows as CSV, newest first', async () => {
    const res = await fetch(`${s.url}/admin/api/ledger.csv?key_id=${keys.zed!.id}`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/csv');
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toStartWith('id,request_id,key_id,model,');
    const zed = (await ledger()).filter((r) => r.key_id === keys.zed!.id).reverse();
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(ids(zed));
    const midnight = lines.find((l) => l.includes(`req_hist_${keys.zed!.id}_3`))!.split(',');
    expect(midnight.slice(3, 17)).toEqual(['deepseek-v4-flash', 'deepseek-flash', 'off_peak', 'true', '200', '', '13', '23', '33', '3', '0.000100003', 'upstream', new Date(MIDNIGHT).toISOString(), '10']);
    const filtered = await (await fetch(`${s.url}/admin/api/ledger.csv?model=deepseek-v4-pro&from=${new Date(LATE - 1000).toISOString()}&to=${new Date(LATE).toISOString()}`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } })).text();
    expect(filtered.trimEnd().split('\r\n')).toHaveLength(2);
  });

  it('shows the overview: revenue, earned, margin and owed as the rows say, spend and revenue grouped by UTC day', async () => {
    const now = Date.now();
    const overview = (await admin.get('/overview?days=3660')).body as J;
    const rows = await ledger();
    const spentBy = (id: string) => rows.filter((r) => r.key_id === id).reduce((n, r) => n + r.cost_nano, 0);
    const spend = rows.reduce((n, r) => n + r.cost_nano, 0);
    expect(overview.revenue_usd).toBe('5.000000000');
    expect(overview.paid_orders).toBe(1);
    const today = new Date(now).toISOString().slice(0, 10);
    expect(overview.revenue_by_day).toEqual([{ date: today, revenue_usd: '5.000000000', orders: 1 }]);
    expect(overview.buyer_spend_usd).toBe(formatUsd(spend));
    // only the bought key earns: its spend at $5 paid per $4.25 of budget
    const earned = Math.floor((spentBy(keys.bought!.id) * 5_000_000_000) / 4_250_000_000);
    expect(earned).toBeGreaterThan(0);
    expect(overview.earned_usd).toBe(formatUsd(earned));
    // the history was priced apart from DeepSeek's list; today's rows at the default book (DeepSeek's own) cost what buyers paid
    expect(parseUsd(overview.upstream_cost_usd)).toBeGreaterThan(0);
    expect(overview.margin_usd).toBe(formatUsd(earned - parseUsd(overview.upstream_cost_usd)));
    const keyRows = (await s.q('SELECT * FROM api_keys')) as J[];
    const owing = keyRows.filter((k) => k.status === 'active' && (k.expires_at === null || k.expires_at > now) && k.budget_nano > k.spent_nano);
    expect(owing.map((k) => k.id).sort()).toEqual([keys.bought!.id, keys.ops!.id, keys.trial!.id, keys.zed!.id].sort());
    expect(overview.owed_usd).toBe(formatUsd(owing.reduce((n, k) => n + k.budget_nano - k.spent_nano, 0)));
    expect(overview.owed_keys).toBe(4);
    expect(overview.active_keys).toBe(4);
    expect(overview.orders_by_status).toEqual({ paid: 1 });

    const byDay = new Map<string, { spend: number; requests: number }>();
    for (const r of rows) {
      const date = new Date(r.started_at).toISOString().slice(0, 10);
      const d = byDay.get(date) ?? { spend: 0, requests: 0 };
      byDay.set(date, { spend: d.spend + r.cost_nano, requests: d.requests + 1 });
    }
    const expected = [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([date, d]) => ({ date, spend_usd: formatUsd(d.spend), requests: d.requests }));
    expect(expected.slice(0, 3)).toEqual([
      { date: '2026-01-05', spend_usd: formatUsd(200_003), requests: 2 },
      { date: '2026-01-06', spend_usd: formatUsd(200_007), requests: 2 },
      { date: '2026-01-09', spend_usd: formatUsd(100_005), requests: 1 },
    ]);
    expect(overview.spend_by_day).toEqual(expected);
    expect(overview.requests_today).toBe(4);
    expect(overview.refused_today).toEqual({ total: 2, by_reason: { model_not_allowed: 2 } });
    // a window of today only leaves the history out
    const recent = (await admin.get('/overview?days=1')).body as J;
    expect(recent.spend_by_day).toEqual(expected.filter((d) => d.date === today));
    const todaySpend = rows.filter((r) => r.started_at >= Math.floor(now / DAY) * DAY).reduce((n, r) => n + r.cost_nano, 0);
    expect(recent.buyer_spend_usd).toBe(formatUsd(todaySpend));
    expect(recent.upstream_cost_usd).toBe(formatUsd(todaySpend));
    expect(recent.earned_usd).toBe(overview.earned_usd);
  });

  it('lists refusals per key, day and reason, filterable by key and date', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const all = (await admin.get('/refusals')).body as J;
    expect(all.refused).toEqual({ total: 2, by_reason: { model_not_allowed: 2 } });
    expect(all.data).toEqual([{ key_id: keys.trial!.id, key_hint: expect.stringMatching(/^sk-gateway-/), date: today, reason: 'model_not_allowed', count: 2 }]);
    expect((await admin.get(`/refusals?key_id=${keys.ops!.id}`)).body).toEqual({ data: [], refused: { total: 0, by_reason: {} } });
    expect((await admin.get(`/refusals?from=${today}&to=${today}`)).body.data).toHaveLength(1);
    expect((await admin.get('/refusals?to=2026-01-01')).body.data).toEqual([]);
    expect((await admin.get(`/keys/${keys.trial!.id}/refusals`)).body).toEqual({
      refused: { total: 2, by_reason: { model_not_allowed: 2 } },
      by_day: [{ date: today, refused: { total: 2, by_reason: { model_not_allowed: 2 } } }],
    });
  });

  it('lists the audit log newest first, by action and target, with the actions it holds', async () => {
    const all = (await admin.get('/audit?limit=100')).body as J;
    const creates = (await admin.get('/audit?action=key.create')).body as J;
    expect(creates.total).toBe(4);
    expect(creates.data.map((r: J) => r.target)).toEqual([keys.off!.id, keys.zed!.id, keys.trial!.id, keys.ops!.id]);
    expect(creates.data[0]).toMatchObject({ actor: 'admin', action: 'key.create', ip: '127.0.0.1', before: null, after: { email: 'off@example.com', budget_usd: '1.000000000' } });
    expect(creates.actions).toEqual([...new Set(all.data.map((r: J) => r.action as string))].sort());
    expect(creates.actions).toContain('key.update');
    const update = (await admin.get(`/audit?action=key.update&target=${keys.off!.id}`)).body as J;
    expect(update.total).toBe(1);
    expect(update.data[0].before).toMatchObject({ status: 'active' });
    expect(update.data[0].after).toMatchObject({ status: 'disabled' });
    const page = (await admin.get('/audit?action=key.create&limit=1&offset=3')).body as J;
    expect({ total: page.total, targets: page.data.map((r: J) => r.target) }).toEqual({ total: 4, targets: [keys.ops!.id] });
    expect(all.data.map((r: J) => r.id)).toEqual([...all.data.map((r: J) => r.id)].sort((a: number, b: number) => b - a));
    expect(typeof all.data[0].id).toBe('number');
  });

  it('orders ties by id in byte order whatever the database’s collation: the keys list and the refusals', async () => {
    // three keys made in the same millisecond, long ago, with ids that sort differently by bytes and by locale
    const tied = ['key_aaaaaaaaaaaaaaaa', 'key_Bbbbbbbbbbbbbbbb', 'key_cccccccccccccccc'];
    for (const [i, id] of tied.entries()) {
      await s.q(
        `INSERT INTO api_keys (id, key_hash, key_encrypted, key_hint, plan_id, budget_nano, upstream_user_id, created_at) VALUES (?, ?, 'x', 'sk-gateway-…', 'pro', 1000, ?, 1000)`,
        id,
        `hash-${i}`,
        `user-${i}`,
      );
    }
    const byBytes = [...tied].sort().reverse();
    expect(byBytes).toEqual(['key_cccccccccccccccc', 'key_aaaaaaaaaaaaaaaa', 'key_Bbbbbbbbbbbbbbbb']);
    const oldest = (await admin.get('/keys?offset=5&limit=10')).body;
    expect({ total: oldest.total, ids: ids(oldest.data) }).toEqual({ total: 8, ids: byBytes });
    expect(ids((await admin.get('/keys?offset=6&limit=1')).body.data)).toEqual([byBytes[1]]);
    // and the list `tollgate keys list` prints
    expect((await s.gw.deps.metering.listKeys({ limit: 10_000 })).slice(-3).map((k) => k.id)).toEqual(byBytes);
    await s.gw.deps.backend.stores.refusals.add(tied.map((keyId) => ({ keyId, date: '2026-01-02', reason: 'rate_limited' as const, count: 3 })));
    const refused = (await admin.get('/refusals?to=2026-01-02')).body;
    expect(refused.data.map((r: J) => r.key_id)).toEqual([...tied].sort());
  });

  it('edits, tops up and rotates a key in single statements, seen at once by the buyer', async () => {
    const { key, id } = keys.zed!;
    const usage = async (secret: string) => {
      const res = await fetch(`${s.url}/api/usage`, { headers: { authorization: `Bearer ${secret}` } });
      return { status: res.status, body: (await res.json()) as J };
    };
    const spent = (await usage(key)).body.spent_usd as string;
    expect(parseUsd(spent)).toBeGreaterThan(0);
    const edited = await admin.patch(`/keys/${id}`, { budget_usd: '5', note: 'Edited', rpm: 7, concurrency: 3, show_reasoning: true, expires_at: '2030-01-01T00:00:00.000Z' });
    expect(edited.body).toMatchObject({ budget_usd: '5.000000000', note: 'Edited', rpm: 7, status: 'active', expires_at: '2030-01-01T00:00:00.000Z' });
    expect((await usage(key)).body).toMatchObject({ budget_usd: '5.000000000', rpm: 7, max_concurrency: 3, show_reasoning: true, expires_at: '2030-01-01T00:00:00.000Z' });
    // below what is spent: refused, nothing changed
    expect((await admin.patch(`/keys/${id}`, { budget_usd: '0.0000001' })).status).toBe(400);
    const topups = await Promise.all(['1', '2', '0.5'].map((amount_usd) => admin.post(`/keys/${id}/topup`, { amount_usd })));
    expect(topups.map((t) => t.status)).toEqual([200, 200, 200]);
    expect((await usage(key)).body.budget_usd).toBe('8.500000000');
    expect(await s.q('SELECT budget_nano, show_reasoning, rpm_override FROM api_keys WHERE id = ?', id)).toEqual([{ budget_nano: 8_500_000_000, show_reasoning: 1, rpm_override: 7 }]);
    const rotated = await admin.post(`/keys/${id}/rotate`);
    expect(rotated.status).toBe(200);
    expect((await usage(key)).status).toBe(401);
    expect((await usage(rotated.body.key)).body).toMatchObject({ budget_usd: '8.500000000', spent_usd: spent });
    expect((await admin.get(`/keys?q=${encodeURIComponent(rotated.body.key)}`)).body).toMatchObject({ total: 1, data: [{ id }] });
    const actions = (await admin.get(`/audit?target=${id}`)).body.data.map((r: J) => r.action);
    expect(actions).toEqual(['key.rotate', 'key.topup', 'key.topup', 'key.topup', 'key.update', 'key.create']);
  });

  it('serves more console writes at once than the database pool has connections, each with its audit row', async () => {
    const before = (await admin.get('/keys?limit=1')).body.total as number;
    const made = await Promise.all(Array.from({ length: 30 }, (_, i) => admin.post('/keys', { plan_id: 'trial', budget_usd: '1', email: `many${i}@example.com` })));
    expect(made.map((r) => r.status)).toEqual(made.map(() => 200));
    const topped = await Promise.all(made.flatMap((r) => [admin.post(`/keys/${r.body.data.id}/topup`, { amount_usd: '0.5' }), admin.patch(`/keys/${r.body.data.id}`, { note: 'busy' })]));
    expect(topped.every((r) => r.status === 200)).toBe(true);
    expect((await admin.get('/keys?limit=1')).body.total).toBe(before + 30);
    expect((await admin.get('/keys?q=many&limit=100')).body.data.map((k: J) => [k.budget_usd, k.note])).toEqual(made.map(() => ['1.500000000', 'busy']));
    expect((await admin.get('/audit?action=key.topup&limit=1')).body.total).toBe(33);
  });
});
