import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { KEY_AUTH_FAILURE_LIMIT } from '../../server/modules/metering/auth-failures';
import { startTestGateway } from '../helpers/gateway';
import { keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// Anthropic Messages through the gateway with the official @anthropic-ai/sdk, against the
// DeepSeek simulator's Anthropic endpoint: relayed untouched but for the model and user_id,
// metered like chat, the gateway's own errors in Anthropic's shape.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: '65536' } });
});
afterAll(() => stack.close());

type Row = Record<string, unknown>;
const sdk = (key: string, opts: { bearer?: boolean; base?: string } = {}) =>
  new Anthropic({ baseURL: opts.base ?? `${stack.gw.url}/anthropic`, ...(opts.bearer ? { authToken: key, apiKey: null } : { apiKey: key }), maxRetries: 0, timeout: 20_000 });
const rowsOf = (key: string): Row[] => ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
const messagesSent = async () => (await stack.upstreamRequests()).filter((r) => r.path.startsWith('/anthropic/'));

/** The row's cost from its own prices, and those prices are the price book's for its period. */
function expectPricedExactly(row: Row, model = 'deepseek-v4-flash'): void {
  const book = stack.gw.deps.catalog.pricesFor(model, row.period as 'peak' | 'off_peak');
  expect({ hit: row.cache_hit_price_nano, miss: row.cache_miss_price_nano, output: row.output_price_nano }).toEqual({ hit: book.cacheHitNano, miss: book.cacheMissNano, output: book.outputNano });
  const cost = (row.cache_hit_tokens as number) * book.cacheHitNano + (row.cache_miss_tokens as number) * book.cacheMissNano + (row.output_tokens as number) * book.outputNano;
  expect(row.cost_nano).toBe(cost);
}

const WEATHER_TOOL = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

describe('Anthropic Messages with the official SDK', () => {
  it('creates a message: the requested name echoed, thinking signed, one ledger row priced exactly', async () => {
    const key = await stack.key();
    const message = await sdk(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 300, messages: [{ role: 'user', content: 'Say hello #tokens=6' }] });
    expect(message.model).toBe('claude-sonnet-4-6');
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const thinking = message.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.signature).toBe(message.id);
    expect((message.content[1] as Anthropic.TextBlock).text.split(' ')).toHaveLength(6);
    const sent = (await messagesSent()).at(-1)!;
    expect(sent.path).toBe('/anthropic/v1/messages');
    expect(sent.body).toMatchObject({ model: 'deepseek-flash', max_tokens: 300 });
    const [row, ...more] = rowsOf(key);
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ protocol: 'anthropic', public_model: 'deepseek-v4-flash', basis: 'upstream', http_status: 200, stream: 0, finish_reason: 'end_turn' });
    expect({ miss: row!.cache_miss_tokens, hit: row!.cache_hit_tokens, output: row!.output_tokens }).toEqual({
      miss: message.usage.input_tokens,
      hit: message.usage.cache_read_input_tokens ?? 0,
      output: message.usage.output_tokens,
    });
    expectPricedExactly(row!);
    expect(keyRow(stack, key).spent_nano).toBe(row!.cost_nano as number);
  });

  it('streams: every event as DeepSeek sent it, the usage of the last message_delta billed once, the cost comment at the end', async () => {
    const key = await stack.key();
    const stream = sdk(key).messages.stream({ model: 'deepseek-v4-flash', max_tokens: 300, messages: [{ role: 'user', content: 'Stream please #tokens=8 #think=4' }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((final.content[0] as Anthropic.ThinkingBlock).signature).toBe(final.id);
    expect(final.model).toBe('deepseek-v4-flash');
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ protocol: 'anthropic', basis: 'upstream', stream: 1, http_status: 200, finish_reason: 'end_turn' });
    // the simulator's last message_delta repeats the input fields: taken, never added to message_start's
    expect(row!.cache_miss_tokens as number).toBe(final.usage.input_tokens);
    expect(row!.cache_hit_tokens as number).toBe(final.usage.cache_read_input_tokens ?? 0);
    expect(row!.output_tokens as number).toBe(final.usage.output_tokens);
    expectPricedExactly(row!);

    const raw = await fetch(`${stack.gw.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Raw #tokens=3' }] }),
    });
    const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
    expect(events.at(-2)).toStartWith('event: message_stop\n');
    expect(events.at(-1)).toMatch(/^: x-tollgate-cost-usd=\d+\.\d{9} x-tollgate-remaining-usd=\d+\.\d{9}$/);
    expect(events.some((e) => e.includes('[DONE]'))).toBe(false);
    expect(events.find((e) => e.includes('signature_delta'))).toBeDefined();
    expect(events).toContain('event: ping\ndata: {"type":"ping"}');
  });

  for (const streamed of [false, true]) {
    it(`runs a tool loop over two turns with thinking on${streamed ? ', streamed' : ''}: the thinking block goes back untouched and DeepSeek accepts it`, async () => {
      const key = await stack.key();
      const client = sdk(key);
      const first = { model: 'deepseek-v4-flash', max_tokens: 400, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [WEATHER_TOOL], messages: [{ role: 'user' as const, content: 'Please call get_weather for Paris' }] };
      const turn1 = streamed ? await client.messages.stream(first).finalMessage() : await client.messages.create(first);
      expect(turn1.stop_reason).toBe('tool_use');
      const call = turn1.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      expect(call.id).toMatch(/^call_00_[A-Za-z0-9]{24}$/);
      expect(turn1.content[0]!.type).toBe('thinking');
      const second = {
        ...first,
        messages: [
          ...first.messages,
          { role: 'assistant' as const, content: turn1.content },
          { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: call.id, content: 'Sunny, 21 °C' }] },
        ],
      };
      const turn2 = streamed ? await client.messages.stream(second).finalMessage() : await client.messages.create(second);
      expect(turn2.stop_reason).toBe('end_turn');
      const sent = (await messagesSent()).at(-1)!.body as { messages: { content: unknown }[] };
      // the assistant turn reached DeepSeek exactly as the SDK had it: thinking and its signature included
      expect(sent.messages[1]!.content).toEqual(JSON.parse(JSON.stringify(turn1.content)));
      expect(rowsOf(key).map((r) => r.finish_reason)).toEqual(['tool_use', 'end_turn']);
    });
  }

  it('passes images, the system array and unknown fields up untouched; user_id becomes the key’s own id', async () => {
    const key = await stack.key();
    const image = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: 'iVBORw0KGgo=' } };
    const system = [
      { type: 'text' as const, text: 'x-anthropic-billing-header: cc_version=2.1.63.257; cc_entrypoint=cli; cch=a3d97;' },
      { type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } },
    ];
    // top_k: a field this SDK version no longer types, which DeepSeek ignores
    const params = {
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      system,
      metadata: { user_id: JSON.stringify({ device_id: 'abc', session_id: 'def' }) },
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'What is this? #tokens=2' }, image] }],
      top_k: 5,
    };
    await sdk(key).messages.create(params as Anthropic.MessageCreateParamsNonStreaming);
    const sent = (await messagesSent()).at(-1)!;
    expect(sent.body.system).toEqual(system);
    expect((sent.body.messages as { content: unknown[] }[])[0]!.content[1]).toEqual(image);
    expect(sent.body.top_k).toBe(5);
    expect(String((sent.body.metadata as { user_id: string }).user_id)).toMatch(/^tg-[A-Za-z0-9]{24}$/);
    // anthropic-version and anthropic-beta are DeepSeek's to ignore: not forwarded, nor the buyer's key
    expect(sent.headers['anthropic-version']).toBeUndefined();
    expect(String(sent.headers.authorization)).not.toContain(key);
  });

  it('takes the key as x-api-key or bearer, Authorization winning when both are sent, on every path and with ?beta=true', async () => {
    const key = await stack.key();
    const body = JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 20, messages: [{ role: 'user', content: 'hi #tokens=1' }] });
    const post = (path: string, headers: Record<string, string>) => fetch(`${stack.gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await sdk(key, { bearer: true }).messages.create({ model: 'deepseek-v4-flash', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })).type).toBe('message');
    expect((await sdk(key, { base: stack.gw.url }).messages.create({ model: 'deepseek-v4-flash', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })).type).toBe('message');
    for (const path of ['/anthropic/v1/messages?beta=true', '/anthropic/messages', '/v1/messages?beta=true']) expect((await post(path, { 'x-api-key': key })).status).toBe(200);
    expect((await post('/v1/messages', { authorization: `Bearer ${key}`, 'x-api-key': 'sk-gateway-wrong' })).status).toBe(200);
    const refused = await post('/v1/messages', { authorization: 'Bearer sk-gateway-0000000000000000000000000000000000000000', 'x-api-key': key });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('counts unknown keys sent as x-api-key toward the address’s lockout, answering 429 in Anthropic’s shape', async () => {
    const key = await stack.key();
    const from = '203.0.113.77';
    const post = (apiKey: string) =>
      fetch(`${stack.gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-forwarded-for': from, 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
      });
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT; i++) expect((await post(`sk-gateway-${String(i).padStart(40, 'X')}`)).status).toBe(401);
    const locked = await post(`sk-gateway-${'Y'.repeat(40)}`);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    // the buyer behind that address still gets through (slowed)
    expect((await post(key)).status).toBe(200);
  });

  it('bills a repeated long prompt as cache hits the second time, never counting a token twice', async () => {
    const key = await stack.key();
    const client = sdk(key);
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const ask = { model: 'deepseek-v4-flash', max_tokens: 50, thinking: { type: 'disabled' as const }, messages: [{ role: 'user' as const, content: `${long} #tokens=3` }] };
    const first = await client.messages.create(ask);
    const second = await client.messages.stream(ask).finalMessage();
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBeGreaterThan(250);
    // the three input buckets do not overlap: hit + miss the second time is the whole prompt of the first
    expect(second.usage.input_tokens + second.usage.cache_read_input_tokens!).toBe(first.usage.input_tokens);
    const [a, b] = rowsOf(key);
    expect({ hit: a!.cache_hit_tokens, miss: a!.cache_miss_tokens }).toEqual({ hit: 0, miss: first.usage.input_tokens });
    expect({ hit: b!.cache_hit_tokens, miss: b!.cache_miss_tokens, output: b!.output_tokens }).toEqual({
      hit: second.usage.cache_read_input_tokens,
      miss: second.usage.input_tokens,
      output: second.usage.output_tokens,
    });
    expectPricedExactly(a!);
    expectPricedExactly(b!);
    expect(b!.cost_nano as number).toBeLessThan(a!.cost_nano as number);
    expect(keyRow(stack, key).spent_nano).toBe((a!.cost_nano as number) + (b!.cost_nano as number));
  });

  it('counts tokens locally and free, with the key and model checked', async () => {
    const key = await stack.key();
    const client = sdk(key);
    const short = await client.messages.countTokens({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Hello there' }] });
    const long = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      system: 'You are a careful assistant.',
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Hello there, what is the weather like in Paris today and tomorrow?' }],
    });
    expect(short.input_tokens).toBeGreaterThan(2);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 20);
    const plain = await fetch(`${stack.gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Hello there' }] }) });
    expect(await plain.json()).toEqual({ input_tokens: short.input_tokens });
    expect(rowsOf(key)).toHaveLength(0);
    expect(keyRow(stack, key).spent_nano).toBe(0);
    expect((await stack.upstreamRequests()).some((r) => r.path.includes('count_tokens'))).toBe(false);
    const bad = await fetch(`${stack.gw.url}/anthropic/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': 'sk-gateway-nope', 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    const refused = await sdk(await stack.key({ planId: 'starter' }))
      .messages.countTokens({ model: 'claude-opus-4', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it('answers HEAD / with 200 (Claude Code’s reachability probe)', async () => {
    const res = await fetch(`${stack.gw.url}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});

describe('errors in Anthropic’s shape', () => {
  /** The SDK's error for a request: its status, Anthropic's body, its headers. */
  async function refusal(key: string, params: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}, base?: string) {
    try {
      await sdk(key, { base }).messages.create({ model: 'deepseek-v4-flash', max_tokens: 50, messages: [{ role: 'user', content: 'hi #tokens=2' }], ...params });
    } catch (error) {
      if (!(error instanceof Anthropic.APIError)) throw error;
      return { status: error.status, body: error.error as { type: string; error: { type: string; message: string } }, headers: error.headers, error };
    }
    throw new Error('the request was not refused');
  }

  it('401 authentication_error for a bad key, 402 billing_error for an empty budget, 403 permission_error for claude-opus on starter, 404 not_found_error for an unknown model', async () => {
    const bad = await refusal('sk-gateway-0000000000000000000000000000000000000001');
    expect(bad).toMatchObject({ status: 401, body: { type: 'error', error: { type: 'authentication_error' } } });
    expect(bad.error).toBeInstanceOf(Anthropic.AuthenticationError);

    const empty = await stack.key({ budget: '0' });
    expect(await refusal(empty)).toMatchObject({ status: 402, body: { type: 'error', error: { type: 'billing_error' } } });

    const starter = await stack.key({ planId: 'starter' });
    const opus = await refusal(starter, { model: 'claude-opus-4' });
    expect(opus).toMatchObject({ status: 403, body: { type: 'error', error: { type: 'permission_error' } } });
    expect(opus.error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(opus.body.error.message).toContain('claude-opus-4 (deepseek-v4-pro)');
    // a pro key asking for claude-opus-4 gets the pro model, priced as pro
    const pro = await stack.key();
    await sdk(pro).messages.create({ model: 'claude-opus-4-1[1m]', max_tokens: 30, messages: [{ role: 'user', content: 'hi #tokens=2' }] });
    const [proRow] = rowsOf(pro);
    expect(proRow).toMatchObject({ public_model: 'deepseek-v4-pro', upstream_model: 'deepseek-v4-pro' });
    expectPricedExactly(proRow!, 'deepseek-v4-pro');

    const unknown = await refusal(await stack.key(), { model: 'gpt-4' });
    expect(unknown).toMatchObject({ status: 404, body: { type: 'error', error: { type: 'not_found_error' } } });
    expect(unknown.error).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('413 request_too_large, 429 rate_limit_error with retry-after', async () => {
    const big = await refusal(await stack.key(), { messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    expect(big).toMatchObject({ status: 413, body: { type: 'error', error: { type: 'request_too_large' } } });

    const limited = await stack.key({ rpmOverride: 1 });
    await sdk(limited).messages.create({ model: 'deepseek-v4-flash', max_tokens: 20, messages: [{ role: 'user', content: 'one #tokens=1' }] });
    const second = await refusal(limited);
    expect(second).toMatchObject({ status: 429, body: { type: 'error', error: { type: 'rate_limit_error' } } });
    expect(second.error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number(second.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(rowsOf(limited)).toHaveLength(1);
  });

  it('529 overloaded_error when no upstream can be reached', async () => {
    const gw = await startTestGateway({ env: { DEEPSEEK_API_KEY: 'sk-upstream-none', DEEPSEEK_BASE_URL: 'http://127.0.0.1:9'} });
    try {
      const key = (await gw.deps.metering.createKey({ planId: 'pro' })).key;
      const overloaded = await refusal(key, {}, `${gw.url}/anthropic`);
      expect(overloaded).toMatchObject({ status: 529, body: { type: 'error', error: { type: 'overloaded_error' } } });
      expect(overloaded.error).toBeInstanceOf(Anthropic.InternalServerError);
      expect(gw.deps.metering.holdsTotal().count).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('passes DeepSeek’s own refusal through unchanged, status and body', async () => {
    const key = await stack.key();
    const res = await fetch(`${stack.gw.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 50, tools: [WEATHER_TOOL], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe('Thinking mode does not support this tool_choice');
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ http_status: 400, cost_nano: 0 });
  });

  it('after a stream began: DeepSeek’s own event: error passes on; a break becomes one api_error event; both are billed', async () => {
    const key = await stack.key();
    await stack.control('next', { fail_after_chunks: 4 });
    const failing = sdk(key).messages.stream({ model: 'deepseek-v4-flash', max_tokens: 200, messages: [{ role: 'user', content: 'long #tokens=40' }] });
    await expect(failing.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);

    await stack.control('next', { cut_after_chunks: 4 });
    const raw = await fetch(`${stack.gw.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 200, stream: true, messages: [{ role: 'user', content: 'long #tokens=40' }] }),
    });
    const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
    const errors = events.filter((e) => e.startsWith('event: error'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!.split('data: ')[1]!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const rows = rowsOf(key);
    expect(rows.map((r) => [r.basis, r.http_status])).toEqual([
      ['estimated', 502],
      ['estimated', 502],
    ]);
    expect(rows.every((r) => (r.cache_miss_tokens as number) + (r.cache_hit_tokens as number) > 0 && (r.cost_nano as number) > 0)).toBe(true);
    // message_start said what the input was: the estimate bills that (hits at the hit price), not a tokenizer count
    const start = JSON.parse(events[0]!.split('data: ')[1]!) as { message: { usage: { input_tokens: number; cache_read_input_tokens: number } } };
    expect({ miss: rows[1]!.cache_miss_tokens, hit: rows[1]!.cache_hit_tokens }).toEqual({ miss: start.message.usage.input_tokens, hit: start.message.usage.cache_read_input_tokens });
    expect(rows[1]!.output_tokens as number).toBeGreaterThan(0);
    expect(keyRow(stack, key).spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
  });
});
