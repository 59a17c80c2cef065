// The DeepSeek simulator's Anthropic Messages endpoint: body shape, auth headers, model mapping,
// metadata.user_id, thinking passback, tools and DeepSeek's errors on this endpoint.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import {
  countPromptTokens,
  countSimTokens,
  DEFAULT_CONTENT_TOKENS,
  DEFAULT_REASONING_TOKENS,
  INVALID_USER_ID,
  startDeepSeekSimulator,
  THINKING_BLOCK_MISSING,
  THINKING_TOOL_CHOICE,
} from '../../server/simulators/deepseek';
import { postTo, SIM_KEY, SIM_KEY_B, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const xKey = (key = SIM_KEY) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });
const WEATHER = { name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

beforeAll(() => {
  sim = startSim();
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

const messages = (path: string, body: Record<string, unknown>, headers: Record<string, string> = xKey()) =>
  postTo(sim, path, { model: 'claude-sonnet-5-5', max_tokens: 1024, ...body }, headers);

const deepseekError = (message: string) => ({ error: { message, type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });

describe('the message body', () => {
  test('[thinking (signed), text], the requested model echoed, usage with input = miss and output incl. thinking', async () => {
    for (const path of ['/anthropic/v1/messages', '/anthropic/messages', '/anthropic/v1/messages?beta=true']) {
      const r = await messages(path, { system: 'You are terse.', messages: [{ role: 'user', content: 'Hi there' }] });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      const m = await r.json();
      expect(m.id).toMatch(UUID);
      expect(m).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', stop_reason: 'end_turn', stop_sequence: null });
      expect(m.content.map((b: any) => b.type)).toEqual(['thinking', 'text']);
      expect(m.content[0].signature).toBe(m.id);
      expect(countSimTokens(m.content[0].thinking)).toBe(DEFAULT_REASONING_TOKENS);
      expect(countSimTokens(m.content[1].text)).toBe(DEFAULT_CONTENT_TOKENS);
      const prompt = countPromptTokens([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi there' }]);
      expect(m.usage).toEqual({ input_tokens: prompt, output_tokens: DEFAULT_REASONING_TOKENS + DEFAULT_CONTENT_TOKENS, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      await simControl(sim, 'reset');
    }
  });

  test('thinking disabled: only text; a system array, images and tool results are accepted', async () => {
    const off = await (await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, messages: [{ role: 'user', content: 'hi #tokens=4' }] })).json();
    expect(off.content).toEqual([{ type: 'text', text: expect.any(String) }]);
    expect(off.usage.output_tokens).toBe(4);

    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
    const rich = await messages('/anthropic/v1/messages', {
      system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1;' }, { type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, image] }],
    });
    expect(rich.status).toBe(200);
    const body = await rich.json();
    // The image costs nothing in the simulator; the text does.
    const text = countPromptTokens([{ role: 'system', content: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1;' }, { type: 'text', text: 'Be brief.' }] }, { role: 'user', content: 'What is this?' }]);
    expect(body.usage.input_tokens).toBe(text);
  });

  test('stop_sequences and max_tokens end with their stop reasons', async () => {
    const full = await (await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, messages: [{ role: 'user', content: 'say #tokens=12' }] })).json();
    const words = full.content[0].text.split(' ');
    const stop = ` ${words[6]}`;
    const stopped = await (await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, stop_sequences: [stop], messages: [{ role: 'user', content: 'say #tokens=12' }] })).json();
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe(stop);
    expect(stopped.content[0].text).toBe(full.content[0].text.slice(0, full.content[0].text.indexOf(stop)));

    const capped = await (await messages('/anthropic/v1/messages', { max_tokens: 5, messages: [{ role: 'user', content: 'say #think=3 #tokens=12' }] })).json();
    expect(capped.stop_reason).toBe('max_tokens');
    expect(capped.usage.output_tokens).toBe(5);
    expect(countSimTokens(capped.content[1].text)).toBe(2);
  });
});

describe('auth headers', () => {
  test('x-api-key or Authorization: Bearer; when both are sent, Authorization wins', async () => {
    const body = { messages: [{ role: 'user', content: 'hi' }] };
    expect((await messages('/anthropic/v1/messages', body, xKey())).status).toBe(200);
    expect((await messages('/anthropic/v1/messages', body, { authorization: `Bearer ${SIM_KEY_B}` })).status).toBe(200);
    expect((await messages('/anthropic/v1/messages', body, { authorization: `Bearer ${SIM_KEY}`, 'x-api-key': 'sk-wrong-0000' })).status).toBe(200);
    const wrongBearer = await messages('/anthropic/v1/messages', body, { authorization: 'Bearer sk-wrong-9999', 'x-api-key': SIM_KEY });
    expect(wrongBearer.status).toBe(401);
    expect((await wrongBearer.json()).error.message).toContain('****9999');
    const none = await messages('/anthropic/v1/messages', body, {});
    expect(none.status).toBe(401);
    expect((await none.json()).error.type).toBe('authentication_error');
  });

  test('anthropic-version and anthropic-beta are ignored; the key is masked in the request log', async () => {
    const r = await messages('/anthropic/v1/messages', { messages: [{ role: 'user', content: 'hi' }] }, { ...xKey(), 'anthropic-version': '1999-01-01', 'anthropic-beta': 'no-such-beta,claude-code-20250219' });
    expect(r.status).toBe(200);
    const log = await (await fetch(`${sim.url}/_control/requests`)).json();
    expect(log.data[0].headers['x-api-key']).toBe('****1234');
    expect(JSON.stringify(log)).not.toContain(SIM_KEY);
  });
});

describe('models', () => {
  test('claude-opus* maps to deepseek-v4-pro and other claude* to deepseek-flash (seen from what is served)', async () => {
    const flashOnly = startDeepSeekSimulator({ keys: [SIM_KEY], models: ['deepseek-flash'] });
    try {
      const ask = (model: string) => postTo(flashOnly, '/anthropic/v1/messages', { model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, xKey());
      for (const model of ['claude-sonnet-5-5', 'claude-haiku-4-5', 'claude-3-7-sonnet-latest', 'deepseek-flash', 'deepseek-v4-flash']) {
        const r = await ask(model);
        expect(r.status).toBe(200);
        expect((await r.json()).model).toBe(model);
      }
      for (const model of ['claude-opus-5-5', 'claude-opus-4-1', 'deepseek-v4-pro']) {
        const r = await ask(model);
        expect(r.status).toBe(400);
        expect(await r.json()).toEqual(deepseekError('Model Not Exist'));
      }
    } finally {
      await flashOnly.stop();
    }
    for (const model of ['claude-opus-5-5', 'deepseek-v4-pro']) expect((await messages('/anthropic/v1/messages', { model, messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    expect((await messages('/anthropic/v1/messages', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(400);
  });
});

describe('metadata.user_id', () => {
  test("must match ^[a-zA-Z0-9_-]+$ (≤512) — Claude Code's JSON string is a 400 — and keys the prefix cache", async () => {
    const claudeCode = JSON.stringify({ device_id: 'ea10', session_id: 'db60-4993' });
    for (const user_id of [claudeCode, 'a'.repeat(513), '', 'has space']) {
      const r = await messages('/anthropic/v1/messages', { metadata: { user_id }, messages: [{ role: 'user', content: 'hi' }] });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual(deepseekError(INVALID_USER_ID));
    }
    const long = 'A long question about harbors and lanterns. '.repeat(10);
    const ask = async (user_id: string) => (await (await messages('/anthropic/v1/messages', { metadata: { user_id }, messages: [{ role: 'user', content: long }] })).json()).usage;
    expect((await ask('buyer_1')).cache_read_input_tokens).toBe(0);
    expect((await ask('buyer_1')).cache_read_input_tokens).toBeGreaterThan(0);
    expect((await ask('buyer-2')).cache_read_input_tokens).toBe(0);
    expect((await ask('a'.repeat(512))).cache_read_input_tokens).toBe(0);
  });
});

describe('tools and the thinking passback', () => {
  test('with tools the answer is [thinking, tool_use] and stop_reason tool_use', async () => {
    const m = await (await messages('/anthropic/v1/messages', { tools: [WEATHER], messages: [{ role: 'user', content: 'Please call get_weather' }] })).json();
    expect(m.stop_reason).toBe('tool_use');
    expect(m.content.map((b: any) => b.type)).toEqual(['thinking', 'tool_use']);
    const use = m.content[1];
    expect(use.id).toMatch(/^call_00_[0-9A-Za-z]{24}$/);
    expect(use.name).toBe('get_weather');
    expect(Object.keys(use.input)).toEqual(['city']);
    expect(m.usage.output_tokens).toBe(countSimTokens(m.content[0].thinking) + countSimTokens('get_weather') + countSimTokens(JSON.stringify(use.input)));
  });

  test('a tool_use turn sent back without its thinking block is a 400 in thinking mode; with it, the loop goes on', async () => {
    const first = await (await messages('/anthropic/v1/messages', { tools: [WEATHER], messages: [{ role: 'user', content: 'Please call get_weather' }] })).json();
    const history = (assistant: unknown[]) => [
      { role: 'user', content: 'Please call get_weather' },
      { role: 'assistant', content: assistant },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: first.content[1].id, content: [{ type: 'text', text: '21 C' }] }] },
    ];
    const dropped = await messages('/anthropic/v1/messages', { tools: [WEATHER], messages: history([first.content[1]]) });
    expect(dropped.status).toBe(400);
    expect(await dropped.json()).toEqual(deepseekError(THINKING_BLOCK_MISSING));

    const kept = await messages('/anthropic/v1/messages', { tools: [WEATHER], messages: history(first.content) });
    expect(kept.status).toBe(200);
    const answer = await kept.json();
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content.map((b: any) => b.type)).toEqual(['thinking', 'text']);

    const noThinking = await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, tools: [WEATHER], messages: history([first.content[1]]) });
    expect(noThinking.status).toBe(200);
  });

  test('tool_result blocks come first in a user message; tool_use needs its tool_result; a pinned tool is refused while thinking', async () => {
    const use = { type: 'tool_use', id: 'call_00_x', name: 'get_weather', input: {} };
    const late = await messages('/anthropic/v1/messages', {
      thinking: { type: 'disabled' },
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [use] },
        { role: 'user', content: [{ type: 'text', text: 'here:' }, { type: 'tool_result', tool_use_id: 'call_00_x', content: 'ok' }] },
      ],
    });
    expect(late.status).toBe(400);
    const orphan = await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, tools: [WEATHER], messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [use] }, { role: 'user', content: 'well?' }] });
    expect(orphan.status).toBe(400);

    const pinned = await messages('/anthropic/v1/messages', { tools: [WEATHER], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'q' }] });
    expect(pinned.status).toBe(400);
    expect((await pinned.json()).error.message).toBe(THINKING_TOOL_CHOICE);
    const forced = await (await messages('/anthropic/v1/messages', { thinking: { type: 'disabled' }, tools: [WEATHER], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'q' }] })).json();
    expect(forced.stop_reason).toBe('tool_use');
    // `any` is taken as `auto`.
    const any = await (await messages('/anthropic/v1/messages', { tools: [WEATHER], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'just talk' }] })).json();
    expect(any.stop_reason).toBe('end_turn');
  });
});

describe("DeepSeek's errors on this endpoint (its OpenAI-shaped envelope)", () => {
  test('bad bodies: missing max_tokens, a system role in messages, unsupported blocks, malformed JSON', async () => {
    const cases: [unknown, string][] = [
      [{ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] }, 'missing field `max_tokens`'],
      [{ model: 'claude-sonnet-5-5', max_tokens: 9, messages: [{ role: 'system', content: 'hi' }] }, 'messages[0].role: unknown variant `system`, expected `user` or `assistant`'],
      [{ model: 'claude-sonnet-5-5', max_tokens: 9, messages: [{ role: 'user', content: [{ type: 'search_result', text: 'x' }] }] }, 'unknown variant `search_result`'],
      ['{"model":', 'Failed to deserialize the JSON body'],
    ];
    for (const [body, words] of cases) {
      const r = await postTo(sim, '/anthropic/v1/messages', body, xKey());
      expect(r.status).toBe(400);
      const e = await r.json();
      expect(Object.keys(e.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(e.error.message).toContain(words);
    }
  });

  test('injected statuses answer in the same envelope; GET is 405', async () => {
    await simControl(sim, 'next', { status: 503 });
    const r = await messages('/anthropic/v1/messages', { messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(503);
    expect((await r.json()).error).toEqual({ message: 'Server Overloaded', type: 'server_overloaded', param: null, code: 'server_overloaded' });
    expect((await fetch(`${sim.url}/anthropic/v1/messages`, { headers: xKey() })).status).toBe(405);
  });
});
