// The DeepSeek simulator's Anthropic stream (A.6's event sequence, cumulative usage), its prefix
// cache as the gateway bills it, the server-side web tools, failure injection, and the official
// @anthropic-ai/sdk driving a two-turn tool loop with thinking on.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import Anthropic from '@anthropic-ai/sdk';
import { countSimTokens } from '../../server/simulators/deepseek';
import { namedEvents, postTo, readToEnd, SIM_KEY, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;
let client: Anthropic;
const headers = { 'x-api-key': SIM_KEY, 'anthropic-version': '2023-06-01' };
const WEATHER = { name: 'get_weather', description: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };

beforeAll(() => {
  sim = startSim();
  client = new Anthropic({ baseURL: `${sim.url}/anthropic`, apiKey: SIM_KEY, maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

const messages = (body: Record<string, unknown>) => postTo(sim, '/anthropic/v1/messages', { model: 'claude-sonnet-5-5', max_tokens: 1024, ...body }, headers);
const stream = async (body: Record<string, unknown>) => {
  const r = await messages({ ...body, stream: true });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toStartWith('text/event-stream');
  return namedEvents(await r.text());
};

describe('the stream', () => {
  test("message_start, ping, thinking (deltas, signature), text, message_delta with cumulative usage, message_stop; no [DONE]", async () => {
    const body = { messages: [{ role: 'user', content: 'stream me #think=3 #tokens=4' }] };
    const events = await stream(body);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0]!.data.message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', content: [], stop_reason: null });
    expect(start.usage.output_tokens).toBe(1);
    expect(events[2]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } });
    expect(events.slice(3, 6).every((e) => e.data.delta.type === 'thinking_delta' && countSimTokens(e.data.delta.thinking) === 1)).toBe(true);
    expect(events[6]!.data.delta).toEqual({ type: 'signature_delta', signature: start.id });
    expect(events[8]!.data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } });
    expect(events.slice(9, 13).every((e) => e.data.index === 1 && e.data.delta.type === 'text_delta')).toBe(true);

    const delta = events.at(-2)!.data;
    expect(delta.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    // Cumulative output (3 thinking + 4 text), and the input fields repeated as in message_start.
    expect(delta.usage).toEqual({ input_tokens: start.usage.input_tokens, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: start.usage.cache_read_input_tokens });
    // The same request again, not streamed: the same answer; its prompt is now a cache hit.
    const plain = await (await messages(body)).json();
    expect(plain.usage).toEqual({ input_tokens: 0, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: start.usage.input_tokens });
    expect(events.map((e) => e.data.delta?.text ?? '').join('')).toBe(plain.content[1].text);
  });

  test('a tool_use block streams its arguments as input_json_delta and ends with stop_reason tool_use', async () => {
    const events = await stream({ tools: [WEATHER], messages: [{ role: 'user', content: 'Please call get_weather #think=2' }] });
    const startUse = events.find((e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use')!.data;
    expect(startUse.content_block).toEqual({ type: 'tool_use', id: expect.stringMatching(/^call_00_/), name: 'get_weather', input: {} });
    const json = events.filter((e) => e.data.index === startUse.index && e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json);
    expect(json.length).toBeGreaterThan(1);
    expect(Object.keys(JSON.parse(json.join('')))).toEqual(['city']);
    const final = events.at(-2)!.data;
    expect(final.delta.stop_reason).toBe('tool_use');
    expect(final.usage.output_tokens).toBe(2 + countSimTokens('get_weather') + json.length);
  });
});

describe('usage the gateway bills from', () => {
  test('the same long prompt twice: input_tokens is the miss, cache_read the hit, never both', async () => {
    const body = { metadata: { user_id: 'buyer_7' }, system: 'You are a careful assistant. '.repeat(30), messages: [{ role: 'user', content: 'Tell me about lanterns. '.repeat(10) }] };
    const first = (await (await messages(body)).json()).usage;
    expect(first.cache_read_input_tokens).toBe(0);
    expect(first.input_tokens).toBeGreaterThan(200);
    const second = (await (await messages(body)).json()).usage;
    expect(second).toMatchObject({ input_tokens: 0, cache_read_input_tokens: first.input_tokens, cache_creation_input_tokens: 0 });
    expect(second.input_tokens + second.cache_read_input_tokens).toBe(first.input_tokens);

    // Streamed, the hit is in message_start and repeated (not added) in message_delta.
    const events = await stream(body);
    expect(events[0]!.data.message.usage).toMatchObject({ input_tokens: 0, cache_read_input_tokens: first.input_tokens });
    expect(events.at(-2)!.data.usage).toMatchObject({ input_tokens: 0, cache_read_input_tokens: first.input_tokens, output_tokens: first.output_tokens });
  });

  test('the cache follows the conversation across protocols (one tokenizer): a chat request hits what Messages stored', async () => {
    const system = 'A long shared system prompt about harbors. '.repeat(20);
    const question = 'What about the lanterns?';
    const viaMessages = (await (await messages({ metadata: { user_id: 'u1' }, system, messages: [{ role: 'user', content: question }] })).json()).usage;
    const chat = await (await postTo(sim, '/chat/completions', { model: 'deepseek-flash', user_id: 'u1', messages: [{ role: 'system', content: system }, { role: 'user', content: question }] })).json();
    expect(chat.usage.prompt_tokens).toBe(viaMessages.input_tokens);
    expect(chat.usage.prompt_cache_hit_tokens).toBe(viaMessages.input_tokens);
  });
});

describe('server-side web search', () => {
  test('web_search_20250305: server_tool_use + web_search_tool_result blocks before the text, and usage.server_tool_use', async () => {
    const m = await (await messages({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }], messages: [{ role: 'user', content: 'What is new? #searches=2 #tokens=6' }] })).json();
    expect(m.content.map((b: any) => b.type)).toEqual(['thinking', 'server_tool_use', 'web_search_tool_result', 'server_tool_use', 'web_search_tool_result', 'text']);
    const use = m.content[1];
    expect(use).toEqual({ type: 'server_tool_use', id: expect.stringMatching(/^call_00_/), name: 'web_search', input: { query: expect.any(String) }, caller: { type: 'direct' } });
    expect(m.content[2].tool_use_id).toBe(use.id);
    expect(m.content[2].content[0]).toEqual({ type: 'web_search_result', title: expect.any(String), url: expect.stringMatching(/^https:\/\//), encrypted_content: expect.any(String), page_age: null });
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.server_tool_use).toEqual({ web_search_requests: 2, web_fetch_requests: 0 });
    // The searches cost calls, not tokens.
    expect(m.usage.output_tokens).toBe(countSimTokens(m.content[0].thinking) + 6);

    // Passed back in the next turn, the blocks are accepted.
    const next = await messages({ tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'What is new?' }, { role: 'assistant', content: m.content }, { role: 'user', content: 'thanks #searches=0' }] });
    expect(next.status).toBe(200);
    expect((await next.json()).usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 0 });
  });

  test("deepseek_read_url reads the user's links (web_fetch_tool_result); streamed blocks carry the same", async () => {
    const events = await stream({
      thinking: { type: 'disabled' },
      tools: [{ type: 'deepseek_read_url', name: 'deepseek_read_url' }],
      messages: [{ role: 'user', content: 'Summarise https://example.org/post please' }],
    });
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block);
    expect(starts.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    expect(starts[0].name).toBe('deepseek_read_url');
    const partial = events.find((e) => e.data.delta?.type === 'input_json_delta')!.data.delta.partial_json;
    expect(JSON.parse(partial)).toEqual({ url: 'https://example.org/post' });
    expect(starts[1].content.url).toBe('https://example.org/post');
    expect(events.at(-2)!.data.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 1 });
  });
});

describe('failure injection', () => {
  test("fail_after_chunks ends the stream with Anthropic's error event; cut_after_chunks breaks it", async () => {
    await simControl(sim, 'next', { fail_after_chunks: 4 });
    const failed = await readToEnd(await messages({ stream: true, messages: [{ role: 'user', content: 'x #tokens=30' }] }));
    expect(failed.broken).toBe(false);
    const events = namedEvents(failed.text);
    expect(events).toHaveLength(5);
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });

    await simControl(sim, 'next', { cut_after_chunks: 3 });
    const cut = await readToEnd(await messages({ stream: true, messages: [{ role: 'user', content: 'x #tokens=30' }] }));
    expect(cut.broken).toBe(true);
    expect(cut.text).not.toContain('message_stop');
  });

  test('finish_reason content_filter → refusal, length → max_tokens, with the usage of what was generated; queue_ms sends keep-alives first', async () => {
    await simControl(sim, 'next', { finish_reason: 'content_filter' });
    const refused = await (await messages({ thinking: { type: 'disabled' }, messages: [{ role: 'user', content: 'x #tokens=20' }] })).json();
    expect(refused.stop_reason).toBe('refusal');
    expect(refused.usage.output_tokens).toBe(10);
    await simControl(sim, 'next', { finish_reason: 'length' });
    expect((await (await messages({ messages: [{ role: 'user', content: 'x' }] })).json()).stop_reason).toBe('max_tokens');

    await simControl(sim, 'next', { queue_ms: 150 });
    const text = await (await messages({ stream: true, messages: [{ role: 'user', content: 'x #tokens=2' }] })).text();
    const frames = text.split('\n\n');
    expect(frames[0]).toBe(': keep-alive');
    expect(frames.find((f) => !f.startsWith(':'))).toStartWith('event: message_start');
  });
});

describe('the official Anthropic SDK', () => {
  test('messages.create and messages.stream: a two-turn tool loop with thinking on', async () => {
    const tools = [WEATHER];
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris? Please call get_weather.' }];
    const s = client.messages.stream({ model: 'claude-opus-5-5', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages: history });
    const turn1 = await s.finalMessage();
    expect(turn1.stop_reason).toBe('tool_use');
    const thinking = turn1.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.type).toBe('thinking');
    expect(thinking.signature).toBe(turn1.id);
    const use = turn1.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(typeof (use.input as { city: string }).city).toBe('string');
    expect(turn1.usage.output_tokens).toBe(countSimTokens(thinking.thinking) + countSimTokens('get_weather') + countSimTokens(JSON.stringify(use.input)));

    history.push({ role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 C and sunny' }] });
    const turn2 = await client.messages.create({ model: 'claude-opus-5-5', max_tokens: 2048, tools, messages: history });
    expect(turn2.stop_reason).toBe('end_turn');
    expect(turn2.model).toBe('claude-opus-5-5');
    expect(turn2.content.map((b) => b.type)).toEqual(['thinking', 'text']);

    // Dropping the thinking block is DeepSeek's 400, surfaced by the SDK as an APIError.
    history[1] = { role: 'assistant', content: [use] };
    const err = await client.messages.create({ model: 'claude-opus-5-5', max_tokens: 2048, tools, messages: history }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.message).toContain('content[].thinking');
  });

  test('a mid-stream error event surfaces as an error from the SDK stream', async () => {
    await simControl(sim, 'next', { fail_after_chunks: 5 });
    const s = client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'x #tokens=40' }] });
    const err = await s.finalMessage().then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err.message)).toContain('Overloaded');
  });
});
