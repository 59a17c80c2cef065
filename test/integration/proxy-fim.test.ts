import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import OpenAI from 'openai';
import { formatUsd } from '../../server/lib/money';
import { bearer, keyRow, ledgerRows, sseEvents, startStack, type Stack } from '../helpers/stack';

// FIM completion and DeepSeek's /beta base: relayed to DeepSeek's /beta/completions (and
// /beta/chat/completions), metered like chat, in OpenAI's error shape.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

type Row = Record<string, unknown>;
type ErrorBody = { error: { message: string; type: string; code: string; param: string | null } };
const FIM = { model: 'deepseek-v4-flash', prompt: 'def fib(n):\n    #tokens=6', suffix: '\n    return a' };
const fim = (key: string, body: Record<string, unknown>, path = '/beta/completions') => fetch(`${stack.gw.url}${path}`, { method: 'POST', headers: bearer(key), body: JSON.stringify(body) });
const rowsOf = (key: string): Row[] => ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
const beta = (key: string) => new OpenAI({ baseURL: `${stack.gw.url}/beta`, apiKey: key, maxRetries: 0, timeout: 20_000 });

/** The usage columns of a ledger row, as DeepSeek's usage names them. */
const tokensOf = (row: Row) => ({ hit: row.cache_hit_tokens, miss: row.cache_miss_tokens, output: row.output_tokens });
const tokensIn = (usage: { prompt_cache_hit_tokens: number; prompt_cache_miss_tokens: number; completion_tokens: number }) => ({
  hit: usage.prompt_cache_hit_tokens,
  miss: usage.prompt_cache_miss_tokens,
  output: usage.completion_tokens,
});

async function expectRefused(res: Response, status: number, code: string, param?: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  return body;
}

describe('FIM completion', () => {
  for (const path of ['/beta/completions', '/v1/completions', '/completions']) {
    it(`answers on ${path} with the public model name, relayed to DeepSeek's /beta/completions, one ledger row`, async () => {
      const key = await stack.key();
      const res = await fim(key, FIM, path);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^req_/);
      const body = (await res.json()) as { object: string; model: string; choices: { text: string; finish_reason: string }[]; usage: Parameters<typeof tokensIn>[0] };
      expect(body.object).toBe('text_completion');
      expect(body.model).toBe('deepseek-v4-flash');
      expect(body.choices[0]!.text.trim().split(' ')).toHaveLength(6);
      expect(body.choices[0]!.finish_reason).toBe('stop');
      const sent = (await stack.upstreamRequests()).at(-1)!;
      expect(sent.path).toBe('/beta/completions');
      expect(sent.body).toMatchObject({ model: 'deepseek-flash', prompt: FIM.prompt, suffix: FIM.suffix, max_tokens: 4096 });
      expect(typeof sent.body.user_id).toBe('string');
      const [row, ...more] = rowsOf(key);
      expect(more).toHaveLength(0);
      expect(row).toMatchObject({ protocol: 'fim', public_model: 'deepseek-v4-flash', basis: 'upstream', http_status: 200, stream: 0, finish_reason: 'stop' });
      expect(tokensOf(row!)).toEqual(tokensIn(body.usage));
      expect(res.headers.get('x-tollgate-cost-usd')).toBe(formatUsd(row!.cost_nano as number));
      expect(keyRow(stack, key).spent_nano).toBe(row!.cost_nano as number);
    });
  }

  it('streams data-only chunks, then the cost comment and [DONE], and bills the usage DeepSeek was made to send', async () => {
    const key = await stack.key();
    const res = await fim(key, { ...FIM, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await sseEvents(res);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events.at(-2)).toMatch(/^: x-tollgate-cost-usd=\d+\.\d{9} x-tollgate-remaining-usd=\d+\.\d{9}$/);
    const chunks = events.filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as Row & { choices: { text?: string }[]; usage?: Parameters<typeof tokensIn>[0] | null });
    expect(chunks.every((c) => c.object === 'text_completion' && c.model === 'deepseek-v4-flash')).toBe(true);
    // the client did not ask for usage: no usage: null, and the usage chunk DeepSeek was made to send
    expect(chunks.filter((c) => c.usage === null)).toHaveLength(0);
    const usage = chunks.at(-1)!.usage!;
    expect(chunks.map((c) => c.choices.map((x) => x.text ?? '').join('')).join('').trim().split(' ')).toHaveLength(6);
    expect((await stack.upstreamRequests()).at(-1)!.body.stream_options).toEqual({ include_usage: true });
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ protocol: 'fim', basis: 'upstream', stream: 1, http_status: 200 });
    expect(tokensOf(row!)).toEqual(tokensIn(usage));
    expect(events.at(-2)).toContain(`x-tollgate-cost-usd=${formatUsd(row!.cost_nano as number)}`);
  });

  it('works with the openai package’s completions.create on the base URL …/beta, plain and streamed', async () => {
    const key = await stack.key();
    const client = beta(key);
    const plain = await client.completions.create({ model: 'deepseek-v4-flash', prompt: 'const x = #tokens=4', suffix: ';', max_tokens: 64 });
    expect(plain.choices[0]!.text.trim().split(' ')).toHaveLength(4);
    expect(plain.usage!.completion_tokens).toBe(4);
    const stream = await client.completions.create({ model: 'deepseek-v4-flash', prompt: 'let y = #tokens=5', suffix: ';', max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let streamedUsage: OpenAI.Completions.CompletionUsage | undefined;
    let nullUsage = 0;
    for await (const chunk of stream) {
      text += chunk.choices.map((c) => c.text).join('');
      if (chunk.usage) streamedUsage = chunk.usage;
      else if (chunk.usage === null) nullUsage++;
    }
    expect(text.trim().split(' ')).toHaveLength(5);
    expect(streamedUsage!.completion_tokens).toBe(5);
    // the client asked for usage itself: the other chunks keep usage: null, as DeepSeek sends them
    expect(nullUsage).toBeGreaterThan(0);
    const rows = rowsOf(key);
    expect(rows.map((r) => [r.protocol, r.stream, r.output_tokens])).toEqual([['fim', 0, 4], ['fim', 1, 5]]);
  });

  it('refuses max_tokens over 4096 and thinking with a clear 400, before anything is held or sent', async () => {
    const key = await stack.key();
    const before = (await stack.upstreamRequests()).length;
    const tooMany = await expectRefused(await fim(key, { ...FIM, max_tokens: 5000 }), 400, 'invalid_request_error', 'max_tokens');
    expect(tooMany.error.message).toContain('4096');
    const thinking = await expectRefused(await fim(key, { ...FIM, thinking: { type: 'enabled' } }), 400, 'invalid_request_error', 'thinking');
    expect(thinking.error.message).toContain('non-thinking');
    // deepseek-reasoner is the alias that forces thinking
    await expectRefused(await fim(key, { ...FIM, model: 'deepseek-reasoner' }), 400, 'invalid_request_error', 'model');
    await expectRefused(await fim(key, { ...FIM, prompt: 'a\u0000b' }), 400, 'invalid_request_error', 'prompt');
    expect((await stack.upstreamRequests()).length).toBe(before);
    expect(rowsOf(key)).toHaveLength(0);
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
    // the limit itself is fine, and a cap below it is sent as asked
    expect((await fim(key, { ...FIM, max_tokens: 4096 })).status).toBe(200);
    expect((await fim(key, { ...FIM, max_tokens: 10 })).status).toBe(200);
    expect((await stack.upstreamRequests()).at(-1)!.body.max_tokens).toBe(10);
  });

  it('checks in the contract’s order: key (before the body), model, plan, rate, budget', async () => {
    const badBody = { ...FIM, max_tokens: 5000, model: 'no-such-model' };
    await expectRefused(await fim('sk-gateway-' + 'x'.repeat(40), badBody), 401, 'invalid_api_key');
    await expectRefused(await fim(await stack.key(), badBody), 404, 'model_not_found');
    await expectRefused(await fim(await stack.key({ planId: 'starter' }), { ...FIM, model: 'deepseek-v4-pro', max_tokens: 5000 }), 403, 'model_not_allowed');
    const limited = await stack.key({ rpmOverride: 1 });
    expect((await fim(limited, FIM)).status).toBe(200);
    const refused = await fim(limited, FIM);
    await expectRefused(refused, 429, 'rate_limit_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const poor = await stack.key({ budget: '0.00001' });
    await expectRefused(await fim(poor, { ...FIM, prompt: 'x'.repeat(40) }), 402, 'insufficient_quota');
    expect(rowsOf(poor)).toHaveLength(0);
  });

  it('lowers max_tokens to what the budget holds, says so, and sends DeepSeek that cap', async () => {
    const key = await stack.key({ budget: '0.001' });
    const res = await fim(key, FIM);
    expect(res.status).toBe(200);
    const clamped = Number(res.headers.get('x-tollgate-max-tokens-clamped'));
    expect(clamped).toBeGreaterThanOrEqual(16);
    expect(clamped).toBeLessThan(4096);
    expect((await stack.upstreamRequests()).at(-1)!.body.max_tokens).toBe(clamped);
  });

  it('bills a stream the client left as estimated, from the prompt and the text received', async () => {
    const slow = await startStack({ sim: { tokensPerSecond: 50 } });
    try {
      const key = await slow.key();
      const res = await fetch(`${slow.gw.url}/beta/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ ...FIM, prompt: 'a long middle #tokens=200', stream: true }) });
      const reader = res.body!.getReader();
      let received = 0;
      while (received < 4) received += new TextDecoder().decode((await reader.read()).value).split('data: ').length - 1;
      await reader.cancel();
      let rows: Row[] = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        await Bun.sleep(100);
        rows = ledgerRows(slow, `key_id = '${keyRow(slow, key).id}'`);
      }
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ protocol: 'fim', basis: 'estimated', finish_reason: 'client_disconnected' });
      expect(rows[0]!.cache_miss_tokens as number).toBeGreaterThan(5);
      expect(rows[0]!.output_tokens as number).toBeGreaterThanOrEqual(2);
      expect(rows[0]!.output_tokens as number).toBeLessThan(100);
      expect(keyRow(slow, key).spent_nano).toBe(rows[0]!.cost_nano as number);
      await Bun.sleep(300);
      expect(slow.gw.deps.metering.holdsTotal().count).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('lists each request’s protocol in /api/usage/requests and the admin ledger', async () => {
    const key = await stack.key();
    expect((await fim(key, FIM)).status).toBe(200);
    expect((await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi #tokens=2' }] }) })).status).toBe(200);
    const usage = (await (await fetch(`${stack.gw.url}/api/usage/requests`, { headers: bearer(key) })).json()) as { data: { protocol: string }[] };
    expect(usage.data.map((r) => r.protocol)).toEqual(['chat', 'fim']);
    const admin = { authorization: `Bearer ${stack.gw.admin.token}` };
    const id = keyRow(stack, key).id;
    const ledger = (await (await fetch(`${stack.gw.url}/admin/api/ledger?key_id=${id}&protocol=fim`, { headers: admin })).json()) as { data: { protocol: string }[]; total: number };
    expect(ledger.total).toBe(1);
    expect(ledger.data[0]!.protocol).toBe('fim');
    const keyLedger = (await (await fetch(`${stack.gw.url}/admin/api/keys/${id}/ledger`, { headers: admin })).json()) as { data: { protocol: string }[] };
    expect(keyLedger.data.map((r) => r.protocol).sort()).toEqual(['chat', 'fim']);
    const csv = (await (await fetch(`${stack.gw.url}/admin/api/ledger.csv?key_id=${id}`, { headers: admin })).text()).trim().split('\r\n');
    const column = csv[0]!.split(',').indexOf('protocol');
    expect(column).toBeGreaterThan(0);
    expect(csv.slice(1).map((line) => line.split(',')[column]).sort()).toEqual(['chat', 'fim']);
  });
});

describe('an editor plugin on the /beta base', () => {
  it('serves Continue’s deepseek provider: FIM at beta/completions resolved against https://HOST/beta, streamed', async () => {
    const key = await stack.key();
    // what Continue's Deepseek._streamFim sends, to the URL it builds
    const endpoint = new URL('beta/completions', `${stack.gw.url}/beta`);
    expect(endpoint.pathname).toBe('/beta/completions');
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'deepseek-v4-flash', prompt: 'def add(a, b):\n    #tokens=4', suffix: '\n', max_tokens: 64, temperature: 0, stop: ['\n\n'], stream: true }),
    });
    expect(res.status).toBe(200);
    const text = (await sseEvents(res))
      .filter((e) => e.startsWith('data: {'))
      .map((e) => (JSON.parse(e.slice(6)) as { choices: { text?: string }[] }).choices[0]?.text ?? '')
      .join('');
    expect(text.trim().split(' ')).toHaveLength(4);
    expect(rowsOf(key)[0]).toMatchObject({ protocol: 'fim', basis: 'upstream', stream: 1 });
  });
});

describe('the /beta base for chat', () => {
  it('relays chat prefix completion through an SDK pointed at …/beta, billed as chat', async () => {
    const key = await stack.key();
    const answer = await beta(key).chat.completions.create({
      model: 'deepseek-chat',
      messages: [
        { role: 'user', content: 'Write a haiku #tokens=5' },
        { role: 'assistant', content: 'Autumn', prefix: true } as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam,
      ],
    });
    expect(answer.model).toBe('deepseek-v4-flash');
    expect(answer.choices[0]!.message.content!.trim().split(' ')).toHaveLength(5);
    expect((await stack.upstreamRequests()).at(-1)!.path).toBe('/beta/chat/completions');
    // a plain chat on the beta base goes to DeepSeek's beta base too
    const plain = await beta(key).chat.completions.create({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hello #tokens=3' }], stream: true });
    let content = '';
    for await (const chunk of plain) content += chunk.choices[0]?.delta.content ?? '';
    expect(content.trim().split(' ')).toHaveLength(3);
    expect((await stack.upstreamRequests()).at(-1)!.path).toBe('/beta/chat/completions');
    expect(rowsOf(key).map((r) => [r.protocol, r.http_status])).toEqual([['chat', 200], ['chat', 200]]);
  });
});
