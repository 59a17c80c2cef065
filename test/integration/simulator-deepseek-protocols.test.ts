// The DeepSeek simulator's control API works the same on all four protocols: injected statuses,
// stalls, queueing with keep-alives, cuts, an empty balance, and the request log gateway tests
// read to see what was forwarded.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createDeepSeekSimulator } from '../../server/simulators/deepseek';
import { postTo, readToEnd, recorded, SIM_KEY, simControl, startSim, type Sim } from '../helpers/deepseek-sim';

let sim: Sim;

beforeAll(() => {
  sim = startSim();
});
afterAll(() => sim.stop());
beforeEach(() => simControl(sim, 'reset'));

interface Case {
  name: string;
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const bearer = { authorization: `Bearer ${SIM_KEY}` };
const CASES: Case[] = [
  { name: 'chat', path: '/v1/chat/completions', body: { model: 'deepseek-flash', messages: [{ role: 'user', content: 'hi #tokens=6' }] }, headers: bearer },
  { name: 'Anthropic Messages', path: '/anthropic/v1/messages', body: { model: 'claude-sonnet-5-5', max_tokens: 64, metadata: { user_id: 'buyer_1' }, messages: [{ role: 'user', content: 'hi #tokens=6' }] }, headers: { 'x-api-key': SIM_KEY } },
  { name: 'Responses', path: '/v1/responses', body: { model: 'deepseek-flash', input: 'hi #tokens=6' }, headers: bearer },
  { name: 'FIM', path: '/beta/completions', body: { model: 'deepseek-flash', prompt: 'def f():', max_tokens: 6 }, headers: bearer },
];

const send = (c: Case, extra: Record<string, unknown> = {}) => postTo(sim, c.path, { ...c.body, ...extra }, c.headers);

describe.each(CASES)('$name', (c) => {
  test('an injected status answers in DeepSeek’s envelope, once; times and key are honoured', async () => {
    await simControl(sim, 'next', { status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await send(c);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ error: { message: 'Server Overloaded', type: 'server_overloaded', param: null, code: 'server_overloaded' } });
    }
    expect((await send(c)).status).toBe(200);
    await simControl(sim, 'next', { status: 429, key: 'sk-someone-else' });
    expect((await send(c)).status).toBe(200);
  });

  test('an unavailable balance is a 402', async () => {
    await simControl(sim, 'balance', { key: SIM_KEY, available: false });
    const r = await send(c);
    expect(r.status).toBe(402);
    expect((await r.json()).error.message).toBe('Insufficient Balance');
  });

  test('stall_ms holds the answer back', async () => {
    await simControl(sim, 'next', { stall_ms: 200 });
    const start = performance.now();
    expect((await send(c)).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
  });

  test('queue_ms: a stream gets : keep-alive comments first, a plain answer blank lines, and both still parse', async () => {
    await simControl(sim, 'next', { queue_ms: 150 });
    const streamed = await (await send(c, { stream: true })).text();
    const frames = streamed.split('\n\n');
    expect(frames[0]).toBe(': keep-alive');
    expect(frames.filter((f) => f === ': keep-alive').length).toBeGreaterThanOrEqual(2);
    expect(frames.slice(frames.findIndex((f) => f !== ': keep-alive')).some((f) => f === ': keep-alive')).toBe(false);

    await simControl(sim, 'next', { queue_ms: 150 });
    const plain = await (await send(c)).text();
    expect(plain.startsWith('\n\n')).toBe(true);
    expect(typeof JSON.parse(plain.trim()).id).toBe('string');
  });

  test('cut_after_chunks breaks the connection after K events, before the end', async () => {
    await simControl(sim, 'next', { cut_after_chunks: 2 });
    // A plain request does not take the cut.
    expect((await send(c)).status).toBe(200);
    const { text, broken } = await readToEnd(await send(c, { stream: true }));
    expect(broken).toBe(true);
    expect(text.split('\n\n').filter((f) => f !== '')).toHaveLength(2);
  });

  test('tokensPerSecond paces the stream event by event', async () => {
    const paced = createDeepSeekSimulator({ tokensPerSecond: 100 });
    const start = performance.now();
    const r = await paced.fetch(new Request(`http://sim${c.path}`, { method: 'POST', headers: c.headers, body: JSON.stringify({ ...c.body, stream: true }) }));
    const text = await r.text();
    // 6 content tokens (+ reasoning where thinking is on) at 10 ms each.
    expect(performance.now() - start).toBeGreaterThanOrEqual(50);
    expect(text.length).toBeGreaterThan(0);
  });

  test('/_control/requests records the path, query, masked headers and the body as received', async () => {
    await postTo(sim, `${c.path}?beta=true`, c.body, { ...c.headers, 'x-trace': 'abc' });
    const [entry] = await recorded(sim);
    expect(entry!.path).toBe(c.path);
    expect(entry!.query).toBe('beta=true');
    expect(entry!.headers['x-trace']).toBe('abc');
    expect(entry!.body).toEqual(c.body);
    expect(JSON.stringify(entry)).not.toContain(SIM_KEY);
  });
});

test('unknown paths are 404 and the protocol paths refuse GET with 405', async () => {
  expect((await postTo(sim, '/v1/messages', {})).status).toBe(404);
  expect((await postTo(sim, '/anthropic/v1/messages/count_tokens', {})).status).toBe(404);
  for (const path of ['/responses', '/beta/completions', '/anthropic/messages']) {
    expect((await fetch(sim.url + path, { headers: bearer })).status).toBe(405);
  }
});
