import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { bearer, startStack, UPSTREAM_KEY, user, type Stack } from '../../helpers/stack';
import { errorsOf, loadChatValidators, type ChatValidators } from './schemas';

// Every chat body and stream chunk the DeepSeek simulator and the gateway send, checked against
// OpenAI's published schemas (CreateChatCompletionResponse, CreateChatCompletionStreamResponse
// and what they reference), with only the differences DeepSeek documents (see schemas.ts).

let stack: Stack;
let v: ChatValidators;

beforeAll(async () => {
  v = await loadChatValidators();
  stack = await startStack();
  key = await stack.key({ budget: '50' });
});
afterAll(() => stack.close());

const TOOL = { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } } };
const NO_THINKING = { thinking: { type: 'disabled' } };

/** The request bodies (without model and stream), and a fault to inject before each. */
const CASES: [string, Record<string, unknown>, Record<string, unknown>?][] = [
  ['thinking (reasoning_content)', { messages: user('Think first #tokens=6 #think=4') }],
  ['no thinking', { messages: user('Plain #tokens=5'), ...NO_THINKING }],
  ['a tool call', { messages: user('use the tool please'), tools: [TOOL], ...NO_THINKING }],
  ['logprobs with top_logprobs', { messages: user('Probabilities #tokens=4'), logprobs: true, top_logprobs: 3, ...NO_THINKING }],
  ['logprobs without top_logprobs', { messages: user('Probabilities #tokens=3'), logprobs: true, ...NO_THINKING }],
  ['finish_reason length', { messages: user('Long #tokens=50'), max_tokens: 5, ...NO_THINKING }],
  ['JSON mode', { messages: user('Answer in json #tokens=12'), response_format: { type: 'json_object' }, ...NO_THINKING }],
  ['finish_reason content_filter', { messages: user('Filtered #tokens=8') }, { finish_reason: 'content_filter' }],
  ['finish_reason insufficient_system_resource', { messages: user('Interrupted #tokens=8') }, { finish_reason: 'insufficient_system_resource' }],
];

interface Target {
  name: string;
  url: () => string;
  headers: () => Record<string, string>;
  model: string;
  extra: Record<string, unknown>;
}

const TARGETS: Target[] = [
  { name: 'the simulator', url: () => `${stack.sim.url}/chat/completions`, headers: () => bearer(UPSTREAM_KEY), model: 'deepseek-flash', extra: {} },
  { name: 'the gateway', url: () => `${stack.gw.url}/v1/chat/completions`, headers: () => bearer(gatewayKey()), model: 'deepseek-v4-flash', extra: {} },
  { name: 'the gateway with include_reasoning', url: () => `${stack.gw.url}/v1/chat/completions`, headers: () => bearer(gatewayKey()), model: 'deepseek-v4-flash', extra: { include_reasoning: true } },
];

let key: string | null = null;
const gatewayKey = () => key as string;

async function post(target: Target, body: Record<string, unknown>, fault?: Record<string, unknown>) {
  if (fault) await stack.control('next', fault);
  const res = await fetch(target.url(), { method: 'POST', headers: target.headers(), body: JSON.stringify({ model: target.model, ...target.extra, ...body }) });
  expect(res.status).toBe(200);
  return res;
}

/** The data events of an SSE body, parsed (the gateway's cost comment and [DONE] are not chunks). */
async function chunksOf(res: Response): Promise<Record<string, any>[]> {
  const text = await res.text();
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as Record<string, any>);
}

function expectValid(validate: ChatValidators['completion'], value: unknown) {
  const ok = validate(value);
  expect(ok ? [] : errorsOf(validate)).toEqual([]);
}

for (const target of TARGETS) {
  describe(`${target.name} answers in OpenAI's published shape`, () => {
    for (const [name, body, fault] of CASES) {
      it(`non-stream: ${name}`, async () => {
        const completion = (await (await post(target, body, fault)).json()) as Record<string, any>;
        expectValid(v.completion, completion);
        if (fault) expect(completion.choices[0].finish_reason).toBe(fault.finish_reason);
      });

      for (const includeUsage of [false, true]) {
        it(`stream${includeUsage ? ' with include_usage' : ''}: ${name}`, async () => {
          const chunks = await chunksOf(await post(target, { ...body, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) }, fault));
          expect(chunks.length).toBeGreaterThan(1);
          for (const chunk of chunks) expectValid(v.chunk, chunk);
          // DeepSeek's usage rides on the last chunk, beside its finish_reason
          const last = chunks.at(-1)!;
          expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
          expect(last.choices[0].finish_reason).toEqual(fault?.finish_reason ?? expect.any(String));
          for (const chunk of chunks.slice(0, -1)) expect(chunk.usage ?? null).toBeNull();
        });
      }
    }
  });
}

describe('the validators are not vacuous', () => {
  const valid = () => ({
    id: 'x',
    object: 'chat.completion',
    created: 1,
    model: 'deepseek-v4-flash',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 1 },
  });

  it('accept a DeepSeek body, and reject one that breaks OpenAI’s schema or adds an undocumented field', () => {
    expect(v.completion(valid())).toBe(true);
    const broken: [string, (b: Record<string, any>) => void][] = [
      ['a null choice', (b) => (b.choices = [null])],
      ['an unknown finish reason', (b) => (b.choices[0].finish_reason = 'tired')],
      ['content of the wrong type', (b) => (b.choices[0].message.content = 42)],
      ['usage without completion_tokens', (b) => delete b.usage.completion_tokens],
      ['a field nobody documents in the message', (b) => (b.choices[0].message.include_reasoning = true)],
      ['a field nobody documents at the top', (b) => (b.cost_usd = '0.01')],
      ['logprobs without content', (b) => (b.choices[0].logprobs = {})],
    ];
    for (const [name, breakIt] of broken) {
      const body = valid();
      breakIt(body);
      expect([name, v.completion(body)]).toEqual([name, false]);
    }
  });
});
