import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { expectNothingCharged, expectStillServing, rawExchange, type RawExchange } from '../helpers/bad-input';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// Slow clients. TOLLGATE_CLIENT_IDLE_TIMEOUT_SECONDS (Bun's idleTimeout) closes a connection whose
// body stalls; a connection that never finishes its request head is closed by Bun's own fixed
// pre-request deadline (10 s, swept every 4 s). Neither may cut an answer that is slow because
// DeepSeek is slow: the chat route lifts the idle time-out once the body is in.
// All scenarios start together in beforeAll, so the file takes as long as the slowest (~12 s).

const IDLE_SECONDS = 2;
/** longer than the idle time-out rounded up to Bun's 4-second sweep */
const SLOWER_THAN_IDLE_MS = (IDLE_SECONDS + 4) * 1000 + 500;

let stack: Stack;
const keys = { body: '', loris: '', slow: '', stream: '' };
let started = 0;
let stalledBody: Promise<RawExchange>;
let loris: Promise<RawExchange[]>;
let slowAnswer: Promise<{ status: number; text: string; ms: number }>;
let slowStream: Promise<{ status: number; text: string; ms: number }>;

const head = (key: string, length: number) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

async function timedChat(key: string, body: Record<string, unknown>) {
  const res = await chat(stack, key, body);
  const text = await res.text();
  return { status: res.status, text, ms: Date.now() - started };
}

/** Starts a chat whose upstream answer follows the simulator rule `rule`, once DeepSeek has it. */
async function startWithRule(rule: Record<string, unknown>, key: string, body: Record<string, unknown>) {
  await stack.control('next', rule);
  const before = (await stack.upstreamRequests()).length;
  const answer = timedChat(key, body);
  for (let i = 0; i < 200 && (await stack.upstreamRequests()).length === before; i++) await Bun.sleep(10);
  return { answer }; // wrapped: an async function would otherwise wait for the answer itself
}

beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_CLIENT_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) } });
  for (const name of Object.keys(keys) as (keyof typeof keys)[]) keys[name] = await stack.key();
  started = Date.now();
  const body = JSON.stringify({ model: 'deepseek-v4-flash', messages: user('hi #tokens=2') });
  stalledBody = rawExchange(stack.gw.port, head(keys.body, body.length) + body.slice(0, 20), 10_000);
  loris = Promise.all([
    rawExchange(stack.gw.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthori', 16_000),
    rawExchange(stack.gw.port, `POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer ${keys.loris}\r\n`, 16_000),
    rawExchange(stack.gw.port, '', 16_000),
  ]);
  slowAnswer = (await startWithRule({ queue_ms: SLOWER_THAN_IDLE_MS }, keys.slow, { model: 'deepseek-v4-flash', messages: user('take your time #tokens=3') })).answer;
  slowStream = (await startWithRule({ stall_ms: SLOWER_THAN_IDLE_MS }, keys.stream, { model: 'deepseek-v4-flash', stream: true, messages: user('and pause #tokens=6') })).answer;
});
afterAll(() => stack.close());

describe('clients that stall', () => {
  it('serves other clients while the stalled ones hang on', async () => {
    for (let i = 0; i < 3; i++) await expectStillServing(stack);
  });

  // "Closed" means the gateway closed it before rawExchange gave up waiting (its waitMs): how soon
  // within that depends on Bun's 4-second sweep and on the machine's load, so no finer bound.
  it('closes a connection whose body stalls halfway (the idle time-out, swept by Bun)', async () => {
    const exchange = await stalledBody;
    expect(exchange.closedAfterMs).not.toBeNull();
    expect(exchange.status === null || exchange.status >= 400).toBe(true);
    expectNothingCharged(stack, keys.body);
  }, 12_000);

  it('closes slow-loris connections that send half a request head, or nothing (Bun’s 10 s head deadline)', async () => {
    for (const exchange of await loris) {
      expect(exchange.closedAfterMs).not.toBeNull();
      expect(exchange.status).toBeNull();
    }
    expectNothingCharged(stack, keys.loris);
    await expectStillServing(stack);
  }, 20_000);
});

describe('answers that are slow because DeepSeek is', () => {
  it('does not cut a non-stream answer that takes longer than the idle time-out', async () => {
    const answer = await slowAnswer;
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(answer.ms).toBeGreaterThanOrEqual(SLOWER_THAN_IDLE_MS - 100);
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, keys.slow).id}'`)).toHaveLength(1);
  }, 20_000);

  it('does not cut a stream with a long silence in the middle', async () => {
    const answer = await slowStream;
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeGreaterThanOrEqual(SLOWER_THAN_IDLE_MS - 100);
    expect(answer.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(answer.text).not.toContain('"error"');
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, keys.stream).id}'`);
    expect(rows).toHaveLength(1);
    expect(keyRow(stack, keys.stream).spent_nano).toBe(rows[0]?.cost_nano as number);
  }, 20_000);
});
