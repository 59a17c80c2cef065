import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// The gateway's own limits, whatever the buyers' keys allow: how many streams it keeps open, and
// how much of a non-stream answer it reads.

const MAX_STREAMS = 2;
const MAX_UPSTREAM_BODY = 64 * 1024;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_OPEN_STREAMS: String(MAX_STREAMS), TOLLGATE_MAX_UPSTREAM_BODY_BYTES: String(MAX_UPSTREAM_BODY) } });
});
afterAll(() => stack.close());

async function openStream(key: string) {
  const res = await chat(stack, key, { model: 'deepseek-v4-flash', stream: true, messages: user('queued #tokens=3') });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read(); // the first keep-alive: the stream is open
  return reader;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>) {
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value);
  }
}

describe('the cap on open streams (TOLLGATE_MAX_OPEN_STREAMS)', () => {
  it('refuses one stream more with 503 and Retry-After, before anything is held or sent upstream', async () => {
    const key = await stack.key();
    // DeepSeek keeps both streams in its queue for a while (keep-alives first)
    await stack.control('next', { queue_ms: 1500, times: MAX_STREAMS });
    const open = [await openStream(key), await openStream(key)];
    const sentBefore = (await stack.upstreamRequests()).length;
    const heldBefore = stack.gw.deps.metering.holdsTotal().count;
    expect(heldBefore).toBe(MAX_STREAMS);

    const refused = await chat(stack, key, { model: 'deepseek-v4-flash', stream: true, messages: user('one more') });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ error: { message: expect.stringContaining(String(MAX_STREAMS)), type: 'api_error', code: 'too_many_streams', param: null } });
    expect((await stack.upstreamRequests()).length).toBe(sentBefore);
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(heldBefore);

    // the cap counts streams only: a non-stream request still goes through
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('not a stream #tokens=2') })).status).toBe(200);

    for (const reader of open) expect(await drain(reader)).toContain('data: [DONE]');
    // the slots came back: a stream is admitted again, and only admitted requests were billed
    const again = await chat(stack, key, { model: 'deepseek-v4-flash', stream: true, messages: user('again #tokens=2') });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('data: [DONE]');
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`)).toHaveLength(MAX_STREAMS + 2);
    expect(stack.gw.deps.metering.holdsTotal()).toEqual({ count: 0, nano: 0 });
  });

  it('gives the slot back when a stream is refused later in admission (here: by the budget)', async () => {
    const poor = await stack.key({ budget: '0.000001' });
    for (let i = 0; i < MAX_STREAMS + 1; i++) {
      expect((await chat(stack, poor, { model: 'deepseek-v4-flash', stream: true, messages: user('too poor') })).status).toBe(402);
    }
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', stream: true, messages: user('slots are free #tokens=2') });
    expect(res.status).toBe(200);
    await res.text();
  });
});

describe('the cap on a non-stream answer (TOLLGATE_MAX_UPSTREAM_BODY_BYTES)', () => {
  it('ends an answer over the cap with a clear 502, billed once as estimated, the hold released', async () => {
    const key = await stack.key();
    // about 7 bytes a token: well over 64 KiB
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('a very long answer #tokens=20000') });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_error');
    expect(body.error.message).toContain(String(MAX_UPSTREAM_BODY));
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ basis: 'estimated', http_status: 502 });
    expect(keyRow(stack, key).spent_nano).toBe(rows[0]!.cost_nano as number);
    expect(stack.gw.deps.metering.holdsTotal()).toEqual({ count: 0, nano: 0 });
    // an answer under the cap is served as usual
    expect((await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('short #tokens=20') })).status).toBe(200);
  });
});
