import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { tokensPerSecond: 400 } });
});
afterAll(() => stack.close());

describe('budget holds under concurrency', () => {
  it('never lets 200 concurrent requests spend more than a key has, and spent equals the ledger exactly', async () => {
    const key = await stack.key({ budget: '0.03' });
    const { id, budget_nano } = keyRow(stack, key);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        chat(stack, key, { model: 'deepseek-v4-pro', messages: user(`request ${i} #tokens=40 #think=20`), max_tokens: 120, stream: i % 2 === 0 }).then(async (res) => {
          await res.text();
          return res.status;
        }),
      ),
    );
    const ok = statuses.filter((s) => s === 200).length;
    const poor = statuses.filter((s) => s === 402).length;
    expect(ok).toBeGreaterThan(10);
    expect(poor).toBeGreaterThan(0);
    expect(ok + poor).toBe(200);

    const after = keyRow(stack, key);
    const rows = ledgerRows(stack, `key_id = '${id}'`);
    const sum = rows.reduce((total, r) => total + (r.cost_nano as number), 0);
    expect(after.spent_nano).toBeLessThanOrEqual(budget_nano);
    expect(after.spent_nano).toBe(sum);
    expect(rows).toHaveLength(ok);
    expect(stack.gw.deps.metering.holdsTotal()).toEqual({ count: 0, nano: 0 });
  });

  it('holds the worst case: a key with room for one answer runs them one at a time', async () => {
    // flash output at peak is 1200 nano-USD per token: 0.0005 USD fits ~400 tokens of cap
    const key = await stack.key({ budget: '0.0005' });
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => chat(stack, key, { model: 'deepseek-v4-flash', messages: user('x #tokens=10'), max_tokens: 300 }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(keyRow(stack, key).spent_nano).toBeLessThanOrEqual(500_000);
  });
});
