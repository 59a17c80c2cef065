import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import OpenAI from 'openai';
import { bearer, chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: '65536' } });
});
afterAll(() => stack.close());

type ErrorBody = { error: { message: string; type: string; code: string; param: string | null } };

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await res.json()) as ErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
  return body;
}

const post = (body: string, headers: Record<string, string>) => fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers, body });

describe('every error of the contract, in OpenAI shape', () => {
  it('400 for a body that is not JSON, and nothing is charged', async () => {
    const key = await stack.key();
    await expectError(await post('{"model": "deepseek-v4-flash", "messages": [', bearer(key)), 400, 'invalid_request_error');
    expect(keyRow(stack, key).spent_nano).toBe(0);
  });

  it('400 for a body that breaks the schema, naming the field', async () => {
    const key = await stack.key();
    const body = await expectError(await chat(stack, key, { model: 'deepseek-v4-flash', messages: 'hello' }), 400, 'invalid_request_error');
    expect(body.error.param?.startsWith('messages')).toBe(true);
    await expectError(await chat(stack, key, { model: 'deepseek-v4-flash', messages: [] }), 400, 'invalid_request_error');
    await expectError(await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x'), max_tokens: -5 }), 400, 'invalid_request_error');
    await expectError(await chat(stack, key, { messages: user('x') }), 400, 'invalid_request_error');
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`)).toHaveLength(0);
  });

  it('parses JSON even when curl sends it as a form', async () => {
    const key = await stack.key();
    const res = await post(JSON.stringify({ model: 'deepseek-v4-flash', messages: user('hi #tokens=2') }), { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
  });

  it('401 for a missing, malformed, unknown or disabled key', async () => {
    const body = { model: 'deepseek-v4-flash', messages: user('x') };
    await expectError(await post(JSON.stringify(body), { 'content-type': 'application/json' }), 401, 'invalid_api_key');
    await expectError(await post(JSON.stringify(body), { authorization: 'Bearer not-a-key', 'content-type': 'application/json' }), 401, 'invalid_api_key');
    await expectError(await post(JSON.stringify(body), { authorization: `Bearer sk-gateway-${'A'.repeat(40)}`, 'content-type': 'application/json' }), 401, 'invalid_api_key');
    await expectError(await post(JSON.stringify(body), { authorization: `Bearer ${'x'.repeat(10_000)}`, 'content-type': 'application/json' }), 401, 'invalid_api_key');
    const key = await stack.key();
    await stack.gw.deps.metering.setStatus(keyRow(stack, key).id, 'disabled');
    const disabled = await expectError(await chat(stack, key, body), 401, 'invalid_api_key');
    expect(disabled.error.message).toContain('disabled');
  });

  it('402 when the budget is spent or the key expired', async () => {
    const spent = await stack.key({ budget: '0.001' });
    stack.gw.deps.database!.sqlite.exec(`UPDATE api_keys SET spent_nano = budget_nano WHERE id = '${keyRow(stack, spent).id}'`);
    stack.gw.deps.metering.dropKeyCache();
    await expectError(await chat(stack, spent, { model: 'deepseek-v4-flash', messages: user('x') }), 402, 'insufficient_quota');
    const expired = await stack.key();
    stack.gw.deps.database!.sqlite.exec(`UPDATE api_keys SET expires_at = 1000 WHERE id = '${keyRow(stack, expired).id}'`);
    stack.gw.deps.metering.dropKeyCache();
    const body = await expectError(await chat(stack, expired, { model: 'deepseek-v4-flash', messages: user('x') }), 402, 'insufficient_quota');
    expect(body.error.message).toContain('expired');
    expect(keyRow(stack, expired).status).toBe('expired');
  });

  it('402 when not even a small answer fits the remaining budget', async () => {
    const poor = await stack.key({ budget: '0.00002' });
    const body = await expectError(await chat(stack, poor, { model: 'deepseek-v4-flash', messages: user('x'.repeat(40)) }), 402, 'insufficient_quota');
    expect(body.error.message).toContain('0.000020000');
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, poor).id}'`)).toHaveLength(0);
  });

  it('403 for a model outside the plan, listing the plan’s models', async () => {
    const key = await stack.key({ planId: 'starter' });
    const body = await expectError(await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('x') }), 403, 'model_not_allowed');
    expect(body.error.message).toContain('deepseek-v4-flash');
    expect(body.error.param).toBe('model');
  });

  it('404 for an unknown model and an unknown path', async () => {
    const key = await stack.key();
    await expectError(await chat(stack, key, { model: 'gpt-4o', messages: user('x') }), 404, 'model_not_found');
    await expectError(await fetch(`${stack.gw.url}/v1/embeddings`, { method: 'POST', headers: bearer(key), body: '{}' }), 404, 'not_found');
  });

  it('413 for a body over the limit', async () => {
    const key = await stack.key();
    await expectError(await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x'.repeat(70_000)) }), 413, 'request_too_large');
  });

  it('429 over the requests per minute, with Retry-After and the rate headers', async () => {
    const key = await stack.key({ rpmOverride: 2 });
    const ok = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('one #tokens=1') });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('two #tokens=1') });
    const limited = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('three #tokens=1') });
    await expectError(limited, 429, 'rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(m\d+)?s$/);
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`)).toHaveLength(2);
  });

  it('429 over the concurrent requests of the key', async () => {
    const key = await stack.key({ concurrencyOverride: 1 });
    // 2 s: the first request stays in flight for a few round trips of this test, even on a loaded machine
    await stack.control('next', { stall_ms: 2000 });
    const before = (await stack.upstreamRequests()).length;
    const slow = chat(stack, key, { model: 'deepseek-v4-flash', messages: user('slow #tokens=1') });
    // once DeepSeek has the first request, it is surely in flight (a fixed sleep is not, under load)
    for (let i = 0; i < 200 && (await stack.upstreamRequests()).length === before; i++) await Bun.sleep(10);
    const second = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('fast #tokens=1') });
    await expectError(second, 429, 'rate_limit_exceeded');
    expect((await slow).status).toBe(200);
  });

  it('answers in Chinese for Chinese clients with the same code and type', async () => {
    const key = await stack.key({ planId: 'starter' });
    const en = await expectError(await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('x') }), 403, 'model_not_allowed');
    const zh = await expectError(await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('x') }, { 'accept-language': 'zh-CN,zh;q=0.9' }), 403, 'model_not_allowed');
    expect(zh.error.message).toContain('套餐');
    expect(zh.error.type).toBe(en.error.type);
  });

  it('maps an overloaded upstream to 503 and a failing one to 502, and the SDK sees APIError', async () => {
    const key = await stack.key();
    await stack.control('next', { status: 503, times: 10 });
    await expectError(await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') }), 503, 'upstream_unavailable');
    await stack.control('reset', {});
    await stack.control('next', { status: 500, times: 10 });
    const client = stack.client(key);
    const error = await client.chat.completions.create({ model: 'deepseek-v4-flash', messages: user('x') as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_error');
    await stack.control('reset', {});
    expect(keyRow(stack, key).spent_nano).toBe(0);
  });

  it('passes DeepSeek’s own complaint about a bad request on as a 400, with a zero-cost ledger row', async () => {
    const key = await stack.key();
    await stack.control('next', { status: 400, times: 1 });
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') });
    const body = await expectError(res, 400, 'invalid_request_error');
    expect(body.error.message).toContain('DeepSeek rejected the request');
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.http_status).toBe(400);
    expect(rows[0]!.cost_nano).toBe(0);
  });
});
