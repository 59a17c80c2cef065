import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

const A = 'sk-upstream-aaaa-1111';
const B = 'sk-upstream-bbbb-2222';

describe('the upstream pool', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ upstreamKeys: [A, B] });
  });
  afterAll(() => stack.close());

  it('retries an overloaded key on another key before anything reached the client', async () => {
    const key = stack.key();
    await stack.control('next', { status: 503, times: 1, key: A });
    await stack.control('next', { status: 503, times: 1, key: B });
    await stack.control('next', { status: 429, times: 1, key: A });
    // whichever key goes first fails; the retry on the other one fails too; a third attempt fails… up to the limit
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('retry #tokens=2') });
    const sent = (await stack.upstreamRequests()).length;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect([200, 503]).toContain(res.status);
    await stack.control('reset', {});
  });

  it('fails over from a key answering 500 to a healthy one, and bills once', async () => {
    const key = stack.key();
    await stack.control('next', { status: 500, times: 5, key: A });
    for (let i = 0; i < 3; i++) {
      const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user(`failover ${i} #tokens=2`) });
      expect(res.status).toBe(200);
    }
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.http_status === 200)).toBe(true);
    await stack.control('reset', {});
  });

  it('takes a key DeepSeek refuses (401/402) out of rotation and never shows DeepSeek’s message', async () => {
    const key = stack.key();
    await stack.control('balance', { key: B, available: false });
    for (let i = 0; i < 4; i++) {
      const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user(`pool ${i} #tokens=2`) });
      expect(res.status).toBe(200);
    }
    const states = stack.gw.deps.pool.list().map((u) => [u.hint.slice(-4), u.state]);
    expect(states).toContainEqual(['2222', 'failing']);
    expect(states).toContainEqual(['1111', 'active']);
    expect(stack.gw.logLines.some((l) => l.includes('upstream key taken out of rotation'))).toBe(true);
    expect(stack.gw.logLines.join('')).not.toContain(B);
  });

  it('answers 503 upstream_unavailable when no key is left, without DeepSeek’s words', async () => {
    const key = stack.key();
    await stack.control('balance', { key: A, available: false });
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('none left') });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_unavailable');
    expect(body.error.message).not.toMatch(/balance|deepseek|api key/i);
    expect(keyRow(stack, key).spent_nano).toBe(0);
  });
});

describe('a gateway with no upstream key', () => {
  it('answers 503 upstream_unavailable and charges nothing', async () => {
    const stack = await startStack({ upstreamKeys: [] , simKeys: ['x'] });
    try {
      const key = stack.key();
      const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x') });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
      expect(ledgerRows(stack)).toHaveLength(0);
      expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('an upstream that stops answering', () => {
  it('times out with 504 after the idle limit, and frees the hold', async () => {
    const stack = await startStack({ env: { TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS: '300' } });
    try {
      const key = stack.key();
      await stack.control('next', { stall_ms: 2000, times: 5 });
      const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('stall') });
      expect(res.status).toBe(504);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
      expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('clients that use the base URL without /v1 (as with DeepSeek’s own API)', () => {
  it('serves /chat/completions, /models and /user/balance', async () => {
    const stack = await startStack();
    try {
      const key = stack.key({ planId: 'starter', budget: '2' });
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const res = await fetch(`${stack.gw.url}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'deepseek-chat', messages: user('hi #tokens=2') }) });
      expect(res.status).toBe(200);
      const models = (await (await fetch(`${stack.gw.url}/models`, { headers })).json()) as { object: string; data: { id: string }[] };
      expect(models.object).toBe('list');
      expect(models.data.map((m) => m.id)).toEqual(['deepseek-v4-flash']);
      expect((await fetch(`${stack.gw.url}/v1/models/deepseek-v4-pro`, { headers })).status).toBe(404);
      expect(((await (await fetch(`${stack.gw.url}/v1/models/deepseek-v4-flash`, { headers })).json()) as { id: string }).id).toBe('deepseek-v4-flash');
      const balance = (await (await fetch(`${stack.gw.url}/user/balance`, { headers })).json()) as { is_available: boolean; balance_infos: { currency: string; total_balance: string }[] };
      expect(balance.is_available).toBe(true);
      expect(balance.balance_infos[0]!.currency).toBe('USD');
      expect(balance.balance_infos[0]!.total_balance).toBe('1.99');
      expect(Number(balance.balance_infos[0]!.total_balance)).toBeLessThanOrEqual(2);
    } finally {
      await stack.close();
    }
  });
});
