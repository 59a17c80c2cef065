import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { adminClient, auditRows, type AdminClient } from '../helpers/admin';
import { bearer, chat, startStack, user, type Stack } from '../helpers/stack';

type J = Record<string, any>;

describe('admin: keys', () => {
  let stack: Stack;
  let admin: AdminClient;
  beforeAll(async () => {
    stack = await startStack();
    admin = adminClient(stack.gw.url, stack.gw.admin.token);
  });
  afterAll(() => stack.close());

  const usage = async (key: string) => {
    const res = await fetch(`${stack.gw.url}/api/usage`, { headers: bearer(key) });
    return { status: res.status, body: (await res.json()) as J };
  };
  const sqlite = () => stack.gw.deps.database!.sqlite;
  const create = async (body: J = {}) => {
    const res = await admin.post('/keys', { plan_id: 'pro', budget_usd: '2', email: 'Op@Example.com', note: 'made by a test', ...body });
    expect(res.status).toBe(200);
    return res.body as { key: string; data: J };
  };

  it('issues a key that works, shows the secret once, and audits it', async () => {
    const { key, data } = await create({ rpm: 0, concurrency: 0 });
    expect(key).toMatch(/^sk-gateway-[0-9A-Za-z]{40}$/);
    // 0 overrides the plan: unlimited, and the buyer's usage says so
    expect((await usage(key)).body).toMatchObject({ plan_id: 'pro', models: ['deepseek-v4-flash', 'deepseek-v4-pro'], rpm: 0, max_concurrency: 0 });
    expect(data).toMatchObject({ plan_id: 'pro', status: 'active', budget_usd: '2.000000000', spent_usd: '0.000000000', email: 'op@example.com', note: 'made by a test', rpm: 0 });
    expect(JSON.stringify(data)).not.toContain(key);
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('hi #tokens=3') });
    expect(res.status).toBe(200);
    const audit = auditRows(sqlite(), 'key.create')[0]!;
    expect(audit).toMatchObject({ actor: 'admin', target: data.id, ip: '127.0.0.1' });
    expect(audit.after.budget_usd).toBe('2.000000000');
    // read back, then list and search
    expect((await admin.get(`/keys/${data.id}`)).body.spent_usd).not.toBe('0.000000000');
    const byEmail = await admin.get('/keys?q=op@example');
    expect(byEmail.body.total).toBeGreaterThanOrEqual(1);
    expect(byEmail.body.data.map((k: J) => k.id)).toContain(data.id);
    const byWholeKey = await admin.get(`/keys?q=${key}`);
    expect(byWholeKey.body).toMatchObject({ total: 1, data: [{ id: data.id }] });
    const byPlan = await admin.get('/keys?plan_id=trial');
    expect(byPlan.body.data.map((k: J) => k.id)).not.toContain(data.id);
    const ledger = await admin.get(`/keys/${data.id}/ledger`);
    expect(ledger.body.total).toBe(1);
    expect(ledger.body.data[0]).toMatchObject({ key_id: data.id, model: 'deepseek-v4-flash', status: 200 });
  });

  it('refuses a bad create (unknown plan, bad money) with 400 and creates nothing', async () => {
    const before = (sqlite().query('SELECT count(*) AS n FROM api_keys').get() as J).n;
    const unknown = await admin.post('/keys', { plan_id: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', param: 'plan_id' });
    const badMoney = await admin.post('/keys', { plan_id: 'pro', budget_usd: '-5' });
    expect(badMoney.status).toBe(400);
    expect(badMoney.body.error.code).toBe('invalid_request_error');
    expect((sqlite().query('SELECT count(*) AS n FROM api_keys').get() as J).n).toBe(before);
    expect((await admin.get('/keys/key_doesnotexist')).status).toBe(404);
  });

  it('tops up and sets the budget, visible to the buyer at GET /api/usage, with before/after in the audit log', async () => {
    const { key, data } = await create({ budget_usd: '1.5' });
    const topup = await admin.post(`/keys/${data.id}/topup`, { amount_usd: '2.25' });
    expect(topup.status).toBe(200);
    expect(topup.body.budget_usd).toBe('3.750000000');
    expect((await usage(key)).body.budget_usd).toBe('3.750000000');
    const audit = auditRows(sqlite(), 'key.topup')[0]!;
    expect(audit.before.budget_usd).toBe('1.500000000');
    expect(audit.after.budget_usd).toBe('3.750000000');

    const set = await admin.patch(`/keys/${data.id}`, { budget_usd: '10' });
    expect(set.status).toBe(200);
    expect((await usage(key)).body).toMatchObject({ budget_usd: '10.000000000', remaining_usd: '10.000000000' });
    const update = auditRows(sqlite(), 'key.update')[0]!;
    expect(update).toMatchObject({ target: data.id });
    expect([update.before.budget_usd, update.after.budget_usd]).toEqual(['3.750000000', '10.000000000']);

    // bad input: nothing changes
    expect((await admin.post(`/keys/${data.id}/topup`, { amount_usd: 'lots' })).status).toBe(400);
    expect((await admin.post(`/keys/${data.id}/topup`, { amount_usd: '0' })).status).toBe(400);
    expect((await admin.patch(`/keys/${data.id}`, { budget_usd: '1.2.3' })).status).toBe(400);
    expect((await usage(key)).body.budget_usd).toBe('10.000000000');
  });

  it('will not set a budget below what was spent', async () => {
    const { key, data } = await create({ budget_usd: '1' });
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('spend #tokens=50') })).status).toBe(200);
    const res = await admin.patch(`/keys/${data.id}`, { budget_usd: '0' });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('budget_usd');
    expect((await usage(key)).body.budget_usd).toBe('1.000000000');
  });

  it('changes plan, expiry, limits and note; an expired key gets 402 and a later expiry revives it', async () => {
    const { key, data } = await create();
    const changed = await admin.patch(`/keys/${data.id}`, { plan_id: 'trial', rpm: 5, concurrency: 1, note: 'vip', show_reasoning: true });
    expect(changed.body).toMatchObject({ plan_id: 'trial', rpm: 5, concurrency: 1, note: 'vip', show_reasoning: true });
    // the buyer sees the new plan, its models, and the key's own limits in force
    expect((await usage(key)).body).toMatchObject({ plan_id: 'trial', plan_name: 'Trial', models: ['deepseek-v4-flash'], rpm: 5, max_concurrency: 1 });
    // trial has no pro model
    expect((await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('x') })).status).toBe(403);

    const past = await admin.patch(`/keys/${data.id}`, { expires_at: '2020-01-01T00:00:00Z' });
    expect(past.body).toMatchObject({ status: 'expired', expires_at: '2020-01-01T00:00:00.000Z' });
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') })).status).toBe(402);
    const never = await admin.patch(`/keys/${data.id}`, { expires_at: null });
    expect(never.body).toMatchObject({ status: 'active', expires_at: null });
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('back #tokens=2') })).status).toBe(200);

    expect((await admin.patch(`/keys/${data.id}`, { expires_at: 'tomorrow' })).status).toBe(400);
    expect((await admin.patch(`/keys/${data.id}`, { plan_id: 'nope' })).status).toBe(400);
    expect((await admin.patch(`/keys/${data.id}`, { status: 'exhausted' })).status).toBe(400);
    expect((await admin.get(`/keys/${data.id}`)).body).toMatchObject({ plan_id: 'trial', status: 'active' });
  });

  it('disables and enables a key', async () => {
    const { key, data } = await create();
    const disabled = await admin.patch(`/keys/${data.id}`, { status: 'disabled' });
    expect(disabled.body).toMatchObject({ status: 'disabled', status_reason: 'disabled by the operator' });
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') })).status).toBe(401);
    const enabled = await admin.patch(`/keys/${data.id}`, { status: 'active' });
    expect(enabled.body).toMatchObject({ status: 'active', status_reason: null });
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x #tokens=2') })).status).toBe(200);
    const audit = auditRows(sqlite(), 'key.update').filter((r) => r.target === data.id);
    expect(audit.map((r) => [r.before.status, r.after.status])).toEqual([
      ['disabled', 'active'],
      ['active', 'disabled'],
    ]);
  });

  it('rotates a key: the old secret gets 401, the new one keeps the budget', async () => {
    const { key, data } = await create({ budget_usd: '3' });
    expect((await usage(key)).status).toBe(200); // cached
    const rotated = await admin.post(`/keys/${data.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).not.toBe(key);
    expect(rotated.body.data).toMatchObject({ id: data.id, budget_usd: '3.000000000' });
    expect((await usage(key)).status).toBe(401);
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') })).status).toBe(401);
    expect((await usage(rotated.body.key)).body.budget_usd).toBe('3.000000000');
    const audit = auditRows(sqlite(), 'key.rotate')[0]!;
    expect(audit).toMatchObject({ target: data.id, before: { key_hint: data.key_hint }, after: { key_hint: rotated.body.data.key_hint } });
  });
});
