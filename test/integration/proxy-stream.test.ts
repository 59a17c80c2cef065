import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, keyRow, ledgerRows, sseEvents, startStack, user, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const dataOf = (events: string[]) => events.filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]').map((e) => JSON.parse(e.slice(6)) as Record<string, any>);

describe('the stream transform', () => {
  it('sends OpenAI-compatible SSE bytes, usage on the last chunk, the cost comment, then [DONE]', async () => {
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('bytes #tokens=5'), stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.headers.get('x-tollgate-cost-usd')).toMatch(/^\d+\.\d{9}$/);
    const events = await sseEvents(res);
    expect(events.at(-1)).toBe('data: [DONE]');
    const comment = events.at(-2)!;
    expect(comment).toMatch(/^: x-tollgate-cost-usd=\d+\.\d{9} x-tollgate-remaining-usd=\d+\.\d{9}$/);
    const chunks = dataOf(events);
    for (const chunk of chunks) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('deepseek-v4-flash');
      expect(Array.isArray(chunk.choices)).toBe(true);
    }
    // the client did not ask for include_usage: no `usage: null` on the others, usage on the last
    expect(chunks.slice(0, -1).every((c) => !('usage' in c))).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe('stop');
    // V4 models think by default: completion tokens include the reasoning
    expect(last.usage.completion_tokens - last.usage.completion_tokens_details.reasoning_tokens).toBe(5);
    const [row] = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(comment).toContain(`x-tollgate-cost-usd=${(Number(row!.cost_nano) / 1e9).toFixed(9)}`);
  });

  it('keeps usage: null on the other chunks when the client asked for include_usage', async () => {
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-chat', messages: user('usage #tokens=3'), stream: true, stream_options: { include_usage: true } });
    const chunks = dataOf(await sseEvents(res));
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)!.usage.completion_tokens).toBe(3);
  });

  it('removes reasoning_content by default and drops the chunks it leaves empty', async () => {
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-reasoner', messages: user('think #tokens=4 #think=6'), stream: true });
    const chunks = dataOf(await sseEvents(res));
    expect(chunks.some((c) => c.choices[0]?.delta && 'reasoning_content' in c.choices[0].delta)).toBe(false);
    expect(chunks[0]!.choices[0].delta.role).toBe('assistant');
    // role chunk + 4 content chunks + finish chunk
    expect(chunks).toHaveLength(6);
    expect(chunks.at(-1)!.usage.completion_tokens_details.reasoning_tokens).toBe(6);
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`)[0]!.reasoning_tokens).toBe(6);
  });

  it('keeps reasoning_content when the request sets include_reasoning, or the key’s setting is on', async () => {
    const key = await stack.key();
    const asked = dataOf(await sseEvents(await chat(stack, key, { model: 'deepseek-reasoner', messages: user('think #tokens=2 #think=3'), stream: true, include_reasoning: true })));
    expect(asked.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join('').trim().split(' ')).toHaveLength(3);
    const upstreamBody = (await stack.upstreamRequests()).at(-1)!.body;
    expect(upstreamBody.include_reasoning).toBeUndefined();

    await stack.gw.deps.metering.setShowReasoning(keyRow(stack, key).id, true);
    const res = await chat(stack, key, { model: 'deepseek-reasoner', messages: user('think #tokens=2 #think=3') });
    const body = (await res.json()) as { choices: { message: { reasoning_content?: string } }[] };
    expect(body.choices[0]!.message.reasoning_content?.trim().split(' ')).toHaveLength(3);
  });

  it('passes DeepSeek’s keep-alive comments on while a request is queued', async () => {
    const key = await stack.key();
    await stack.control('next', { queue_ms: 700 });
    const events = await sseEvents(await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('queued #tokens=2'), stream: true }));
    expect(events.filter((e) => e === ': keep-alive').length).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('tolerates the blank lines DeepSeek sends before a queued non-stream body', async () => {
    const key = await stack.key();
    await stack.control('next', { queue_ms: 700 });
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('queued #tokens=2') });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('deepseek-v4-flash');
  });
});

describe('forwarding', () => {
  it('maps the model and thinking, sets user_id and include_usage, and passes unknown fields through', async () => {
    const key = await stack.key();
    await chat(stack, key, { model: 'deepseek-chat', messages: user('fwd #tokens=1'), stream: true, seed: 7, logit_bias: {}, custom_field: { a: 1 } });
    const sent = (await stack.upstreamRequests()).at(-1)!;
    expect(sent.path).toBe('/chat/completions');
    expect(sent.body.model).toBe('deepseek-flash');
    expect(sent.body.thinking).toEqual({ type: 'disabled' });
    expect(sent.body.stream_options).toEqual({ include_usage: true });
    expect(sent.body.seed).toBe(7);
    expect(sent.body.logit_bias).toEqual({});
    expect(sent.body.custom_field).toEqual({ a: 1 });
    expect(String(sent.body.user_id)).toMatch(/^tg-[A-Za-z0-9]{24}$/);
    expect(String(sent.headers.authorization)).not.toContain(key);
  });

  it('routes a trailing assistant message with prefix: true to the beta base', async () => {
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Write code #tokens=2' }, { role: 'assistant', content: '```python\n', prefix: true }] });
    expect(res.status).toBe(200);
    expect((await stack.upstreamRequests()).at(-1)!.path).toBe('/beta/chat/completions');
  });

  it('lowers max_tokens to what the budget allows and says so', async () => {
    const key = await stack.key({ budget: '0.0005' });
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('clamp #tokens=3') });
    expect(res.status).toBe(200);
    const clamped = Number(res.headers.get('x-tollgate-max-tokens-clamped'));
    expect(clamped).toBeGreaterThanOrEqual(16);
    expect(clamped).toBeLessThan(500_000 / 1200);
    expect((await stack.upstreamRequests()).at(-1)!.body.max_tokens).toBe(clamped);
  });

  it('estimates and bills a stream the client left after a few chunks', async () => {
    const key = await stack.key();
    const slow = await startStack({ sim: { tokensPerSecond: 50 } });
    try {
      const k = await slow.key();
      const res = await chat(slow, k, { model: 'deepseek-v4-flash', messages: user('a long answer please #tokens=200'), stream: true });
      const reader = res.body!.getReader();
      let received = 0;
      while (received < 4) {
        const { value } = await reader.read();
        received += new TextDecoder().decode(value).split('data: ').length - 1;
      }
      await reader.cancel();
      let rows: Record<string, unknown>[] = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        await Bun.sleep(100);
        rows = ledgerRows(slow, `key_id = '${keyRow(slow, k).id}'`);
      }
      expect(rows).toHaveLength(1);
      expect(rows[0]!.basis).toBe('estimated');
      expect(rows[0]!.finish_reason).toBe('client_disconnected');
      expect(rows[0]!.cache_miss_tokens as number).toBeGreaterThan(5);
      expect(rows[0]!.output_tokens as number).toBeGreaterThanOrEqual(2);
      // billed for what was generated before the gateway stopped DeepSeek, not for the whole
      // 200-token answer (how many came first depends on the machine's load, not on the code)
      expect(rows[0]!.output_tokens as number).toBeLessThan(200);
      expect(keyRow(slow, k).spent_nano).toBe(rows[0]!.cost_nano as number);
      // settled, so its hold is released
      expect(slow.gw.deps.metering.holdsTotal().count).toBe(0);
    } finally {
      await slow.close();
    }
    void key;
  });

  it('sends one final error event when the upstream breaks mid-stream, and still settles', async () => {
    const key = await stack.key();
    await stack.control('next', { cut_after_chunks: 3 });
    const events = await sseEvents(await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('cut #tokens=20'), stream: true }));
    const last = JSON.parse(events.filter((e) => e.startsWith('data: ')).at(-1)!.slice(6));
    expect(last.choices).toEqual([]);
    expect(last.error.code).toBe('upstream_error');
    expect(events).not.toContain('data: [DONE]');
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.basis).toBe('estimated');
    expect(rows[0]!.http_status).toBe(502);
  });
});
