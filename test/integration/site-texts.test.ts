import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { DEFAULT_SITE, withDefaults } from '../../server/modules/catalog/site';
import { typicalRequestCost } from '../../server/modules/catalog/estimate';
import { parseUsd } from '../../server/lib/money';
import { adminClient, type AdminClient } from '../helpers/admin';
import { startStack, type Stack } from '../helpers/stack';

// The operator's texts in both languages: /api/site, /api/plans and /api/policies answer in the
// visitor's language (?lang= first, then Accept-Language), in English where no Chinese was written.

type J = Record<string, any>;

let stack: Stack;
let admin: AdminClient;
beforeAll(async () => {
  stack = await startStack();
  admin = adminClient(stack.gw.url, stack.gw.admin.token);
});
afterAll(() => stack.close());

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${stack.gw.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as J };
};

describe('the site texts', () => {
  it('come in English by default and in Chinese for ?lang=zh or a Chinese Accept-Language', async () => {
    const en = (await get('/api/site')).body;
    expect(en).toMatchObject({ lang: 'en', disclaimer: DEFAULT_SITE.disclaimer, support_contact: DEFAULT_SITE.supportContact, announcement: '', untranslated: [] });
    const zh = (await get('/api/site?lang=zh')).body;
    expect(zh).toMatchObject({ lang: 'zh', disclaimer: DEFAULT_SITE.disclaimerZh, untranslated: [] });
    expect((await get('/api/site', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' })).body.disclaimer).toBe(DEFAULT_SITE.disclaimerZh);
    // ?lang= beats the header
    expect((await get('/api/site?lang=en', { 'accept-language': 'zh-CN' })).body.lang).toBe('en');
  });

  it('fall back to English where the Chinese field is empty, say so, and the console marks it', async () => {
    const saved = await admin.patch('/settings', { disclaimer: 'Our own words.', disclaimer_zh: '', announcement: 'Maintenance on Sunday.', announcement_zh: '周日维护。' });
    expect(saved.status).toBe(200);
    expect(saved.body.missing_zh).toEqual(['disclaimer']);
    const zh = (await get('/api/site?lang=zh')).body;
    expect(zh).toMatchObject({ disclaimer: 'Our own words.', announcement: '周日维护。', untranslated: ['disclaimer'] });
    expect((await get('/api/site')).body).toMatchObject({ disclaimer: 'Our own words.', announcement: 'Maintenance on Sunday.', untranslated: [] });
    // filled in, the mark goes
    const fixed = await admin.patch('/settings', { disclaimer_zh: '我们自己的话。' });
    expect(fixed.body.missing_zh).toEqual([]);
    expect((await get('/api/site?lang=zh')).body).toMatchObject({ disclaimer: '我们自己的话。', untranslated: [] });
  });

  it('keep an English text the operator rewrote before the Chinese fields existed, with no stale translation beside it', () => {
    const older = withDefaults({ siteName: 'Moon', disclaimer: 'Rewritten before Chinese fields.', supportContact: DEFAULT_SITE.supportContact });
    expect(older.disclaimerZh).toBe('');
    expect(older.supportContactZh).toBe(DEFAULT_SITE.supportContactZh);
    expect(older.termsZh).toBe(DEFAULT_SITE.termsZh);
    expect(withDefaults({ disclaimer: 'x', disclaimerZh: '某' }).disclaimerZh).toBe('某');
  });
});

describe('the policy pages', () => {
  it('serve the Markdown in the visitor\'s language with the site name and contact filled in', async () => {
    await admin.patch('/settings', { site_name: 'Moon Gate', support_contact: 'help@moon.example', support_contact_zh: '' });
    for (const id of ['terms', 'privacy', 'refunds']) {
      const en = (await get(`/api/policies/${id}`)).body;
      expect(en.lang).toBe('en');
      expect(en.markdown).toContain('help@moon.example');
      expect(en.markdown).not.toContain('{contact}');
      const zh = (await get(`/api/policies/${id}?lang=zh`)).body;
      expect(zh.lang).toBe('zh');
      expect(zh.markdown).toMatch(/[\u4e00-\u9fff]/);
      // the contact has no Chinese text of its own: the English one is used
      expect(zh.markdown).toContain('help@moon.example');
    }
    expect((await get('/api/policies/terms')).body.markdown).toContain('Moon Gate');
  });

  it('fall back to English when the Chinese page is empty, and refuse an unknown page', async () => {
    await admin.patch('/settings', { refunds: '## Refunds\n\nWithin 7 days.', refunds_zh: '' });
    expect((await get('/api/policies/refunds?lang=zh')).body).toEqual({ id: 'refunds', lang: 'en', markdown: '## Refunds\n\nWithin 7 days.' });
    expect((await admin.get('/settings')).body.missing_zh).toContain('refunds');
    const missing = await get('/api/policies/cookies');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

describe('the plans', () => {
  it('have Chinese names and descriptions, English where none is written, and the console marks those', async () => {
    const zh = (await get('/api/plans?lang=zh')).body.data as J[];
    expect(zh.find((p) => p.id === 'starter')).toMatchObject({ name: '入门版', description: '适合个人项目和聊天应用。', untranslated: [] });
    const edited = await admin.patch('/plans/starter', { name_zh: '', description_zh: '' });
    expect(edited.body).toMatchObject({ name_zh: '', description_zh: '', missing_zh: ['name', 'description'] });
    const fallback = ((await get('/api/plans', { 'accept-language': 'zh' })).body.data as J[]).find((p) => p.id === 'starter');
    expect(fallback).toMatchObject({ name: 'Starter', description: 'For personal projects and chat apps.', untranslated: ['name', 'description'] });
    await admin.patch('/plans/starter', { name_zh: '入门版', description_zh: '适合个人项目和聊天应用。' });
    expect((await admin.get('/plans')).body.data.find((p: J) => p.id === 'starter').missing_zh).toEqual([]);
  });

  it("give the plan's name in the buyer's language on the usage page", async () => {
    const key = await stack.key({ planId: 'pro' });
    const usage = (await get('/api/usage?lang=zh', { authorization: `Bearer ${key}` })).body;
    expect(usage).toMatchObject({ plan_id: 'pro', plan_name: '专业版' });
    expect((await get('/api/usage', { authorization: `Bearer ${key}` })).body.plan_name).toBe('Pro');
  });

  it('say about how many typical chat requests the budget pays for, from the price book at peak', async () => {
    const { body } = await get('/api/plans');
    expect(body.typical_request).toEqual({ input_tokens: 1000, cache_hit_tokens: 500, output_tokens: 300, period: 'peak' });
    const models = (await get('/api/models')).body.data as J[];
    const perToken = (usd: string) => parseUsd(usd) / 1_000_000;
    for (const plan of body.data as J[]) {
      const costs = (plan.models as string[]).map((id) => {
        const p = models.find((m) => m.id === id)!.per_million_tokens.peak;
        return typicalRequestCost({ cacheHitNano: perToken(p.cache_hit_usd), cacheMissNano: perToken(p.cache_miss_usd), outputNano: perToken(p.output_usd) });
      });
      expect({ plan: plan.id, n: plan.typical_requests }).toEqual({ plan: plan.id, n: Math.floor(parseUsd(plan.budget_usd) / Math.min(...costs)) });
    }
    // starter: $4.25 at 500 × 0.006 + 500 × 0.30 + 300 × 1.20 USD per 1M tokens = $0.000513 a request
    expect((body.data as J[]).find((p) => p.id === 'starter')!.typical_requests).toBe(8284);
  });
});
