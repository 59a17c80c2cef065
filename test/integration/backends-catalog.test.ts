import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { adminClient, type AdminClient } from '../helpers/admin';
import { eachBackend } from '../helpers/backends';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway';

// The catalog and the site settings on both backends, through the console's routes and the
// public ones: a price edit and a plan edit seen in /api/models, /v1/models and /api/plans, site
// texts and policies in both languages, tool prices, the price schedule; then a gateway started
// afresh on the same database answers every one of those routes exactly as before.

type J = Record<string, any>;
const PUBLIC = ['/api/plans', '/api/plans?lang=zh', '/api/models', '/api/site', '/api/site?lang=zh', '/api/policies/terms', '/api/policies/refunds?lang=zh'];
const CONSOLE = ['/plans', '/models', '/tool-prices', '/settings', '/price-schedule'];

eachBackend('catalog and settings', (b) => {
  let gw: TestGateway;
  let admin: AdminClient;
  let env: Record<string, string>;
  const dataDir = tempDir('tollgate-catalog-');
  beforeAll(async () => {
    env = { ...(await b.env({ icuLocale: 'en-US' })), TOLLGATE_LOG_LEVEL: 'error' }; // PostgreSQL: text sorting as under en_US
    gw = await startTestGateway({ env, dataDir });
    admin = adminClient(gw.url, gw.admin.token);
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as J };
  };
  const key = async (planId: string) => (await gw.deps.metering.createKey({ planId })).key;

  it('shows a price edit in /api/models, the console and the price preview', async () => {
    const prices = { cache_hit_usd: '0.011', cache_miss_usd: '0.45', output_usd: '1.75' };
    const res = await admin.patch('/models/deepseek-v4-flash', { prices: { peak: prices, off_peak: { ...prices, output_usd: '0.9' } } });
    expect(res.status).toBe(200);
    const flash = (await get('/api/models')).body.data.find((m: J) => m.id === 'deepseek-v4-flash');
    expect(flash.per_million_tokens).toEqual({
      peak: { cache_hit_usd: '0.011000000', cache_miss_usd: '0.450000000', output_usd: '1.750000000' },
      off_peak: { cache_hit_usd: '0.011000000', cache_miss_usd: '0.450000000', output_usd: '0.900000000' },
    });
    expect(flash.aliases).toContain('deepseek-chat');
    const preview = await admin.post('/price-preview', { model: 'deepseek-chat', cache_hit_tokens: 1000, cache_miss_tokens: 2000, output_tokens: 500, period: 'peak' });
    expect(preview.body.prices).toMatchObject({ cache_miss_usd: '0.450000000' });
    // a new model with an alias, listed to a key whose plan has it
    const mini = { cache_hit_usd: '0.02', cache_miss_usd: '0.5', output_usd: '1.5' };
    expect((await admin.post('/models', { id: 'deepseek-v4-mini', name: 'Mini', upstream_model: 'deepseek-flash', max_output_tokens: 8192, prices: { peak: mini, off_peak: mini } })).status).toBe(200);
    expect((await admin.patch('/models/deepseek-v4-mini', { aliases: [{ alias: 'mini', thinking: 'disabled' }] })).body.aliases).toEqual([{ alias: 'mini', thinking: 'disabled' }]);
    expect((await admin.patch('/models/deepseek-v4-mini', { aliases: [{ alias: 'deepseek-chat' }] })).status).toBe(400);
    const models = (await get('/api/models')).body.data as J[];
    expect(models.map((m) => m.id)).toEqual(['deepseek-v4-flash', 'deepseek-v4-pro', 'deepseek-v4-mini']);
    expect(models[2]).toMatchObject({ name: 'Mini', max_output_tokens: 8192, aliases: ['mini'] });
  });

  it('shows a plan edit and a new plan in /api/plans in both languages, a retired plan off sale, and the plan’s models in /v1/models', async () => {
    const created = await admin.post('/plans', { id: 'team', name: 'Team', name_zh: '团队版', description: 'For a team.', price_usd: '30', budget_usd: '27.5', models: ['deepseek-v4-flash', 'deepseek-v4-mini'], rpm: 120, max_concurrency: 10, validity_days: 60 });
    expect(created.status).toBe(200);
    // a taken id, an unknown model, a bad price: 400 in the contract's shape, and nothing written
    const taken = await admin.post('/plans', { id: 'team', name: 'Again', price_usd: '1', budget_usd: '1', models: ['deepseek-v4-flash'], rpm: 1, max_concurrency: 1, validity_days: 1 });
    expect(taken.status).toBe(400);
    expect(taken.body.error.type).toBe('invalid_request_error');
    expect((await admin.post('/plans', { id: 'other', name: 'Other', price_usd: '1', budget_usd: '1', models: ['gpt-5'], rpm: 1, max_concurrency: 1, validity_days: 1 })).body.error.param).toBe('models');
    expect((await admin.patch('/plans/nope', { rpm: 1 })).status).toBe(404);
    expect((await admin.post('/keys', { plan_id: 'nope' })).body.error).toMatchObject({ type: 'invalid_request_error', param: 'plan_id' });
    expect((await admin.get('/plans')).body.data.filter((p: J) => p.id === 'team' || p.id === 'other').map((p: J) => p.name)).toEqual(['Team']);
    const edited = await admin.patch('/plans/starter', { name: 'Starter+', budget_usd: '4.5', rpm: 45, description_zh: '' });
    expect(edited.body).toMatchObject({ name: 'Starter+', budget_usd: '4.500000000', rpm: 45, missing_zh: ['description'] });
    expect((await admin.patch('/plans/standard', { retired: true })).body.retired).toBe(true);

    const en = (await get('/api/plans')).body.data as J[];
    expect(en.map((p) => p.id)).toEqual(['trial', 'starter', 'pro', 'team']);
    expect(en.find((p) => p.id === 'starter')).toMatchObject({ name: 'Starter+', budget_usd: '4.500000000', rpm: 45 });
    expect(en.find((p) => p.id === 'team')).toMatchObject({ name: 'Team', price_usd: '30.000000000', models: ['deepseek-v4-flash', 'deepseek-v4-mini'], validity_days: 60 });
    const zh = (await get('/api/plans', { 'accept-language': 'zh-CN' })).body.data as J[];
    expect(zh.find((p) => p.id === 'team')).toMatchObject({ name: '团队版', description: 'For a team.', untranslated: ['description'] });
    expect(zh.find((p) => p.id === 'starter')).toMatchObject({ name: '入门版', description: 'For personal projects and chat apps.', untranslated: ['description'] });
    expect((await admin.get('/plans')).body.data.map((p: J) => [p.id, p.retired])).toContainEqual(['standard', true]);

    const team = await key('team');
    const listed = (await get('/v1/models', { authorization: `Bearer ${team}` })).body.data as J[];
    expect(listed.map((m) => m.id)).toEqual(expect.arrayContaining(['deepseek-v4-flash', 'deepseek-v4-mini']));
    expect(listed.map((m) => m.id)).not.toContain('deepseek-v4-pro');
    const usage = (await get('/api/usage?lang=zh', { authorization: `Bearer ${team}` })).body;
    expect(usage).toMatchObject({ plan_id: 'team', plan_name: '团队版', rpm: 120, max_concurrency: 10, budget_usd: '27.500000000' });
  });

  it('keeps the site settings and policies in both languages', async () => {
    const saved = await admin.patch('/settings', {
      site_name: 'Moon Gate',
      disclaimer: 'Our own words.',
      disclaimer_zh: '',
      announcement: 'Maintenance on Sunday.',
      announcement_zh: '周日维护。',
      support_contact: 'help@moon.example',
      support_contact_zh: '',
      refunds: '## Refunds\n\nWithin 7 days, {site}.',
      refunds_zh: '',
      show_reasoning_default: true,
      low_balance_warning_usd: '2.5',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ site_name: 'Moon Gate', show_reasoning_default: true, low_balance_warning_usd: '2.500000000' });
    expect(saved.body.missing_zh).toEqual(expect.arrayContaining(['disclaimer', 'refunds']));
    expect((await get('/api/site')).body).toMatchObject({ lang: 'en', site_name: 'Moon Gate', disclaimer: 'Our own words.', announcement: 'Maintenance on Sunday.', untranslated: [] });
    expect((await get('/api/site?lang=zh')).body).toMatchObject({ lang: 'zh', disclaimer: 'Our own words.', announcement: '周日维护。', untranslated: expect.arrayContaining(['disclaimer']) });
    expect((await get('/api/policies/refunds?lang=zh')).body).toEqual({ id: 'refunds', lang: 'en', markdown: '## Refunds\n\nWithin 7 days, Moon Gate.' });
    const terms = (await get('/api/policies/terms?lang=zh')).body;
    expect(terms.lang).toBe('zh');
    expect(terms.markdown).toContain('help@moon.example');
    // a second edit changes only what it names
    expect((await admin.patch('/settings', { disclaimer_zh: '我们自己的话。' })).body).toMatchObject({ site_name: 'Moon Gate', disclaimer: 'Our own words.', disclaimer_zh: '我们自己的话。' });
    expect((await get('/api/site?lang=zh')).body.disclaimer).toBe('我们自己的话。');
  });

  it('sets, replaces and removes tool prices per model and for every model', async () => {
    const set = (tool: string, body: J) => admin.put(`/tool-prices/${tool}`, body);
    expect((await set('web_search', { peak_usd_per_call: '0.01', off_peak_usd_per_call: '0.005', max_calls_per_request: 3 })).status).toBe(200);
    expect((await set('web_search', { model: 'deepseek-v4-pro', peak_usd_per_call: '0.02', off_peak_usd_per_call: '0.01', max_calls_per_request: 2 })).status).toBe(200);
    expect((await set('read_url', { peak_usd_per_call: '0.003', off_peak_usd_per_call: '0.003', max_calls_per_request: 5 })).status).toBe(200);
    const replaced = await set('web_search', { peak_usd_per_call: '0.012', off_peak_usd_per_call: '0.006', max_calls_per_request: 4 });
    expect(replaced.body).toMatchObject({ tool: 'web_search', model: '*', peak_usd_per_call: '0.012000000', max_calls_per_request: 4 });
    const removed = await admin.del('/tool-prices/read_url');
    expect(removed.status).toBe(200);
    expect((await admin.del('/tool-prices/read_url')).status).toBe(404);
    const listed = (await admin.get('/tool-prices')).body.data as J[];
    expect(listed.map((p) => [p.tool, p.model, p.peak_usd_per_call, p.off_peak_usd_per_call, p.max_calls_per_request])).toEqual([
      ['web_search', '*', '0.012000000', '0.006000000', 4],
      ['web_search', 'deepseek-v4-pro', '0.020000000', '0.010000000', 2],
    ]);
  });

  it('keeps the price schedule', async () => {
    const schedule = { time_zone: 'Europe/Berlin', peak_windows: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '20:00' }], holidays: ['2026-12-25'] };
    expect((await admin.put('/price-schedule', schedule)).status).toBe(200);
    expect((await get('/api/models')).body.schedule).toEqual(schedule);
  });

  it('answers every one of those routes the same from a gateway started afresh on the same database', async () => {
    const read = async () => {
      const out: Record<string, unknown> = {};
      for (const path of PUBLIC) out[path] = (await get(path)).body;
      for (const path of CONSOLE) out[`/admin/api${path}`] = (await admin.get(path)).body;
      return out;
    };
    const before = await read();
    await gw.close();
    gw = await startTestGateway({ env, dataDir });
    admin = adminClient(gw.url, gw.admin.token);
    const after = await read();
    for (const path of Object.keys(before)) expect({ path, body: after[path] }).toEqual({ path, body: before[path] });
    expect((after['/api/site'] as J).site_name).toBe('Moon Gate');
    expect(((after['/admin/api/tool-prices'] as J).data as J[]).length).toBe(2);
  });

  it('creates a plan or a model sent twice at the same moment once, and refuses the other with 400 (never a 500)', async () => {
    const plan = { name: 'Twice', price_usd: '2', budget_usd: '1.5', models: ['deepseek-v4-flash'], rpm: 10, max_concurrency: 2, validity_days: 7 };
    const plans = await Promise.all(Array.from({ length: 6 }, () => admin.post('/plans', { id: 'twice', ...plan })));
    expect(plans.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    for (const r of plans.filter((r) => r.status === 400)) expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'id' });
    expect((await admin.get('/plans')).body.data.filter((p: J) => p.id === 'twice').length).toBe(1);
    const prices = { cache_hit_usd: '0.01', cache_miss_usd: '0.2', output_usd: '0.8' };
    const models = await Promise.all(Array.from({ length: 6 }, () => admin.post('/models', { id: 'deepseek-v4-twice', name: 'Twice', upstream_model: 'deepseek-flash', max_output_tokens: 4096, prices: { peak: prices, off_peak: prices } })));
    expect(models.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    for (const r of models.filter((r) => r.status === 400)) expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'id' });
    expect((await get('/api/models')).body.data.filter((m: J) => m.id === 'deepseek-v4-twice').length).toBe(1);
  });
});
