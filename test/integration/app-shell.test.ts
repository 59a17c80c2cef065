import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('the gateway shell', () => {
  it('answers /healthz with the database checked', async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'degraded', database: 'ok', upstreams: { active: 0, total: 0 } });
  });

  it('answers unknown API paths with a 404 in OpenAI error shape', async () => {
    const res = await fetch(`${gw.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ error: { message: 'Not found: /v1/nothing-here', type: 'invalid_request_error', code: 'not_found', param: null } });
  });

  it('translates the message, never the code, for Chinese clients', async () => {
    const res = await fetch(`${gw.url}/api/nothing`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toBe('未找到：/api/nothing');
  });

  it('refuses a body over the size limit with 413 before reading it', async () => {
    const small = await startTestGateway({ env: { TOLLGATE_MAX_BODY_BYTES: '2048' } });
    try {
      const res = await fetch(`${small.url}/api/plans`, { method: 'POST', body: 'x'.repeat(4096), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
      expect((await fetch(`${small.url}/healthz`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('lists plans with money as nine-decimal USD strings', async () => {
    const res = await fetch(`${gw.url}/api/plans`);
    const body = (await res.json()) as { data: { id: string; price_usd: string; budget_usd: string; models: string[]; rpm: number }[] };
    expect(body.data.map((p) => p.id)).toEqual(['trial', 'starter', 'standard', 'pro']);
    const trial = body.data[0]!;
    expect(trial.price_usd).toBe('1.000000000');
    expect(trial.budget_usd).toBe('0.800000000');
    expect(trial.models).toEqual(['deepseek-v4-flash']);
  });

  it('lists models with prices per million tokens in both periods', async () => {
    const body = (await (await fetch(`${gw.url}/api/models`)).json()) as {
      data: { id: string; aliases: string[]; per_million_tokens: { peak: Record<string, string>; off_peak: Record<string, string> } }[];
      current_period: string;
    };
    const flash = body.data.find((m) => m.id === 'deepseek-v4-flash')!;
    expect(flash.per_million_tokens.peak).toEqual({ cache_hit_usd: '0.006000000', cache_miss_usd: '0.300000000', output_usd: '1.200000000' });
    expect(flash.per_million_tokens.off_peak).toEqual({ cache_hit_usd: '0.003000000', cache_miss_usd: '0.150000000', output_usd: '0.600000000' });
    expect(flash.aliases.sort()).toEqual(['deepseek-chat', 'deepseek-coder', 'deepseek-flash', 'deepseek-reasoner']);
    expect(['peak', 'off_peak']).toContain(body.current_period);
  });
});
