import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { parseUsd } from '../../server/lib/money';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { bearer, user } from '../helpers/stack';

// An upstream that breaks the wire format in ways a faithful simulator never would: the gateway
// must end the answer cleanly in the contract's shape, bill once, release the hold and the
// key's concurrency slot, and close the stream in its counts.

/** What the hostile upstream answers to the next request: a whole body, or SSE events. */
type Reply = { json: string } | { events: string[] } | 'endless-event' | 'good';

let reply: Reply = 'good';
let endlessSentMb = 0;
let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;

const USAGE = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 9 };
const chunkOf = (extra: Record<string, unknown>) =>
  JSON.stringify({ id: 'x1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-flash', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], ...extra });
const data = (json: string) => `data: ${json}\n\n`;
const completionOf = (extra: Record<string, unknown>) =>
  JSON.stringify({ id: 'x1', object: 'chat.completion', created: 1, model: 'deepseek-flash', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, logprobs: null, finish_reason: 'stop' }], usage: USAGE, ...extra });
/** Puts in JSON text a value JSON.parse reads but JSON.stringify cannot write again (its nesting overflows the stack). */
const withTooDeep = (json: string) => json.replace('"@deep@"', `${'['.repeat(200_000)}${']'.repeat(200_000)}`);

function endlessEvent(): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const piece = encoder.encode('x'.repeat(1024 * 1024));
  let step = 0;
  endlessSentMb = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      step++;
      if (step === 1) return controller.enqueue(encoder.encode(data(chunkOf({}))));
      // one event that never ends: a data line without its blank line, up to 64 MB
      if (step === 2) return controller.enqueue(encoder.encode('data: {"id":"x1","junk":"'));
      if (endlessSentMb >= 64) return controller.close();
      endlessSentMb++;
      controller.enqueue(piece);
    },
  });
}

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const body = (await request.json()) as { stream?: boolean };
      const now = reply;
      reply = 'good';
      if (now === 'endless-event') return new Response(endlessEvent(), { headers: { 'content-type': 'text/event-stream' } });
      if (now === 'good') {
        if (!body.stream) return new Response(completionOf({}), { headers: { 'content-type': 'application/json' } });
        return new Response(data(chunkOf({})) + data(chunkOf({ choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }], usage: USAGE })) + 'data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } });
      }
      if ('json' in now) return new Response(now.json, { headers: { 'content-type': 'application/json' } });
      return new Response(now.events.join(''), { headers: { 'content-type': 'text/event-stream' } });
    },
  });
  gw = await startTestGateway({ env: { DEEPSEEK_API_KEY: 'sk-upstream-hostile-1', DEEPSEEK_BASE_URL: `http://127.0.0.1:${upstream.port}` } });
});

afterAll(async () => {
  await gw.close();
  upstream.stop(true);
});

/** A key that may have one request in flight: a slot that leaked would refuse its next request with 429. */
async function newKey(budgetUsd = '1') {
  const { key, row } = await gw.deps.metering.createKey({ planId: 'pro', budgetNano: parseUsd(budgetUsd), rpmOverride: 0, concurrencyOverride: 1 });
  return { key, id: row.id };
}

function ledgerFor(keyId: string) {
  const sqlite = gw.deps.database!.sqlite;
  const { spent_nano } = sqlite.query('SELECT spent_nano FROM api_keys WHERE id = ?').get(keyId) as { spent_nano: number };
  const rows = sqlite.query('SELECT cost_nano, basis, http_status FROM ledger WHERE key_id = ?').all(keyId) as { cost_nano: number; basis: string; http_status: number }[];
  return { spent: spent_nano, rows };
}

async function send(key: string, stream: boolean) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-flash', stream, max_tokens: 50, messages: user('hello') }) });
  return { status: res.status, text: await res.text() };
}

async function gauges() {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { holds: gauge('tollgate_holds_outstanding'), openStreams: gauge('tollgate_open_streams') };
}

/** The request ended settled: one ledger row billing it, nothing held, no stream left open, and the key is served again. */
async function expectSettledOnce(key: string, id: string) {
  const ledger = ledgerFor(id);
  expect(ledger.rows).toHaveLength(1);
  expect(ledger.spent).toBe(ledger.rows[0]!.cost_nano);
  expect(await gauges()).toEqual({ holds: 0, openStreams: 0 });
  const again = await send(key, false);
  expect(again.status).toBe(200);
  expect(ledgerFor(id).rows).toHaveLength(2);
}

/** The final SSE event of a stream that broke: the contract's error object with `choices: []`, and no [DONE]. */
function expectFinalErrorEvent(text: string) {
  const last = text.trim().split('\n\n').filter((e) => e.startsWith('data: ')).pop() as string;
  const event = JSON.parse(last.slice(6)) as { error?: { code: string; type: string; message: string }; choices: unknown[] };
  expect(event.error).toMatchObject({ code: 'upstream_error', type: 'api_error' });
  expect(event.choices).toEqual([]);
  expect(text).not.toContain('[DONE]');
}

describe('a hostile upstream, non-stream', () => {
  const bodies: [string, string][] = [
    ['choices: [null]', completionOf({ choices: [null] })],
    ['choices that are not an array', completionOf({ choices: { 0: { message: { content: 'hi' } } } })],
    ['a choice whose message is null', completionOf({ choices: [{ index: 0, message: null, finish_reason: 'stop' }] })],
    ['content of the wrong type', completionOf({ choices: [{ index: 0, message: { role: 'assistant', content: 42 }, finish_reason: 'stop' }] })],
    ['usage of the wrong types', completionOf({ usage: { prompt_tokens: '9', completion_tokens: 3 } })],
    ['usage with a negative count', completionOf({ usage: { prompt_tokens: 9, completion_tokens: -3 } })],
    ['usage that is a string', completionOf({ usage: 'lots' })],
    ['a JSON array', '[1,2,3]'],
    ['a JSON number', '42'],
    ['a JSON string', '"hello"'],
    ['null', 'null'],
    ['a body nested too deep to be sent on (a throw after reading)', withTooDeep(completionOf({ choices: [{ index: 0, message: { role: 'assistant', content: 'hi', extra: '@deep@' }, finish_reason: 'stop' }] }))],
  ];
  for (const [name, json] of bodies) {
    it(`that answers ${name} gets a 502 in the contract's shape, billed once as estimated, and the key is free again`, async () => {
      const { key, id } = await newKey();
      reply = { json };
      const { status, text } = await send(key, false);
      expect(status).toBe(502);
      expect(JSON.parse(text)).toMatchObject({ error: { type: 'api_error', code: 'upstream_error' } });
      expect(ledgerFor(id).rows[0]).toMatchObject({ basis: 'estimated', http_status: 502 });
      await expectSettledOnce(key, id);
    });
  }
});

describe('a hostile upstream, stream', () => {
  const streams: [string, string[]][] = [
    ['a chunk that is null', [data(chunkOf({})), data('null')]],
    ['a chunk that is a JSON array', [data(chunkOf({})), data('[1,2]')]],
    ['a chunk that is a JSON number', [data('7')]],
    ['a chunk that is a JSON string', [data(chunkOf({})), data('"s"')]],
    ['a chunk that is not JSON', [data(chunkOf({})), data('{oops')]],
    ['delta: null', [data(chunkOf({ choices: [{ index: 0, delta: null, finish_reason: null }] }))]],
    ['choices: [null]', [data(chunkOf({})), data(chunkOf({ choices: [null] }))]],
    ['choices that are not an array', [data(chunkOf({ choices: 'many' }))]],
    ['usage of the wrong types on the last chunk', [data(chunkOf({})), data(chunkOf({ choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }], usage: { prompt_tokens: 'nine', completion_tokens: 3 } })), 'data: [DONE]\n\n']],
    ['a chunk nested too deep to be sent on (a throw in the transform)', [data(chunkOf({})), data(withTooDeep(chunkOf({ extra: '@deep@' })))]],
  ];
  for (const [name, events] of streams) {
    it(`that sends ${name} ends with the final error event, billed once, stream closed, and the key is free again`, async () => {
      const { key, id } = await newKey();
      reply = { events };
      const { status, text } = await send(key, true);
      expect(status).toBe(200);
      expectFinalErrorEvent(text);
      expect(ledgerFor(id).rows[0]).toMatchObject({ basis: 'estimated', http_status: 502 });
      await expectSettledOnce(key, id);
    });
  }

  it('that sends an event which never ends gets the stream ended with the final error event, billed once, hold released', async () => {
    reply = 'endless-event';
    const { key, id } = await newKey();
    const { status, text } = await send(key, true);
    expect(status).toBe(200);
    expectFinalErrorEvent(text);
    // the gateway gave up on the upstream near the 16 MB cap instead of reading on
    expect(endlessSentMb).toBeLessThan(40);
    await expectSettledOnce(key, id);
  }, 30_000); // 16 MB or more through the gateway: 3–5 s alone, more on a busy machine

  it('that reports absurd token counts is billed at a capped count, and the request is settled instead of lost', async () => {
    const huge = 1e300;
    reply = { events: [data(chunkOf({})), data(chunkOf({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: huge, completion_tokens: huge, prompt_cache_hit_tokens: huge, prompt_cache_miss_tokens: huge, total_tokens: huge } })), 'data: [DONE]\n\n'] };
    const { key, id } = await newKey();
    const { status, text } = await send(key, true);
    expect(status).toBe(200);
    expect(text).toContain('data: [DONE]');
    const ledger = ledgerFor(id);
    expect(ledger.rows).toHaveLength(1);
    expect(Number.isSafeInteger(ledger.rows[0]!.cost_nano)).toBe(true);
    // never more than the hold allowed: the key's budget is the ceiling
    expect(ledger.spent).toBeLessThanOrEqual(parseUsd('1'));
    await expectSettledOnce(key, id);
  });
});
