import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { adminClient, auditRows, type AdminClient } from '../helpers/admin';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';
import { upstreamIdFor } from '../../server/modules/proxy/upstream-pool';

type J = Record<string, any>;

const ENV_KEY = 'sk-upstream-env-aaaa-1111';
const ADDED_KEY = 'sk-upstream-added-bbbb-2222';

describe('admin: upstreams', () => {
  let stack: Stack;
  let admin: AdminClient;
  beforeAll(async () => {
    stack = await startStack({ upstreamKeys: [ENV_KEY], simKeys: [ENV_KEY, ADDED_KEY] });
    admin = adminClient(stack.gw.url, stack.gw.admin.token);
  });
  afterAll(() => stack.close());

  const sqlite = () => stack.gw.deps.database!.sqlite;
  const addedId = upstreamIdFor(ADDED_KEY);

  it('lists the env key without showing it', async () => {
    const res = await admin.get('/upstreams');
    expect(res.body.low_balance_warning_usd).toBe('5.000000000');
    expect(res.body.data).toEqual([expect.objectContaining({ id: upstreamIdFor(ENV_KEY), source: 'env', state: 'active', key_hint: 'sk-…1111', balance: null, in_flight: 0 })]);
    expect(JSON.stringify(res.body)).not.toContain(ENV_KEY);
  });

  it('adds a key: stored encrypted, in rotation at once, a request succeeds through it', async () => {
    await stack.control('balance', { key: ENV_KEY, available: false }); // the env key will be refused
    const res = await admin.post('/upstreams', { key: ADDED_KEY, label: 'second account' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: addedId, source: 'admin', state: 'active', label: 'second account', key_hint: 'sk-…2222' });
    const stored = sqlite().query('SELECT * FROM upstream_keys').all() as J[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.key_encrypted).not.toContain(ADDED_KEY);
    expect(stack.gw.deps.sealer.open(stored[0]!.key_encrypted)).toBe(ADDED_KEY);

    const key = await stack.key();
    for (let i = 0; i < 3; i++) expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user(`via added ${i} #tokens=2`) })).status).toBe(200);
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows.map((r) => r.upstream_key_id)).toEqual([addedId, addedId, addedId]);
    expect(auditRows(sqlite(), 'upstream.add')[0]).toMatchObject({ target: addedId, before: null, after: { state: 'active' } });
    // the same key twice: 409
    expect((await admin.post('/upstreams', { key: ADDED_KEY })).status).toBe(409);
    expect((await admin.post('/upstreams', { key: 'short' })).status).toBe(400);
  });

  it('flags an out-of-balance key low on the check and logs a warning', async () => {
    const env = await admin.post(`/upstreams/${upstreamIdFor(ENV_KEY)}/check`);
    expect(env.status).toBe(200);
    expect(env.body.balance).toMatchObject({ currency: 'USD', total: '0.00', low: true });
    const added = await admin.post(`/upstreams/${addedId}/check`);
    expect(added.body.balance).toMatchObject({ total: '100.00', low: false });
    expect(stack.gw.logLines.some((l) => l.includes('upstream balance is low') && l.includes(upstreamIdFor(ENV_KEY)))).toBe(true);
    const row = sqlite().query('SELECT balance_text, balance_checked_at FROM upstream_keys').get() as J;
    expect(JSON.parse(row.balance_text)).toMatchObject({ total: '100.00', low: false });
    expect(row.balance_checked_at).toBeGreaterThan(0);
    // raising the threshold above 100 USD flags the healthy key too
    await admin.patch('/settings', { low_balance_warning_usd: '150' });
    expect((await admin.post(`/upstreams/${addedId}/check`)).body.balance.low).toBe(true);
    await admin.patch('/settings', { low_balance_warning_usd: '5' });
    expect((await admin.post('/upstreams/up_nope/check')).status).toBe(404);
  });

  it('removes an admin key (requests then fail: no key left) and restores it; env keys cannot be removed', async () => {
    const key = await stack.key();
    const removed = await admin.del(`/upstreams/${addedId}`);
    expect(removed.body).toEqual({ removed: true });
    expect((sqlite().query('SELECT status FROM upstream_keys').get() as J).status).toBe('removed');
    expect((await admin.get('/upstreams')).body.data.find((u: J) => u.id === addedId).state).toBe('removed');
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('none') })).status).toBe(503);
    const restored = await admin.post(`/upstreams/${addedId}/restore`);
    expect(restored.body.state).toBe('active');
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('back #tokens=2') })).status).toBe(200);
    const env = await admin.del(`/upstreams/${upstreamIdFor(ENV_KEY)}`);
    expect(env.status).toBe(409);
    expect(stack.gw.deps.pool.get(upstreamIdFor(ENV_KEY))).toBeDefined();
    expect(auditRows(sqlite(), 'upstream.remove')[0]).toMatchObject({ before: { state: 'active' }, after: { state: 'removed' } });
  });

  it('brings admin keys back after a restart, decrypted, in the state they were left', async () => {
    const { createUpstreamPool } = await import('../../server/modules/proxy/upstream-pool');
    const pool = createUpstreamPool({ envKeys: [], log: stack.gw.deps.log, store: stack.gw.deps.backend.stores.upstreams, sealer: stack.gw.deps.sealer });
    await pool.load();
    expect(pool.list().map((u) => [u.id, u.key, u.source, u.state])).toEqual([[addedId, ADDED_KEY, 'admin', 'active']]);
  });
});

describe('admin: ledger, overview, settings and the audit log', () => {
  let stack: Stack;
  let admin: AdminClient;
  let keyA: string;
  let keyB: string;
  beforeAll(async () => {
    stack = await startStack();
    admin = adminClient(stack.gw.url, stack.gw.admin.token);
    keyA = await stack.key();
    keyB = await stack.key();
    for (let i = 0; i < 3; i++) await chat(stack, keyA, { model: 'deepseek-v4-flash', messages: user(`a ${i} #tokens=3`) });
    await chat(stack, keyB, { model: 'deepseek-v4-pro', messages: user('b #tokens=3') });
    await stack.control('next', { status: 400, times: 1 });
    await chat(stack, keyB, { model: 'deepseek-v4-flash', messages: user('rejected') });
  });
  afterAll(() => stack.close());

  it('filters the ledger by key, model and status, newest first', async () => {
    const idA = keyRow(stack, keyA).id;
    const byKey = await admin.get(`/ledger?key_id=${idA}`);
    expect(byKey.body.total).toBe(3);
    expect(byKey.body.data.every((r: J) => r.key_id === idA)).toBe(true);
    expect(byKey.body.data[0].id).toBeGreaterThan(byKey.body.data[2].id);
    expect((await admin.get('/ledger?model=deepseek-v4-pro')).body.total).toBe(1);
    const errors = await admin.get('/ledger?status=error');
    expect(errors.body.data.every((r: J) => r.status >= 400)).toBe(true);
    expect(errors.body.total).toBe(ledgerRows(stack, 'http_status >= 400').length);
    const paged = await admin.get('/ledger?limit=2&offset=1');
    expect(paged.body.data).toHaveLength(2);
    expect(paged.body.total).toBe(ledgerRows(stack).length);
    expect((await admin.get('/ledger?from=2999-01-01T00:00:00Z')).body.total).toBe(0);
    expect((await admin.get('/ledger?from=yesterday')).status).toBe(400);
    expect((await admin.get('/ledger?status=bad')).status).toBe(400);
  });

  it('exports the ledger as streamed CSV: a header and every matching row', async () => {
    const res = await fetch(`${stack.gw.url}/admin/api/ledger.csv?model=deepseek-v4-flash`, { headers: { authorization: `Bearer ${stack.gw.admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/csv');
    expect(res.headers.get('content-length')).toBeNull(); // streamed, not one string
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,request_id,key_id,model,upstream_model,period,stream,status,finish_reason,prompt_cache_hit_tokens,prompt_cache_miss_tokens,completion_tokens,reasoning_tokens,cost_usd,basis,started_at,duration_ms,protocol,web_search_calls,read_url_calls,file_parse_calls,server_tool_cost_usd');
    const expected = ledgerRows(stack, "public_model = 'deepseek-v4-flash'");
    expect(lines).toHaveLength(expected.length + 1);
    expect(lines.slice(1).every((l) => l.split(',')[3] === 'deepseek-v4-flash')).toBe(true);
    expect(lines[1]!.split(',')[0]).toBe(String(expected.at(-1)!.id));
  });

  it('pages through a ledger larger than one page', async () => {
    const sqlite = stack.gw.deps.database!.sqlite;
    const keyId = keyRow(stack, keyA).id;
    const insert = sqlite.prepare(
      `INSERT INTO ledger (request_id, key_id, public_model, upstream_model, period, cache_hit_tokens, cache_miss_tokens, output_tokens, reasoning_tokens,
        cache_hit_price_nano, cache_miss_price_nano, output_price_nano, cost_nano, basis, http_status, stream, duration_ms, started_at, finished_at)
       VALUES (?, ?, 'bulk-model', 'x', 'peak', 0, 0, 0, 0, 0, 0, 0, 0, 'upstream', 200, 0, 1, 1000, 1000)`,
    );
    sqlite.transaction(() => {
      for (let i = 0; i < 1234; i++) insert.run(`bulk-${i}`, keyId);
    })();
    const res = await fetch(`${stack.gw.url}/admin/api/ledger.csv?model=bulk-model`, { headers: { authorization: `Bearer ${stack.gw.admin.token}` } });
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines).toHaveLength(1235);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[1])).size).toBe(1234);
    sqlite.run("DELETE FROM ledger WHERE public_model = 'bulk-model'");
  });

  it('reports the overview from the ledger and keys', async () => {
    const res = await admin.get('/overview');
    expect(res.status).toBe(200);
    const rows = ledgerRows(stack);
    expect(res.body.requests_today).toBe(rows.length);
    expect(res.body.errors_today).toBe(rows.filter((r) => (r.http_status as number) >= 400).length);
    expect(res.body.errors_today).toBeGreaterThanOrEqual(1);
    expect(res.body.error_rate_today).toBeCloseTo(res.body.errors_today / res.body.requests_today, 6);
    const spend = rows.reduce((sum, r) => sum + (r.cost_nano as number), 0);
    expect(res.body.buyer_spend_usd).toBe((spend / 1e9).toFixed(9));
    // default prices are DeepSeek's: upstream cost equals buyer spend, margin = revenue (none) − cost
    expect(res.body.upstream_cost_usd).toBe(res.body.buyer_spend_usd);
    expect(res.body.margin_usd).toBe(`-${res.body.upstream_cost_usd}`);
    expect(res.body.active_keys).toBe(2);
    expect(res.body.revenue_usd).toBe('0.000000000');
    expect(res.body.spend_by_day.at(-1)).toMatchObject({ date: new Date().toISOString().slice(0, 10), requests: rows.length });
    expect(['peak', 'off_peak']).toContain(res.body.current_period);
  });

  it('edits site settings, visible at GET /api/site; public_url is read-only', async () => {
    const res = await admin.patch('/settings', { site_name: 'Moon Gate', support_contact: 'ops@moon.example', show_reasoning_default: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ site_name: 'Moon Gate', support_contact: 'ops@moon.example', show_reasoning_default: true, low_balance_warning_usd: '5.000000000' });
    const site = (await (await fetch(`${stack.gw.url}/api/site`)).json()) as J;
    expect(site).toMatchObject({ site_name: 'Moon Gate', support_contact: 'ops@moon.example' });
    const audit = auditRows(stack.gw.deps.database!.sqlite, 'settings.update')[0]!;
    expect([audit.before.site_name, audit.after.site_name]).toEqual(['Tollgate', 'Moon Gate']);
    expect((await admin.patch('/settings', { public_url: 'https://evil.example' })).status).toBe(400);
    expect((await admin.patch('/settings', { site_name: '' })).status).toBe(400);
    expect((await admin.patch('/settings', { low_balance_warning_usd: 'five' })).status).toBe(400);
    expect((await admin.get('/settings')).body).toMatchObject({ site_name: 'Moon Gate', public_url: stack.gw.deps.config.publicUrl });
  });

  it('reads the audit log, filtered, and cannot write to it', async () => {
    const all = await admin.get('/audit');
    expect(all.body.total).toBeGreaterThanOrEqual(1);
    const filtered = await admin.get('/audit?action=settings.update');
    expect(filtered.body.data.every((r: J) => r.action === 'settings.update')).toBe(true);
    expect(filtered.body.data[0]).toMatchObject({ actor: 'admin', ip: '127.0.0.1', target: 'site' });
    expect(filtered.body.data[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // every action the log holds, sorted and once each, whatever the filter: the console's choices
    const held = (stack.gw.deps.database!.sqlite.query('SELECT DISTINCT action FROM audit_log ORDER BY action').all() as J[]).map((r) => r.action);
    expect(held).toContain('settings.update');
    expect(all.body.actions).toEqual(held);
    expect(filtered.body.actions).toEqual(held);
    const count = () => (stack.gw.deps.database!.sqlite.query('SELECT count(*) AS n FROM audit_log').get() as J).n;
    const before = count();
    expect((await admin.post('/audit', { action: 'forged' })).status).toBeGreaterThanOrEqual(400);
    expect((await admin.del('/audit')).status).toBeGreaterThanOrEqual(400);
    expect((await admin.del(`/audit/${all.body.data[0].id}`)).status).toBeGreaterThanOrEqual(400);
    expect(count()).toBe(before);
  });
});
