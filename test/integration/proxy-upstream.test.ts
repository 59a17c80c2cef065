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
    const key = await stack.key();
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
    const key = await stack.key();
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
    const key = await stack.key();
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
    const key = await stack.key();
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
      const key = await stack.key();
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
      const key = await stack.key();
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
      const key = await stack.key({ planId: 'starter', budget: '2' });
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

describe('a key taken out of rotation', () => {
  const FUNDED = 'sk-upstream-cccc-3333';
  const TOPPED = 'sk-upstream-dddd-4444';
  const INVALID = 'sk-upstream-eeee-5555';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ upstreamKeys: [FUNDED, TOPPED, INVALID] });
  });
  afterAll(() => stack.close());

  const stateOf = (key: string) => stack.gw.deps.pool.list().find((u) => u.hint.endsWith(key.slice(-4)))!;
  const idOf = (key: string) => stateOf(key).id;

  /** Sends requests until both keys were tried and taken out (the pool takes turns among the active ones). */
  async function untilOut(buyer: string, keys: string[], limit = 8) {
    for (let i = 0; i < limit && keys.some((k) => stateOf(k).state === 'active'); i++) {
      expect((await chat(stack, buyer, { model: 'deepseek-v4-flash', messages: user(`turn ${i} #tokens=2`) })).status).toBe(200);
    }
  }

  it('for 402 comes back when the periodic balance check sees money again; one out for 401 stays out', async () => {
    const buyer = await stack.key();
    // The operator's second DeepSeek account runs dry; the third key is refused as invalid.
    await stack.control('balance', { key: TOPPED, total_balance: '0.00' });
    await stack.control('next', { status: 401, key: INVALID, times: 1 });
    await untilOut(buyer, [TOPPED, INVALID]);
    expect(stateOf(TOPPED)).toMatchObject({ state: 'failing', failedWith: 402 });
    expect(stateOf(INVALID)).toMatchObject({ state: 'failing', failedWith: 401 });

    // Topped up at DeepSeek: without a balance check the key stays out, every request goes elsewhere.
    await stack.control('balance', { key: TOPPED, total_balance: '25.00' });
    for (let i = 0; i < 4; i++) expect((await chat(stack, buyer, { model: 'deepseek-v4-flash', messages: user(`while out ${i} #tokens=2`) })).status).toBe(200);
    expect(stateOf(TOPPED).state).toBe('failing');

    // The periodic check (run often here) sees is_available: true for it, and true for the invalid key too.
    const pool = stack.gw.deps.pool;
    pool.stopBalanceChecks();
    pool.startBalanceChecks(50);
    try {
      for (let waited = 0; stateOf(TOPPED).state !== 'active' && waited < 5000; waited += 50) await Bun.sleep(50);
    } finally {
      pool.stopBalanceChecks();
    }
    expect(stateOf(TOPPED)).toMatchObject({ state: 'active', failedWith: null, reason: null, balance: expect.objectContaining({ total: '25.00', available: true }) });
    expect(stateOf(INVALID)).toMatchObject({ state: 'failing', failedWith: 401 });
    expect(stack.gw.logLines.some((l) => l.includes('upstream key back in rotation') && l.includes(idOf(TOPPED)))).toBe(true);

    // and it carries requests again
    const since = ledgerRows(stack).length;
    for (let i = 0; i < 4; i++) await chat(stack, buyer, { model: 'deepseek-v4-flash', messages: user(`back ${i} #tokens=2`) });
    const used = ledgerRows(stack).slice(since).map((r) => r.upstream_key_id);
    expect(used).toContain(idOf(TOPPED));
    expect(used).not.toContain(idOf(INVALID));
  });

  it('keeps the reason it was taken out across a restart, so a stored 402 key can still come back', async () => {
    const { createUpstreamPool } = await import('../../server/modules/proxy/upstream-pool');
    const rows = [
      { id: 'up_a', label: 'a', keyEncrypted: stack.gw.deps.sealer.seal('sk-a-0000'), keyHint: 'sk-…0000', status: 'failing' as const, failureReason: 'DeepSeek answered 402: Insufficient Balance', balanceText: null, balanceCheckedAt: null },
      { id: 'up_b', label: 'b', keyEncrypted: stack.gw.deps.sealer.seal('sk-b-1111'), keyHint: 'sk-…1111', status: 'failing' as const, failureReason: 'DeepSeek answered 401: Authentication Fails', balanceText: null, balanceCheckedAt: null },
    ];
    const store = { all: () => rows, byId: () => undefined, upsert() {}, update() {} } as never;
    const pool = createUpstreamPool({ envKeys: [], log: stack.gw.deps.log, store, sealer: stack.gw.deps.sealer });
    await pool.load();
    expect(pool.list().map((u) => [u.id, u.state, u.failedWith])).toEqual([
      ['up_a', 'failing', 402],
      ['up_b', 'failing', 401],
    ]);
  });
});
