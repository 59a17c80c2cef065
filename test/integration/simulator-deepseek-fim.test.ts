// The DeepSeek simulator's FIM completion (/beta/completions): the text_completion body and
// its usage, DeepSeek's limits (non-thinking, max_tokens ≤ 4K), echo, logprobs, stop, the
// data-only stream with usage only when asked, and the official `openai` client on `…/beta`.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { countSimTokens, FIM_MAX_TOKENS, FIM_OVERHEAD_TOKENS, FIM_THINKING } from '../../server/simulators/deepseek';
import { dataEvents, postTo, SIM_KEY, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;
let client: OpenAI;
const PROMPT = 'def fib(n):\n    ';
const SUFFIX = '\n    return a';
const promptTokens = (prompt: string, suffix = '') => countSimTokens(prompt) + countSimTokens(suffix) + FIM_OVERHEAD_TOKENS;

beforeAll(() => {
  sim = startSim();
  client = new OpenAI({ baseURL: `${sim.url}/beta`, apiKey: SIM_KEY, maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

const fim = (body: Record<string, unknown>) => postTo(sim, '/beta/completions', { model: 'deepseek-flash', prompt: PROMPT, ...body });

describe('the completion', () => {
  test('text_completion with DeepSeek usage (hit + miss = prompt), through the openai client on …/beta', async () => {
    const res = await client.completions.create({ model: 'deepseek-flash', prompt: PROMPT, suffix: SUFFIX, max_tokens: 64, temperature: 0, stop: ['\n\n'] });
    expect(res.object).toBe('text_completion');
    expect(res.model).toBe('deepseek-flash');
    expect(res.system_fingerprint).toStartWith('fp_');
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    expect(countSimTokens(choice.text)).toBe(24);
    expect(choice.logprobs).toBeNull();
    const u = res.usage as unknown as Record<string, any>;
    expect(u.prompt_tokens).toBe(promptTokens(PROMPT, SUFFIX));
    expect(u.prompt_cache_hit_tokens + u.prompt_cache_miss_tokens).toBe(u.prompt_tokens);
    expect(u.completion_tokens).toBe(24);
    expect(u.completion_tokens_details.reasoning_tokens).toBe(0);
    expect(u.total_tokens).toBe(u.prompt_tokens + 24);

    const again = (await client.completions.create({ model: 'deepseek-flash', prompt: PROMPT, suffix: SUFFIX, max_tokens: 64 })).usage as unknown as Record<string, number>;
    expect(again.prompt_cache_hit_tokens).toBe(u.prompt_tokens);
    expect(again.prompt_cache_miss_tokens).toBe(0);
  });

  test('max_tokens ends it with length; stop ends it early; echo puts the prompt first', async () => {
    const capped = await (await fim({ max_tokens: 5 })).json();
    expect(capped.choices[0].finish_reason).toBe('length');
    expect(capped.usage.completion_tokens).toBe(5);

    const full = (await (await fim({ prompt: 'x = ', max_tokens: 12 })).json()).choices[0].text as string;
    const stop = ` ${full.trim().split(' ')[4]}`;
    const stopped = await (await fim({ prompt: 'x = ', max_tokens: 12, stop })).json();
    expect(stopped.choices[0].finish_reason).toBe('stop');
    expect(stopped.choices[0].text).toBe(full.slice(0, full.indexOf(stop)));

    const echoed = await (await fim({ prompt: 'x = ', max_tokens: 12, echo: true })).json();
    expect(echoed.choices[0].text).toBe(`x = ${full}`);
    expect(echoed.usage.completion_tokens).toBe(12);
  });

  test('logprobs (an integer ≤ 20): tokens, token_logprobs, top_logprobs and text_offset', async () => {
    const r = await (await fim({ max_tokens: 4, logprobs: 3 })).json();
    const lp = r.choices[0].logprobs;
    expect(lp.tokens.join('')).toBe(r.choices[0].text);
    expect(lp.token_logprobs).toHaveLength(4);
    expect(lp.top_logprobs.every((alts: Record<string, number>, i: number) => Object.keys(alts).length === 3 && alts[lp.tokens[i]] === lp.token_logprobs[i])).toBe(true);
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.text_offset[1]).toBe(lp.tokens[0].length);
    expect((await fim({ logprobs: 21 })).status).toBe(422);
  });
});

describe("DeepSeek's limits", () => {
  test('max_tokens over 4096 and thinking enabled are 400s; prompt and model are required', async () => {
    const over = await fim({ max_tokens: FIM_MAX_TOKENS + 1 });
    expect(over.status).toBe(400);
    expect((await over.json()).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('max_tokens') });
    expect((await fim({ max_tokens: FIM_MAX_TOKENS })).status).toBe(200);

    const thinking = await fim({ thinking: { type: 'enabled' } });
    expect(thinking.status).toBe(400);
    expect((await thinking.json()).error.message).toBe(FIM_THINKING);
    expect((await fim({ thinking: { type: 'disabled' } })).status).toBe(200);

    expect((await postTo(sim, '/beta/completions', { model: 'deepseek-flash' })).status).toBe(400);
    expect((await fim({ model: 'deepseek-coder' })).status).toBe(400);
    // FIM is a beta feature: the plain path does not exist.
    expect((await postTo(sim, '/completions', { model: 'deepseek-flash', prompt: 'x' })).status).toBe(404);
  });
});

describe('the stream', () => {
  test('data-only text_completion chunks ending [DONE]; no usage at all unless include_usage', async () => {
    const { chunks, done } = dataEvents(await (await fim({ stream: true, max_tokens: 3 })).text());
    expect(done).toBe(true);
    expect(chunks).toHaveLength(4);
    expect(chunks.every((c) => c.object === 'text_completion' && !('usage' in c))).toBe(true);
    expect(chunks.slice(0, 3).every((c) => countSimTokens(c.choices[0].text) === 1 && c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks[3].choices[0]).toEqual({ index: 0, text: '', logprobs: null, finish_reason: 'length' });
  });

  test('with include_usage: usage null on every chunk and a last chunk with choices [] and the usage', async () => {
    const { chunks } = dataEvents(await (await fim({ stream: true, max_tokens: 3, stream_options: { include_usage: true } })).text());
    expect(chunks).toHaveLength(5);
    expect(chunks.slice(0, 4).every((c) => c.usage === null)).toBe(true);
    const last = chunks[4];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: promptTokens(PROMPT), completion_tokens: 3, total_tokens: promptTokens(PROMPT) + 3 });

    let text = '';
    let usage: unknown;
    for await (const c of await client.completions.create({ model: 'deepseek-flash', prompt: PROMPT, max_tokens: 3, stream: true, stream_options: { include_usage: true } })) {
      text += c.choices[0]?.text ?? '';
      usage = c.usage ?? usage;
    }
    expect(countSimTokens(text)).toBe(3);
    expect(usage).toMatchObject({ completion_tokens: 3 });
  });

  test('injected finish reasons end it early with the usage of what was generated', async () => {
    for (const reason of ['content_filter', 'insufficient_system_resource']) {
      await simControl(sim, 'next', { finish_reason: reason });
      const { chunks } = dataEvents(await (await fim({ stream: true, max_tokens: 10, stream_options: { include_usage: true } })).text());
      expect(chunks.at(-2)!.choices[0].finish_reason).toBe(reason);
      expect(chunks.at(-1)!.usage.completion_tokens).toBe(5);
    }
  });
});
