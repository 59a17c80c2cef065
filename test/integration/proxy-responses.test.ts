import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { bearer, keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// The Responses API (Codex) through the gateway with the `openai` package, against the DeepSeek
// simulator's /responses: stateless, typed events passed through, every terminal event billed.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

type Row = Record<string, unknown>;
const rowsOf = (key: string): Row[] => ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
const lastSent = async () => (await stack.upstreamRequests()).filter((r) => r.path === '/responses').at(-1)!;

function expectPricedExactly(row: Row): void {
  const book = stack.gw.deps.catalog.pricesFor(row.public_model as string, row.period as 'peak' | 'off_peak');
  const cost = (row.cache_hit_tokens as number) * book.cacheHitNano + (row.cache_miss_tokens as number) * book.cacheMissNano + (row.output_tokens as number) * book.outputNano;
  expect(row.cost_nano).toBe(cost);
  expect(row.cache_miss_price_nano).toBe(book.cacheMissNano);
}

/** The usage of a response as the ledger's kinds: input includes cached, so miss = input − cached. */
const tokensIn = (usage: OpenAI.Responses.ResponseUsage) => ({
  hit: usage.input_tokens_details.cached_tokens,
  miss: usage.input_tokens - usage.input_tokens_details.cached_tokens,
  output: usage.output_tokens,
});
const tokensOf = (row: Row) => ({ hit: row.cache_hit_tokens, miss: row.cache_miss_tokens, output: row.output_tokens });

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const WEATHER = { type: 'function' as const, name: 'get_weather', description: 'The weather in a city', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

describe('the Responses API with the openai package', () => {
  it('answers responses.create with the public model name, relayed to /responses, one ledger row priced exactly', async () => {
    const key = await stack.key();
    const response = await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Say hello #tokens=5', max_output_tokens: 200 });
    expect(response.status).toBe('completed');
    expect(response.model).toBe('deepseek-v4-flash');
    expect(response.output_text.split(' ')).toHaveLength(5);
    const sent = await lastSent();
    expect(sent.body).toMatchObject({ model: 'deepseek-flash', max_output_tokens: 200, input: 'Say hello #tokens=5' });
    expect(String(sent.body.user)).toMatch(/^tg-[A-Za-z0-9]{24}$/);
    const [row, ...more] = rowsOf(key);
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ protocol: 'responses', public_model: 'deepseek-v4-flash', basis: 'upstream', http_status: 200, stream: 0, finish_reason: 'completed' });
    expect(tokensOf(row!)).toEqual(tokensIn(response.usage!));
    expect(row!.reasoning_tokens).toBe(response.usage!.output_tokens_details.reasoning_tokens);
    expectPricedExactly(row!);
  });

  it('streams typed events as they come, ends on response.completed with the cost comment and no [DONE]', async () => {
    const key = await stack.key();
    const events = await collect(await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Stream please #tokens=6', stream: true }));
    expect(events[0]!.type).toBe('response.created');
    const last = events.at(-1)!;
    expect(last.type).toBe('response.completed');
    const completed = (last as OpenAI.Responses.ResponseCompletedEvent).response;
    expect(completed.model).toBe('deepseek-v4-flash');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ protocol: 'responses', basis: 'upstream', stream: 1, finish_reason: 'completed' });
    expect(tokensOf(row!)).toEqual(tokensIn(completed.usage!));

    const raw = await fetch(`${stack.gw.url}/responses`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-flash', input: 'raw #tokens=2', stream: true }) });
    const frames = (await raw.text()).split('\n\n').filter((f) => f !== '');
    expect(frames.at(-2)).toStartWith('event: response.completed\n');
    expect(frames.at(-1)).toMatch(/^: x-tollgate-cost-usd=\d+\.\d{9} x-tollgate-remaining-usd=\d+\.\d{9}$/);
    expect(frames.some((f) => f.includes('[DONE]'))).toBe(false);
  });

  it('bills a stream that ends response.incomplete (max_output_tokens) by its usage', async () => {
    const key = await stack.key();
    await stack.control('next', { finish_reason: 'length' });
    const events = await collect(await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Long #tokens=40', stream: true }));
    const last = events.at(-1)! as OpenAI.Responses.ResponseIncompleteEvent;
    expect(last.type).toBe('response.incomplete');
    expect(last.response.incomplete_details?.reason).toBe('max_output_tokens');
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ basis: 'upstream', http_status: 200, finish_reason: 'max_output_tokens' });
    expect(tokensOf(row!)).toEqual(tokensIn(last.response.usage!));
    expect(row!.output_tokens as number).toBeGreaterThan(0);
    expectPricedExactly(row!);
  });

  it('bills a stream that ends response.failed by its usage, and a non-stream incomplete answer too', async () => {
    const key = await stack.key();
    await stack.control('next', { finish_reason: 'insufficient_system_resource' });
    const failed = (await collect(await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Long #tokens=40', stream: true }))).at(-1)! as OpenAI.Responses.ResponseFailedEvent;
    expect(failed.type).toBe('response.failed');
    await stack.control('next', { fail_after_chunks: 6 });
    const broken = (await collect(await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Longer #tokens=40', stream: true }))).at(-1)! as OpenAI.Responses.ResponseFailedEvent;
    expect(broken.type).toBe('response.failed');
    await stack.control('next', { finish_reason: 'content_filter' });
    const filtered = await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Filtered #tokens=20' });
    expect(filtered.status).toBe('incomplete');
    const rows = rowsOf(key);
    expect(rows.map((r) => [r.basis, r.finish_reason])).toEqual([
      ['upstream', 'failed'],
      ['upstream', 'failed'],
      ['upstream', 'content_filter'],
    ]);
    expect(tokensOf(rows[0]!)).toEqual(tokensIn(failed.response.usage!));
    expect(tokensOf(rows[1]!)).toEqual(tokensIn(broken.response.usage!));
    expect(tokensOf(rows[2]!)).toEqual(tokensIn(filtered.usage!));
    for (const row of rows) expectPricedExactly(row);
    expect(keyRow(stack, key).spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));
  });

  it('ends a stream that breaks with one error event in the Responses shape, billed as estimated', async () => {
    const key = await stack.key();
    await stack.control('next', { cut_after_chunks: 5 });
    const stream = await stack.client(key).responses.create({ model: 'deepseek-v4-flash', input: 'Cut #tokens=40', stream: true });
    const error = await collect(stream).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);

    await stack.control('next', { cut_after_chunks: 5 });
    const raw = await fetch(`${stack.gw.url}/v1/responses`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-flash', input: 'Cut #tokens=40', stream: true }) });
    const frames = (await raw.text()).split('\n\n').filter((f) => f !== '');
    const errors = frames.filter((f) => f.startsWith('event: error\n'));
    expect(errors).toHaveLength(1);
    const body = JSON.parse(errors[0]!.split('data: ')[1]!) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'error', code: 'upstream_error', param: null, sequence_number: 5 });
    expect(typeof body.message).toBe('string');
    expect(rowsOf(key).map((r) => [r.basis, r.http_status])).toEqual([
      ['estimated', 502],
      ['estimated', 502],
    ]);
  });

  it('forwards reasoning items unchanged on a tool loop, and previous_response_id and store as sent (DeepSeek ignores them)', async () => {
    const key = await stack.key();
    const client = stack.client(key);
    const first = await client.responses.create({ model: 'deepseek-v4-flash', input: 'Please call get_weather for Paris', tools: [WEATHER], store: false });
    const call = first.output.find((item) => item.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe('get_weather');
    const reasoning = first.output.find((item) => item.type === 'reasoning')!;
    const history: ResponseInputItem[] = [{ role: 'user', content: 'Please call get_weather for Paris' }, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: 'Sunny' }];
    const second = await client.responses.create({ model: 'deepseek-v4-flash', input: history, tools: [WEATHER], previous_response_id: first.id });
    expect(second.status).toBe('completed');
    const sent = await lastSent();
    expect((sent.body.input as unknown[])[1]).toEqual(JSON.parse(JSON.stringify(reasoning)));
    expect(sent.body.previous_response_id).toBe(first.id);
    // without its reasoning item DeepSeek refuses the turn: its 400 comes through unchanged
    const dropped = history.filter((item) => (item as { type?: string }).type !== 'reasoning');
    const refused = await client.responses.create({ model: 'deepseek-v4-flash', input: dropped, tools: [WEATHER] }).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('reasoning_text');
    expect(rowsOf(key).map((r) => r.http_status)).toEqual([200, 200, 400]);
  });

  it('bills cached input at the hit price: input_tokens includes cached_tokens', async () => {
    const key = await stack.key();
    const long = Array.from({ length: 300 }, (_, i) => `token${i}`).join(' ');
    const ask = { model: 'deepseek-v4-flash', input: `${long} #tokens=3`, reasoning: { effort: 'none' as const } };
    const a = await stack.client(key).responses.create(ask);
    const b = await stack.client(key).responses.create(ask);
    expect(b.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(250);
    expect(b.usage!.input_tokens).toBe(a.usage!.input_tokens);
    const rows = rowsOf(key);
    expect(tokensOf(rows[1]!)).toEqual(tokensIn(b.usage!));
    expect((rows[1]!.cache_hit_tokens as number) + (rows[1]!.cache_miss_tokens as number)).toBe(a.usage!.input_tokens);
    expectPricedExactly(rows[1]!);
  });

  it('answers the gateway’s own errors in OpenAI’s shape', async () => {
    const bad = await fetch(`${stack.gw.url}/v1/responses`, { method: 'POST', headers: bearer('sk-gateway-0000000000000000000000000000000000000009'), body: '{}' });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    const starter = await stack.key({ planId: 'starter' });
    const pro = await fetch(`${stack.gw.url}/responses`, { method: 'POST', headers: bearer(starter), body: JSON.stringify({ model: 'deepseek-v4-pro', input: 'hi' }) });
    expect(pro.status).toBe(403);
    expect(((await pro.json()) as { error: { code: string } }).error.code).toBe('model_not_allowed');
    const schema = await fetch(`${stack.gw.url}/responses`, { method: 'POST', headers: bearer(starter), body: JSON.stringify({ model: 'deepseek-v4-flash', input: 3 }) });
    expect(schema.status).toBe(400);
    expect(((await schema.json()) as { error: { param: string } }).error.param).toBe('input');
    expect(rowsOf(starter)).toHaveLength(0);
  });
});
