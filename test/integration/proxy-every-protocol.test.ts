import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Protocol } from '../../server/db/schema';
import { keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// What the relay core does the same for every protocol (chat, FIM, Anthropic Messages, Responses):
// a client that leaves mid-stream is billed an estimate and its hold released; many concurrent
// requests on a key with a few cents never overspend; a refused request costs nothing and leaves
// no ledger row.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { tokensPerSecond: 200 } });
});
afterAll(() => stack.close());

type Row = Record<string, unknown>;

interface ProtocolCase {
  protocol: Protocol;
  path: string;
  body(text: string, opts: { stream: boolean; model?: string; cap?: number }): Record<string, unknown>;
}

const CASES: ProtocolCase[] = [
  { protocol: 'chat', path: '/v1/chat/completions', body: (text, o) => ({ model: o.model ?? 'deepseek-v4-flash', messages: [{ role: 'user', content: text }], max_tokens: o.cap ?? 300, stream: o.stream }) },
  { protocol: 'fim', path: '/beta/completions', body: (text, o) => ({ model: o.model ?? 'deepseek-v4-flash', prompt: text, suffix: '\n', max_tokens: o.cap ?? 300, stream: o.stream }) },
  { protocol: 'anthropic', path: '/anthropic/v1/messages', body: (text, o) => ({ model: o.model ?? 'deepseek-v4-flash', messages: [{ role: 'user', content: text }], max_tokens: o.cap ?? 300, stream: o.stream }) },
  { protocol: 'responses', path: '/v1/responses', body: (text, o) => ({ model: o.model ?? 'deepseek-v4-flash', input: text, max_output_tokens: o.cap ?? 300, stream: o.stream }) },
];

const send = (c: ProtocolCase, key: string, body: Record<string, unknown>) =>
  fetch(`${stack.gw.url}${c.path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const rowsOf = (key: string): Row[] => ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);

async function settledRows(key: string, count: number): Promise<Row[]> {
  for (let i = 0; i < 100; i++) {
    const rows = rowsOf(key);
    if (rows.length >= count) return rows;
    await Bun.sleep(50);
  }
  return rowsOf(key);
}

for (const c of CASES) {
  describe(`${c.protocol} (${c.path})`, () => {
    it('bills a client that leaves mid-stream as estimated, stops the upstream and releases the hold', async () => {
      const key = await stack.key();
      const res = await send(c, key, c.body('a long answer please #tokens=300', { stream: true }));
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let seen = '';
      while ((seen.match(/\n\n/g) ?? []).length < 8) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const [row, ...more] = await settledRows(key, 1);
      expect(more).toHaveLength(0);
      expect(row).toMatchObject({ protocol: c.protocol, basis: 'estimated', finish_reason: 'client_disconnected', stream: 1 });
      expect((row!.cache_miss_tokens as number) + (row!.cache_hit_tokens as number)).toBeGreaterThan(3);
      expect(row!.output_tokens as number).toBeGreaterThan(0);
      expect(row!.output_tokens as number).toBeLessThan(300);
      expect(keyRow(stack, key).spent_nano).toBe(row!.cost_nano as number);
      expect(row!.cost_nano as number).toBeGreaterThan(0);
      for (let i = 0; i < 40 && stack.gw.deps.metering.holdsTotal().count > 0; i++) await Bun.sleep(25);
      expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
    });

    it('never lets 120 concurrent requests on a key with a few cents spend past its budget', async () => {
      const key = await stack.key({ budget: '0.01' });
      const statuses = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          send(c, key, c.body(`request ${i} #tokens=40`, { stream: i % 2 === 0, cap: 200 })).then(async (res) => {
            await res.text();
            return res.status;
          }),
        ),
      );
      const ok = statuses.filter((s) => s === 200).length;
      expect(ok).toBeGreaterThan(5);
      expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0);
      expect(ok + statuses.filter((s) => s === 402).length).toBe(120);
      const after = keyRow(stack, key);
      const rows = rowsOf(key);
      expect(rows).toHaveLength(ok);
      expect(rows.every((r) => r.protocol === c.protocol && r.basis === 'upstream')).toBe(true);
      expect(after.spent_nano).toBeLessThanOrEqual(after.budget_nano);
      expect(after.spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));
      expect(stack.gw.deps.metering.holdsTotal()).toEqual({ count: 0, nano: 0 });
    });

    it('refuses 401, 402, 403, 404 and 429 at no cost and with no ledger row', async () => {
      const ask = (model?: string) => c.body('hello #tokens=3', { stream: false, model });
      const statuses: number[] = [];
      statuses.push((await send(c, 'sk-gateway-0000000000000000000000000000000000000007', ask())).status);
      const empty = await stack.key({ budget: '0' });
      statuses.push((await send(c, empty, ask())).status);
      const starter = await stack.key({ planId: 'starter' });
      statuses.push((await send(c, starter, ask('deepseek-v4-pro'))).status);
      statuses.push((await send(c, starter, ask('no-such-model'))).status);
      const limited = await stack.key({ rpmOverride: 1 });
      expect((await send(c, limited, ask())).status).toBe(200);
      statuses.push((await send(c, limited, ask())).status);
      expect(statuses).toEqual([401, 402, 403, 404, 429]);
      expect(rowsOf(empty)).toHaveLength(0);
      expect(rowsOf(starter)).toHaveLength(0);
      expect(keyRow(stack, starter).spent_nano).toBe(0);
      const [only, ...more] = rowsOf(limited);
      expect(more).toHaveLength(0);
      expect(keyRow(stack, limited).spent_nano).toBe(only!.cost_nano as number);
      expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
    });
  });
}
