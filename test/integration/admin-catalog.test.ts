import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { adminClient, auditRows, type AdminClient } from '../helpers/admin';
import { chat, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

type J = Record<string, any>;

describe('admin: plans, models, prices and the schedule', () => {
  let stack: Stack;
  let admin: AdminClient;
  beforeAll(async () => {
    stack = await startStack();
    admin = adminClient(stack.gw.url, stack.gw.admin.token);
  });
  afterAll(() => stack.close());

  const sqlite = () => stack.gw.deps.database!.sqlite;
  const publicPlans = async () => ((await (await fetch(`${stack.gw.url}/api/plans`)).json()) as { data: J[] }).data.map((p) => p.id);
  const plan = {
    id: 'team',
    name: 'Team',
    description: 'For a small team.',
    price_usd: '30',
    budget_usd: '27.5',
    models: ['deepseek-v4-flash'],
    rpm: 120,
    max_concurrency: 10,
    validity_days: 60,
  };

  it('creates a plan that goes on sale', async () => {
    const res = await admin.post('/plans', plan);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'team', price_usd: '30.000000000', budget_usd: '27.500000000', retired: false, rpm: 120 });
    expect(await publicPlans()).toContain('team');
    expect(auditRows(sqlite(), 'plan.create')[0]).toMatchObject({ target: 'team', before: null, after: { name: 'Team' } });
  });

  it('refuses a plan with an unknown model, a taken id or a bad price, and changes nothing', async () => {
    const before = (await admin.get('/plans')).body.data.length;
    expect((await admin.post('/plans', { ...plan, id: 'other', models: ['gpt-5'] })).body.error.param).toBe('models');
    expect((await admin.post('/plans', plan)).status).toBe(400);
    expect((await admin.post('/plans', { ...plan, id: 'other2', price_usd: 30 })).status).toBe(400);
    expect((await admin.patch('/plans/team', { rpm: -1 })).status).toBe(400);
    expect((await admin.patch('/plans/nope', { rpm: 1 })).status).toBe(404);
    expect((await admin.get('/plans')).body.data.length).toBe(before);
    expect((await admin.get('/plans')).body.data.find((p: J) => p.id === 'team').rpm).toBe(120);
  });

  it('edits a plan, then retires it: off sale, but its keys keep working', async () => {
    const edited = await admin.patch('/plans/team', { name: 'Team+', budget_usd: '28' });
    expect(edited.body).toMatchObject({ name: 'Team+', budget_usd: '28.000000000' });
    const key = await stack.key({ planId: 'team' });
    const retired = await admin.patch('/plans/team', { retired: true });
    expect(retired.body.retired).toBe(true);
    expect(await publicPlans()).not.toContain('team');
    expect((await admin.get('/plans')).body.data.map((p: J) => p.id)).toContain('team');
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('still here #tokens=2') })).status).toBe(200);
    const audit = auditRows(sqlite(), 'plan.retire')[0]!;
    expect([audit.before.retired, audit.after.retired]).toEqual([false, true]);
  });

  it('lists models with aliases and prices per 1M tokens', async () => {
    const res = await admin.get('/models');
    const flash = res.body.data.find((m: J) => m.id === 'deepseek-v4-flash');
    expect(flash.prices.peak).toEqual({ cache_hit_usd: '0.006000000', cache_miss_usd: '0.300000000', output_usd: '1.200000000' });
    expect(flash.aliases).toContainEqual({ alias: 'deepseek-chat', thinking: 'disabled' });
  });

  it('reprices a model: the next request is billed at the new prices, and the preview agrees', async () => {
    const newPrices = { cache_hit_usd: '0.1', cache_miss_usd: '1', output_usd: '2' };
    const res = await admin.patch('/models/deepseek-v4-flash', { prices: { peak: newPrices, off_peak: newPrices } });
    expect(res.status).toBe(200);
    expect(res.body.prices.off_peak).toEqual({ cache_hit_usd: '0.100000000', cache_miss_usd: '1.000000000', output_usd: '2.000000000' });
    const audit = auditRows(sqlite(), 'model.prices')[0]!;
    expect(audit.before.prices.off_peak.output_usd).toBe('0.600000000');
    expect(audit.after.prices.off_peak.output_usd).toBe('2.000000000');

    const key = await stack.key();
    const reply = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('priced #tokens=10') });
    expect(reply.status).toBe(200);
    const usage = ((await reply.json()) as J).usage;
    const row = ledgerRows(stack).at(-1)!;
    expect(row).toMatchObject({ cache_hit_price_nano: 100, cache_miss_price_nano: 1000, output_price_nano: 2000 });
    const expected = usage.prompt_cache_hit_tokens * 100 + usage.prompt_cache_miss_tokens * 1000 + usage.completion_tokens * 2000;
    expect(row.cost_nano).toBe(expected);

    const preview = await admin.post('/price-preview', { model: 'deepseek-chat', cache_hit_tokens: 1000, cache_miss_tokens: 2000, output_tokens: 500 });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ cost_usd: '0.003100000', prices: { cache_miss_usd: '1.000000000' } });
    expect((await admin.post('/price-preview', { model: 'nope', cache_hit_tokens: 0, cache_miss_tokens: 0, output_tokens: 0 })).status).toBe(400);
    expect((await admin.post('/price-preview', { model: 'deepseek-chat', cache_hit_tokens: -1, cache_miss_tokens: 0, output_tokens: 0 })).status).toBe(400);
  });

  it('refuses a price finer than 0.001 USD per 1M tokens and keeps the old one', async () => {
    const res = await admin.patch('/models/deepseek-v4-flash', { prices: { peak: { cache_hit_usd: '0.0001', cache_miss_usd: '1', output_usd: '2' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('prices.peak.cache_hit_usd');
    const flash = (await admin.get('/models')).body.data.find((m: J) => m.id === 'deepseek-v4-flash');
    expect(flash.prices.peak.cache_hit_usd).toBe('0.100000000');
  });

  it('adds a model with an alias, and refuses an alias another model owns', async () => {
    const prices = { cache_hit_usd: '0.02', cache_miss_usd: '0.5', output_usd: '1.5' };
    const created = await admin.post('/models', { id: 'deepseek-v4-mini', name: 'Mini', upstream_model: 'deepseek-flash', max_output_tokens: 8192, prices: { peak: prices, off_peak: prices } });
    expect(created.status).toBe(200);
    const aliased = await admin.patch('/models/deepseek-v4-mini', { aliases: [{ alias: 'mini', thinking: 'disabled' }] });
    expect(aliased.body.aliases).toEqual([{ alias: 'mini', thinking: 'disabled' }]);
    const taken = await admin.patch('/models/deepseek-v4-mini', { aliases: [{ alias: 'deepseek-chat' }] });
    expect(taken.status).toBe(400);
    expect((await admin.get('/models')).body.data.find((m: J) => m.id === 'deepseek-v4-mini').aliases).toHaveLength(1);
    expect((await admin.post('/models', { id: 'deepseek-v4-mini', name: 'x', upstream_model: 'x', max_output_tokens: 1, prices: { peak: prices, off_peak: prices } })).status).toBe(400);
  });

  it('edits the price schedule and refuses a bad one', async () => {
    const schedule = { time_zone: 'UTC', peak_windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' }], holidays: [] };
    const res = await admin.put('/price-schedule', schedule);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ time_zone: 'UTC', current_period: 'peak' });
    expect(auditRows(sqlite(), 'price_schedule.update')[0]!.before.time_zone).toBe('Asia/Shanghai');
    const preview = await admin.post('/price-preview', { model: 'deepseek-v4-pro', cache_hit_tokens: 0, cache_miss_tokens: 1_000_000, output_tokens: 0 });
    expect(preview.body).toMatchObject({ period: 'peak', cost_usd: '1.320000000' });

    for (const bad of [
      { ...schedule, time_zone: 'Mars/Olympus' },
      { ...schedule, peak_windows: [{ days: [1], start: '18:00', end: '09:00' }] },
      { ...schedule, peak_windows: [{ days: [8], start: '09:00', end: '10:00' }] },
      { ...schedule, holidays: ['next tuesday'] },
      { time_zone: 'UTC' },
    ]) {
      const refused = await admin.put('/price-schedule', bad);
      expect(refused.status).toBe(400);
      expect(refused.body.error.type).toBe('invalid_request_error');
    }
    expect((await admin.get('/price-schedule')).body.time_zone).toBe('UTC');
  });
});
