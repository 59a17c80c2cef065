import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { fixedClock } from '../../server/lib/clock';
import { formatUsd } from '../../server/lib/money';
import { adminClient } from '../helpers/admin';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// Monday 2026-11-23 10:00 in Shanghai is peak; Saturday 2026-11-28 is off-peak.
const PEAK = Date.parse('2026-11-23T10:00:00+08:00');
const OFF_PEAK = Date.parse('2026-11-28T10:00:00+08:00');
const FLASH = { peak: [6, 300, 1200], off_peak: [3, 150, 600] } as const;
const PRO = { peak: [44, 1320, 3960], off_peak: [22, 660, 1980] } as const;

const clock = fixedClock(PEAK);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ clock });
});
afterAll(() => stack.close());

function expectedCost(row: Record<string, unknown>, prices: readonly [number, number, number]): number {
  return (row.cache_hit_tokens as number) * prices[0] + (row.cache_miss_tokens as number) * prices[1] + (row.output_tokens as number) * prices[2];
}

describe('billing through the OpenAI SDK', () => {
  it('answers a non-stream request with the public model name and bills it at peak prices', async () => {
    clock.set(PEAK);
    const key = await stack.key();
    const { data, response } = await stack.client(key).chat.completions.create({ model: 'deepseek-v4-flash', messages: user('Say hello #tokens=7') as never }).withResponse();
    expect(data.model).toBe('deepseek-v4-flash');
    expect(data.choices[0]?.message.content?.split(' ').length).toBe(7);
    expect((data.choices[0]?.message as unknown as Record<string, unknown>).reasoning_content).toBeUndefined();
    const usage = data.usage as unknown as Record<string, number>;
    expect(usage.prompt_tokens).toBe((usage.prompt_cache_hit_tokens ?? 0) + (usage.prompt_cache_miss_tokens ?? 0));

    const [row] = ledgerRows(stack, `request_id = '${response.headers.get('x-request-id')}'`);
    expect(row).toBeDefined();
    expect(row!.period).toBe('peak');
    expect(row!.basis).toBe('upstream');
    expect(row!.output_tokens).toBe(usage.completion_tokens);
    expect(row!.cache_miss_tokens).toBe(usage.prompt_cache_miss_tokens);
    expect(row!.cost_nano).toBe(expectedCost(row!, FLASH.peak));
    expect(response.headers.get('x-tollgate-cost-usd')).toBe(formatUsd(row!.cost_nano as number));
    const k = keyRow(stack, key);
    expect(k.spent_nano).toBe(row!.cost_nano as number);
    expect(response.headers.get('x-tollgate-remaining-usd')).toBe(formatUsd(k.budget_nano - k.spent_nano));
  });

  it('bills reasoning tokens as output and cache hits at the hit price, off-peak', async () => {
    clock.set(OFF_PEAK);
    const key = await stack.key();
    const long = `${'The quick brown fox jumps over the lazy dog. '.repeat(60)} #tokens=4 #think=9`;
    const client = stack.client(key);
    await client.chat.completions.create({ model: 'deepseek-reasoner', messages: user(long) as never });
    const { response } = await client.chat.completions.create({ model: 'deepseek-reasoner', messages: user(long) as never }).withResponse();
    const [row] = ledgerRows(stack, `request_id = '${response.headers.get('x-request-id')}'`);
    expect(row!.period).toBe('off_peak');
    // the whole repeated prompt is a cache hit (DeepSeek's unit at the end of the first request's input)
    expect(row!.cache_hit_tokens as number).toBeGreaterThan(0);
    expect(row!.cache_miss_tokens).toBe(0);
    expect(row!.reasoning_tokens).toBe(9);
    expect(row!.output_tokens).toBe(13);
    expect(row!.cost_nano).toBe(expectedCost(row!, FLASH.off_peak));
    expect(row!.public_model).toBe('deepseek-v4-flash');
  });

  it('streams token by token and bills the usage of the last chunk', async () => {
    clock.set(PEAK);
    const key = await stack.key();
    const stream = await stack.client(key).chat.completions.create({ model: 'deepseek-v4-pro', messages: user('Stream please #tokens=12') as never, stream: true });
    let content = '';
    let chunks = 0;
    let usage: Record<string, number> | null = null;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.model).toBe('deepseek-v4-pro');
      content += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage as unknown as Record<string, number>;
    }
    expect(content.trim().split(' ').length).toBe(12);
    expect(chunks).toBeGreaterThanOrEqual(13);
    expect(usage).not.toBeNull();
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.stream).toBe(1);
    expect(rows[0]!.output_tokens).toBe(usage!.completion_tokens);
    expect(rows[0]!.cost_nano).toBe(expectedCost(rows[0]!, PRO.peak));
    expect(keyRow(stack, key).spent_nano).toBe(rows[0]!.cost_nano as number);
  });

  it('keeps the prices a row used, so repricing never rewrites history', async () => {
    clock.set(PEAK);
    const key = await stack.key();
    await stack.client(key).chat.completions.create({ model: 'deepseek-v4-flash', messages: user('before repricing #tokens=3') as never });
    stack.gw.deps.database!.sqlite.exec("UPDATE prices SET output_nano = 5000 WHERE model_id = 'deepseek-v4-flash' AND period = 'peak'");
    await stack.gw.deps.catalog.invalidate();
    await stack.client(key).chat.completions.create({ model: 'deepseek-v4-flash', messages: user('after repricing #tokens=3') as never });
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows.map((r) => r.output_price_nano)).toEqual([1200, 5000]);
    stack.gw.deps.database!.sqlite.exec("UPDATE prices SET output_nano = 1200 WHERE model_id = 'deepseek-v4-flash' AND period = 'peak'");
    await stack.gw.deps.catalog.invalidate();
  });
});

describe('an output cap the operator lowered', () => {
  const CAP = 32;
  let admin: ReturnType<typeof adminClient>;
  beforeAll(async () => {
    admin = adminClient(stack.gw.url, stack.gw.admin.token);
    expect((await admin.patch('/models/deepseek-v4-pro', { max_output_tokens: CAP })).status).toBe(200);
  });
  afterAll(async () => {
    await admin.patch('/models/deepseek-v4-pro', { max_output_tokens: 393_216 });
  });

  // The answer would be 412 tokens: DeepSeek must be told the cap the hold was priced for, or it
  // generates (and charges the operator for) more than the buyer is billed.
  const asks: [string, Record<string, unknown>][] = [
    ['no max_tokens', {}],
    ['a larger max_tokens', { max_tokens: 1000 }],
    ['a larger max_completion_tokens', { max_completion_tokens: 500 }],
    ['no max_tokens, streaming', { stream: true }],
  ];
  for (const [name, extra] of asks) {
    it(`is sent to DeepSeek when the client sends ${name}, and the ledger bills exactly the tokens returned`, async () => {
      clock.set(PEAK);
      const key = await stack.key();
      const res = await chat(stack, key, { model: 'deepseek-v4-pro', messages: user('A long answer please #tokens=412'), thinking: { type: 'disabled' }, ...extra });
      expect(res.status).toBe(200);
      await res.text();
      const sent = (await stack.upstreamRequests()).at(-1)!.body;
      expect(sent.max_tokens).toBe(CAP);
      expect(sent.max_completion_tokens).toBeUndefined();
      const [row] = ledgerRows(stack, `request_id = '${res.headers.get('x-request-id')}'`);
      expect(row!.basis).toBe('upstream');
      expect(row!.output_tokens).toBe(CAP);
      expect(row!.finish_reason).toBe('length');
      expect(row!.cost_nano).toBe(expectedCost(row!, PRO.peak));
      expect(keyRow(stack, key).spent_nano).toBe(row!.cost_nano as number);
    });
  }
});

describe('answers DeepSeek ends early', () => {
  for (const reason of ['content_filter', 'insufficient_system_resource']) {
    for (const stream of [false, true]) {
      it(`passes finish_reason ${reason} on${stream ? ' in a stream' : ''} and bills the usage DeepSeek reports`, async () => {
        clock.set(PEAK);
        const key = await stack.key();
        await stack.control('next', { finish_reason: reason });
        const res = await chat(stack, key, { model: 'deepseek-v4-flash', stream, messages: user('interrupted #tokens=30'), thinking: { type: 'disabled' } });
        expect(res.status).toBe(200);
        let finish: string | null = null;
        let usage: Record<string, number> | null = null;
        if (stream) {
          for (const event of (await res.text()).split('\n\n')) {
            if (!event.startsWith('data: {')) continue;
            const chunk = JSON.parse(event.slice(6)) as { choices: { finish_reason: string | null }[]; usage?: Record<string, number> };
            finish = chunk.choices[0]?.finish_reason ?? finish;
            usage = chunk.usage ?? usage;
          }
        } else {
          const body = (await res.json()) as { choices: { finish_reason: string }[]; usage: Record<string, number> };
          finish = body.choices[0]!.finish_reason;
          usage = body.usage;
        }
        expect(finish).toBe(reason);
        expect(usage!.completion_tokens).toBe(15);
        const [row] = ledgerRows(stack, `request_id = '${res.headers.get('x-request-id')}'`);
        expect(row).toMatchObject({ finish_reason: reason, basis: 'upstream', output_tokens: 15, http_status: 200 });
        expect(row!.cost_nano).toBe(expectedCost(row!, FLASH.peak));
      });
    }
  }
});
