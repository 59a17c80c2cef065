// The DeepSeek simulator's Responses API: the response object and its usage (input INCLUDING
// cached), the typed event stream and its three terminal events, function and apply_patch
// calls, the reasoning_text passback rule, and failure injection. Driven by the official
// `openai` client (responses.create / responses.stream) and raw fetch.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { countPromptTokens, countSimTokens, DEFAULT_CONTENT_TOKENS, DEFAULT_REASONING_TOKENS, REASONING_TEXT_MISSING } from '../../server/simulators/deepseek';
import { namedEvents, postTo, SIM_KEY, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;
let client: OpenAI;
const WEATHER = { type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false };

beforeAll(() => {
  sim = startSim();
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: SIM_KEY, maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

const respond = (body: Record<string, unknown>, path = '/v1/responses') => postTo(sim, path, { model: 'deepseek-flash', ...body });
const streamed = async (body: Record<string, unknown>) => {
  const r = await respond({ ...body, stream: true });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toStartWith('text/event-stream');
  const events = namedEvents(await r.text());
  expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
  return events;
};

describe('the response object', () => {
  test('reasoning and message items; usage input INCLUDES cached tokens, output includes reasoning', async () => {
    const res = await client.responses.create({ model: 'deepseek-flash', instructions: 'Be brief.', input: 'Hello there' });
    expect(res.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(res).toMatchObject({ object: 'response', status: 'completed', error: null, incomplete_details: null, model: 'deepseek-flash', store: false, instructions: 'Be brief.' });
    expect(res.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    const reasoning = res.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.content![0]!.type).toBe('reasoning_text');
    expect(countSimTokens(reasoning.content![0]!.text)).toBe(DEFAULT_REASONING_TOKENS);
    expect(countSimTokens(res.output_text)).toBe(DEFAULT_CONTENT_TOKENS);
    const prompt = countPromptTokens([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }]);
    const output = DEFAULT_REASONING_TOKENS + DEFAULT_CONTENT_TOKENS;
    expect(res.usage as unknown).toEqual({ input_tokens: prompt, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: DEFAULT_REASONING_TOKENS }, total_tokens: prompt + output });

    // Stateless: previous_response_id and store are ignored; the repeated prompt is a cache hit.
    const again = await client.responses.create({ model: 'deepseek-flash', instructions: 'Be brief.', input: 'Hello there', previous_response_id: res.id, store: true });
    expect(again.usage!.input_tokens).toBe(prompt);
    expect(again.usage!.input_tokens_details.cached_tokens).toBe(prompt);
    expect(again.output_text).toBe(res.output_text);
  });

  test('input items (developer, assistant output_text, images) and reasoning.effort none', async () => {
    const input = [
      { role: 'developer', content: 'Rules.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A picture.' }] },
      { role: 'user', content: 'More #tokens=3' },
    ];
    const r = await (await respond({ input, reasoning: { effort: 'none' } }, '/responses')).json();
    expect(r.output.map((i: any) => i.type)).toEqual(['message']);
    expect(r.usage.output_tokens).toBe(3);
    expect(r.usage.output_tokens_details.reasoning_tokens).toBe(0);
    const chatForm = [{ role: 'system', content: 'Rules.' }, { role: 'user', content: 'Look' }, { role: 'assistant', content: 'A picture.' }, { role: 'user', content: 'More #tokens=3' }];
    expect(r.usage.input_tokens).toBe(countPromptTokens(chatForm));
  });

  test('max_output_tokens (reasoning included) ends it incomplete, with usage', async () => {
    const r = await (await respond({ input: 'long #think=3 #tokens=40', max_output_tokens: 8 })).json();
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.usage.output_tokens).toBe(8);
    expect(r.output[1].status).toBe('incomplete');
    expect(countSimTokens(r.output[1].content[0].text)).toBe(5);
  });
});

describe('the event stream', () => {
  test('created, in_progress, items with their parts and deltas, then exactly one response.completed; no [DONE]', async () => {
    const events = await streamed({ input: 'stream #think=2 #tokens=3' });
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta', 'response.reasoning_text.delta', 'response.reasoning_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events[0]!.data.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const msgId = events[9]!.data.item.id;
    expect(events[11]!.data).toMatchObject({ item_id: msgId, output_index: 1, content_index: 0 });
    const text = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta).join('');
    expect(events[14]!.data.text).toBe(text);
    const final = events.at(-1)!.data.response;
    expect(final.status).toBe('completed');
    expect(final.output[1].content[0].text).toBe(text);
    expect(final.usage).toMatchObject({ output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 } });
  });

  test('the SDK assembles it: responses.stream → finalResponse, and create({stream: true}) events', async () => {
    const s = client.responses.stream({ model: 'deepseek-flash', input: 'sdk stream #tokens=4' });
    const deltas: string[] = [];
    s.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await s.finalResponse();
    expect(final.output_text).toBe(deltas.join(''));
    expect(final.usage!.output_tokens).toBe(DEFAULT_REASONING_TOKENS + 4);

    const types: string[] = [];
    for await (const e of await client.responses.create({ model: 'deepseek-flash', input: 'sdk stream #tokens=4', stream: true })) types.push(e.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  test('response.incomplete (max_output_tokens, content_filter) and response.failed carry usage', async () => {
    const capped = (await streamed({ input: 'x #think=2 #tokens=9', max_output_tokens: 4 })).at(-1)!;
    expect(capped.event).toBe('response.incomplete');
    expect(capped.data.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { output_tokens: 4 } });
    const sdkFinal = await client.responses.stream({ model: 'deepseek-flash', input: 'x #think=2 #tokens=9', max_output_tokens: 4 }).finalResponse();
    expect(sdkFinal.status).toBe('incomplete');
    expect(sdkFinal.usage!.output_tokens).toBe(4);

    await simControl(sim, 'next', { finish_reason: 'content_filter' });
    const filtered = (await streamed({ input: 'x #think=4 #tokens=8' })).at(-1)!;
    expect(filtered.data.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, usage: { output_tokens: 6 } });

    await simControl(sim, 'next', { finish_reason: 'insufficient_system_resource' });
    const failed = (await streamed({ input: 'x #think=4 #tokens=8' })).at(-1)!;
    expect(failed.event).toBe('response.failed');
    expect(failed.data.response.status).toBe('failed');
    expect(failed.data.response.error).toEqual({ code: 'server_error', message: expect.any(String) });
    expect(failed.data.response.usage.output_tokens).toBe(6);
  });

  test('fail_after_chunks: response.failed after K events, billed for the tokens those events carried', async () => {
    await simControl(sim, 'next', { fail_after_chunks: 7 });
    const events = await streamed({ input: 'x #think=5 #tokens=8' });
    expect(events).toHaveLength(8);
    // created, in_progress, item added, part added, then 3 reasoning deltas were sent.
    expect(events.filter((e) => e.event === 'response.reasoning_text.delta')).toHaveLength(3);
    const last = events.at(-1)!;
    expect(last.event).toBe('response.failed');
    expect(last.data.response.usage).toMatchObject({ output_tokens: 3, output_tokens_details: { reasoning_tokens: 3 } });
  });
});

describe('function calls and the reasoning passback', () => {
  test('turn 1 calls the function; turn 2 with the earlier output items answers; without the reasoning item it is a 400', async () => {
    const turn1 = await client.responses.create({ model: 'deepseek-flash', input: 'Please call get_weather', tools: [WEATHER] });
    expect(turn1.output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    const call = turn1.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.call_id).toMatch(/^call_00_[0-9A-Za-z]{24}$/);
    expect(call.id).toMatch(/^fc_/);
    expect(Object.keys(JSON.parse(call.arguments))).toEqual(['city']);
    expect(turn1.usage!.output_tokens).toBe(turn1.usage!.output_tokens_details.reasoning_tokens + countSimTokens('get_weather') + countSimTokens(call.arguments));

    const output = { type: 'function_call_output' as const, call_id: call.call_id, output: '21 C' };
    const turn2 = await client.responses.create({ model: 'deepseek-flash', tools: [WEATHER], input: [{ role: 'user', content: 'Please call get_weather' }, ...(turn1.output as any[]), output] });
    expect(turn2.status).toBe('completed');
    expect(turn2.output.map((i) => i.type)).toEqual(['reasoning', 'message']);

    const withoutReasoning = [{ role: 'user', content: 'Please call get_weather' }, call, output];
    const stripped = [{ role: 'user', content: 'Please call get_weather' }, { ...turn1.output[0], content: [] }, call, output];
    for (const input of [withoutReasoning, stripped]) {
      const r = await respond({ tools: [WEATHER], input });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: { message: REASONING_TEXT_MISSING, type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });
    }
    expect((await respond({ tools: [WEATHER], input: withoutReasoning, reasoning: { effort: 'none' } })).status).toBe(200);
  });

  test('a streamed function call: item added with empty arguments, argument deltas, done with name and arguments', async () => {
    const events = await streamed({ input: 'Please call get_weather', tools: [WEATHER], reasoning: { effort: 'none' } });
    expect(events.map((e) => e.event).filter((t) => !t.endsWith('.delta'))).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(events[2]!.data.item).toMatchObject({ type: 'function_call', status: 'in_progress', name: 'get_weather', arguments: '' });
    const args = events.filter((e) => e.event === 'response.function_call_arguments.delta').map((e) => e.data.delta).join('');
    expect(events.find((e) => e.event === 'response.function_call_arguments.done')!.data).toMatchObject({ name: 'get_weather', arguments: args });
  });

  test('custom tools: only apply_patch, called with a patch as free text', async () => {
    const tools = [{ type: 'custom', name: 'apply_patch', description: 'edit files' }];
    const r = await (await respond({ input: 'Please call apply_patch', tools, reasoning: { effort: 'none' } })).json();
    expect(r.output[0]).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', call_id: expect.stringMatching(/^call_00_/) });
    expect(r.output[0].input).toStartWith('*** Begin Patch\n');
    const events = await streamed({ input: 'Please call apply_patch', tools, reasoning: { effort: 'none' } });
    expect(events.filter((e) => e.event === 'response.custom_tool_call_input.delta').map((e) => e.data.delta).join('')).toBe(r.output[0].input);

    const other = await respond({ input: 'x', tools: [{ type: 'custom', name: 'run_shell' }] });
    expect(other.status).toBe(400);
    expect((await other.json()).error.message).toContain('apply_patch');
  });
});

describe('server tools, errors and injection', () => {
  test('deepseek_web_search / deepseek_read_url count in usage.server_tool_use; the retired web_search tool is ignored', async () => {
    const r = await (await respond({ input: 'news #searches=3, and https://example.org/x', tools: [{ type: 'deepseek_web_search' }, { type: 'deepseek_read_url' }] })).json();
    expect(r.usage.server_tool_use).toEqual({ web_search_requests: 3, web_fetch_requests: 1 });
    const ignored = await (await respond({ input: 'news', tools: [{ type: 'web_search' }] })).json();
    expect(ignored.status).toBe('completed');
    expect('server_tool_use' in ignored.usage).toBe(false);
    expect((await respond({ input: 'x', tools: [{ type: 'file_search' }] })).status).toBe(400);
  });

  test('OpenAI-shaped errors: no key, unknown model, missing input, bad effort, injected 429', async () => {
    const none = await postTo(sim, '/v1/responses', { model: 'deepseek-flash', input: 'x' }, {});
    expect(none.status).toBe(401);
    expect(Object.keys((await none.json()).error).sort()).toEqual(['code', 'message', 'param', 'type']);
    for (const [body, status] of [[{ model: 'gpt-5', input: 'x' }, 400], [{ model: 'deepseek-flash' }, 400], [{ model: 'deepseek-flash', input: 'x', reasoning: { effort: 'huge' } }, 400]] as const) {
      const r = await postTo(sim, '/v1/responses', body);
      expect(r.status).toBe(status);
      expect((await r.json()).error.type).toBe('invalid_request_error');
    }
    await simControl(sim, 'next', { status: 429 });
    const err = await client.responses.create({ model: 'deepseek-flash', input: 'x' }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
