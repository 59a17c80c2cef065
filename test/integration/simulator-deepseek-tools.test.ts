// The DeepSeek simulator's tool calls on chat: DeepSeek's call ids and streaming, the V4 rule
// that a tool-call turn comes back with its reasoning_content, the control API's tool_calls,
// and the per-call usage of the server-side web tools. Driven by the official `openai` client.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { countSimTokens, REASONING_CONTENT_MISSING, THINKING_TOOL_CHOICE, TOOL_MESSAGES_MISSING } from '../../server/simulators/deepseek';
import { dataEvents, postTo, readToEnd, SIM_KEY, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;
let client: OpenAI;

const TOOLS: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];
const CALL_ID = /^call_\d{2}_[0-9A-Za-z]{24}$/;
const noThinking = { thinking: { type: 'disabled' } } as {};

beforeAll(() => {
  sim = startSim();
  client = new OpenAI({ baseURL: sim.url, apiKey: SIM_KEY, maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

async function status400(p: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err.status).toBe(400);
  return err.error;
}

describe('a three-turn tool loop (user → tool_calls → tool result → answer)', () => {
  test('non-stream, appending the assistant message as the client received it', async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris? Please call get_weather.' }];
    const first = await client.chat.completions.create({ model: 'deepseek-flash', messages, tools: TOOLS });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const msg = choice.message as typeof choice.message & { reasoning_content: string };
    expect(typeof msg.reasoning_content).toBe('string');
    expect(msg.tool_calls).toHaveLength(1);
    const call = msg.tool_calls![0]! as { id: string; type: string; function: { name: string; arguments: string } };
    expect(call.id).toMatch(CALL_ID);
    expect(call.id.startsWith('call_00_')).toBe(true);
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.city).toBe('string');
    expect(Number.isInteger(args.days)).toBe(true);
    expect(first.usage!.completion_tokens).toBe(countSimTokens(msg.reasoning_content) + countSimTokens('get_weather') + countSimTokens(call.function.arguments));

    // Deterministic: the same conversation gets the same call.
    const again = await client.chat.completions.create({ model: 'deepseek-flash', messages, tools: TOOLS });
    expect(again.choices[0]!.message.tool_calls![0]!.id).toBe(call.id);

    messages.push(msg, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 21}' });
    const second = await client.chat.completions.create({ model: 'deepseek-flash', messages, tools: TOOLS });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
    expect(countSimTokens(second.choices[0]!.message.content!)).toBe(24);
  });

  test('streamed: tool calls arrive as DeepSeek streams them, and the assembled turn is accepted back', async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Please call get_time' }];
    const res = await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages, tools: TOOLS, stream: true });
    const { chunks, done } = dataEvents(await res.text());
    expect(done).toBe(true);
    const toolDeltas = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    // The header delta: index, id, type, function name, empty arguments; then arguments in pieces.
    expect(toolDeltas[0]).toEqual({ index: 0, id: expect.stringMatching(CALL_ID), type: 'function', function: { name: 'get_time', arguments: '' } });
    expect(toolDeltas.length).toBeGreaterThan(2);
    for (const d of toolDeltas.slice(1)) expect(Object.keys(d).sort()).toEqual(['function', 'index']);
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe('tool_calls');

    // The same through the SDK, assembling the turn from the deltas.
    let reasoning = '';
    let content = '';
    const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
    for await (const chunk of await client.chat.completions.create({ model: 'deepseek-flash', messages, tools: TOOLS, stream: true })) {
      const delta = chunk.choices[0]?.delta as any;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
      for (const tc of delta?.tool_calls ?? []) {
        calls[tc.index] ??= { id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } };
        calls[tc.index]!.function.arguments += tc.function?.arguments ?? '';
      }
    }
    expect(calls[0]!.id).toBe(toolDeltas[0].id);
    expect(Object.keys(JSON.parse(calls[0]!.function.arguments))).toEqual(['zone']);
    messages.push({ role: 'assistant', content, tool_calls: calls, reasoning_content: reasoning } as any, { role: 'tool', tool_call_id: calls[0]!.id, content: '12:00' });
    let answer = '';
    let finish: string | null = null;
    for await (const chunk of await client.chat.completions.create({ model: 'deepseek-flash', messages, tools: TOOLS, stream: true })) {
      answer += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('stop');
    expect(countSimTokens(answer)).toBe(24);
  });
});

describe("V4's rule: a tool-call turn sent back without its reasoning_content", () => {
  const turn = (extraFields: Record<string, unknown>) => [
    { role: 'user', content: 'call get_weather' },
    { role: 'assistant', content: '', tool_calls: [{ id: 'call_00_abc', type: 'function', function: { name: 'get_weather', arguments: '{}' } }], ...extraFields },
    { role: 'tool', tool_call_id: 'call_00_abc', content: 'sunny' },
  ];

  test('is a 400 in thinking mode on every chat path and thinking model, in DeepSeek words and shape', async () => {
    for (const path of ['/chat/completions', '/v1/chat/completions', '/beta/chat/completions']) {
      for (const model of ['deepseek-flash', 'deepseek-v4-pro', 'deepseek-v4-flash']) {
        const r = await postTo(sim, path, { model, messages: turn({}), tools: TOOLS });
        expect(r.status).toBe(400);
        expect(await r.json()).toEqual({ error: { message: REASONING_CONTENT_MISSING, type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });
      }
    }
    const sdk = await status400(client.chat.completions.create({ model: 'deepseek-flash', messages: turn({}) as any, tools: TOOLS }));
    expect(sdk.message).toBe(REASONING_CONTENT_MISSING);
  });

  test('succeeds with reasoning_content, with thinking disabled, and for plain turns without tool calls', async () => {
    expect((await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages: turn({ reasoning_content: 'I should look.' }), tools: TOOLS })).status).toBe(200);
    expect((await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages: turn({}), tools: TOOLS, ...noThinking })).status).toBe(200);
    const plain = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ];
    expect((await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages: plain })).status).toBe(200);
  });

  test('a tool-call turn not followed by a tool message for each call is a 400', async () => {
    const messages = turn({ reasoning_content: 'r' }).slice(0, 2).concat([{ role: 'user', content: 'well?' }]);
    const r = await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages, tools: TOOLS });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toBe(TOOL_MESSAGES_MISSING);
  });
});

describe('choosing tool calls', () => {
  test('each tool named as "call <name>" is called, in the order named, with call_00_, call_01_ ids', async () => {
    const res = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'call get_time, then call get_weather' }], tools: TOOLS, ...noThinking });
    const calls = res.choices[0]!.message.tool_calls! as { id: string; function: { name: string; arguments: string } }[];
    expect(calls.map((c) => c.function.name)).toEqual(['get_time', 'get_weather']);
    expect(calls.map((c) => c.id.slice(0, 8))).toEqual(['call_00_', 'call_01_']);
    const toolTokens = calls.reduce((n, c) => n + countSimTokens(c.function.name) + countSimTokens(c.function.arguments), 0);
    expect(res.usage!.completion_tokens).toBe(toolTokens);
  });

  test('/_control/next tool_calls makes the next request offering those tools answer with exactly them', async () => {
    await simControl(sim, 'next', { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_time' }] });
    // A request without those tools does not take the rule.
    const plain = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(plain.choices[0]!.finish_reason).toBe('stop');
    const res = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'just chat' }], tools: TOOLS });
    const calls = res.choices[0]!.message.tool_calls! as { function: { name: string; arguments: string } }[];
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(calls[0]!.function.arguments).toBe('{"city":"Paris"}');
    expect(Object.keys(JSON.parse(calls[1]!.function.arguments))).toEqual(['zone']);
    // Used once: the next request answers in prose.
    const after = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'just chat' }], tools: TOOLS });
    expect(after.choices[0]!.finish_reason).toBe('stop');

    await simControl(sim, 'next', { tool_call: { name: 'get_time', arguments: '{"zone":"UTC"}' } });
    const single = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'x' }], tools: TOOLS });
    expect((single.choices[0]!.message.tool_calls![0]! as { function: { arguments: string } }).function.arguments).toBe('{"zone":"UTC"}');

    for (const bad of [{ tool_calls: [] }, { tool_calls: [{ name: 7 }] }, { tool_call: 'x' }]) {
      const r = await fetch(`${sim.url}/_control/next`, { method: 'POST', body: JSON.stringify(bad) });
      expect(r.status).toBe(400);
    }
  });

  test('a pinned tool_choice is refused in thinking mode and forces the call without it', async () => {
    const pinned = { type: 'function' as const, function: { name: 'get_time' } };
    const err = await status400(client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'x' }], tools: TOOLS, tool_choice: pinned }));
    expect(err.message).toBe(THINKING_TOOL_CHOICE);
    const res = await client.chat.completions.create({ model: 'deepseek-flash', messages: [{ role: 'user', content: 'x' }], tools: TOOLS, tool_choice: pinned, ...noThinking });
    expect((res.choices[0]!.message.tool_calls![0]! as { function: { name: string } }).function.name).toBe('get_time');
  });
});

describe('server-side web tools on chat (billed per call)', () => {
  test('usage.server_tool_use counts the searches and URL reads; tokens are the answer only', async () => {
    const res = await postTo(sim, '/chat/completions', {
      model: 'deepseek-flash',
      messages: [{ role: 'user', content: 'Look up the news #searches=2 #tokens=5 and read https://example.org/a and https://example.org/b' }],
      tools: [{ type: 'deepseek_web_search' }, { type: 'deepseek_read_url' }],
      ...noThinking,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 2, web_fetch_requests: 2 });
    expect(body.usage.completion_tokens).toBe(5);
    expect(countSimTokens(body.choices[0].message.content)).toBe(5);

    const none = await (await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages: [{ role: 'user', content: 'hi' }] })).json();
    expect('server_tool_use' in none.usage).toBe(false);
    const declaredUnused = await (await postTo(sim, '/chat/completions', { model: 'deepseek-flash', messages: [{ role: 'user', content: 'no links here #searches=0' }], tools: [{ type: 'deepseek_web_search' }, { type: 'deepseek_read_url' }] })).json();
    expect(declaredUnused.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 0 });
  });

  test('the streamed usage carries the same field', async () => {
    const res = await postTo(sim, '/chat/completions', { model: 'deepseek-flash', stream: true, messages: [{ role: 'user', content: 'search it' }], tools: [{ type: 'deepseek_web_search' }] });
    const { chunks } = dataEvents(await res.text());
    expect(chunks.at(-1)!.usage.server_tool_use).toEqual({ web_search_requests: 1, web_fetch_requests: 0 });
  });
});

describe('fail_after_chunks on chat', () => {
  test('the stream sends K chunks, then an error event, and ends without [DONE]', async () => {
    await simControl(sim, 'next', { fail_after_chunks: 3 });
    const res = await postTo(sim, '/chat/completions', { model: 'deepseek-flash', stream: true, messages: [{ role: 'user', content: 'x #tokens=20' }] });
    const { text, broken } = await readToEnd(res);
    expect(broken).toBe(false);
    const { chunks, done } = dataEvents(text);
    expect(done).toBe(false);
    expect(chunks).toHaveLength(4);
    expect(chunks.at(-1)).toEqual({ error: { message: 'Server Overloaded', type: 'server_overloaded', param: null, code: 'server_overloaded' } });
  });
});
