import OpenAI from 'openai';
import type { Clock } from '../../server/lib/clock';
import { hashApiKey } from '../../server/lib/keys';
import { parseUsd } from '../../server/lib/money';
import type { CreateKeyInput } from '../../server/modules/metering/service';
import { startDeepSeekSimulator, type DeepSeekSimulatorOptions } from '../../server/simulators/deepseek';
import { startTestGateway, type TestGateway } from './gateway';

export const UPSTREAM_KEY = 'sk-upstream-test-0001';

export interface Stack {
  gw: TestGateway;
  sim: ReturnType<typeof startDeepSeekSimulator>;
  /** issues a key directly through the metering service */
  key(input?: Partial<CreateKeyInput> & { budget?: string }): Promise<string>;
  client(key: string): OpenAI;
  control(path: string, body?: unknown): Promise<unknown>;
  upstreamRequests(): Promise<{ path: string; headers: Record<string, string>; body: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

/** The DeepSeek simulator and the real gateway pointed at it, both on loopback. */
export async function startStack(opts: { upstreamKeys?: string[]; simKeys?: string[]; sim?: DeepSeekSimulatorOptions; env?: Record<string, string>; clock?: Clock } = {}): Promise<Stack> {
  const upstreamKeys = opts.upstreamKeys ?? [UPSTREAM_KEY];
  const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', keys: opts.simKeys ?? upstreamKeys, ...opts.sim });
  const gw = await startTestGateway({
    env: { DEEPSEEK_API_KEY: upstreamKeys.join(','), DEEPSEEK_BASE_URL: sim.url, TOLLGATE_LOG_LEVEL: 'info', ...opts.env },
    clock: opts.clock,
  });
  return {
    gw,
    sim,
    async key(input = {}) {
      const { budget, ...rest } = input;
      const { key } = await gw.deps.metering.createKey({
        planId: 'pro',
        rpmOverride: 0,
        concurrencyOverride: 0,
        ...rest,
        budgetNano: budget === undefined ? rest.budgetNano : parseUsd(budget),
      });
      return key;
    },
    client: (key) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 }),
    async control(path, body) {
      const res = await fetch(`${sim.url}/_control/${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return res.json();
    },
    async upstreamRequests() {
      const res = (await (await fetch(`${sim.url}/_control/requests`)).json()) as { data: { path: string; headers: Record<string, string>; body: Record<string, unknown> }[] };
      return res.data;
    },
    close: async () => {
      await gw.close();
      await sim.stop();
    },
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

export async function chat(stack: Stack, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { ...bearer(key), ...headers }, body: JSON.stringify(body) });
}

export function ledgerRows(stack: Stack, where = '1 = 1'): Record<string, unknown>[] {
  return stack.gw.deps.database!.sqlite.query(`SELECT * FROM ledger WHERE ${where} ORDER BY id`).all() as Record<string, unknown>[];
}

/** The key's row as the database has it now (read from the SQLite file, not the service's cache). */
export function keyRow(stack: Stack, key: string): { id: string; spent_nano: number; budget_nano: number; status: string } {
  const row = stack.gw.deps.database!.sqlite
    .query('SELECT id, spent_nano, budget_nano, status FROM api_keys WHERE key_hash = ?')
    .get(hashApiKey(key)) as { id: string; spent_nano: number; budget_nano: number; status: string } | null;
  if (!row) throw new Error('no such key');
  return row;
}

/** Reads an SSE body into its raw events (each without its blank-line terminator). */
export async function sseEvents(res: Response): Promise<string[]> {
  const text = await res.text();
  return text.split('\n\n').filter((e) => e !== '');
}

export const user = (content: string) => [{ role: 'user', content }];

const DAY_MS = 86_400_000;

/**
 * Days of real traffic on a fixed clock for the roll-up and usage tests: two keys, both models,
 * streamed or not, at 01:00 and 14:00 UTC (09:00 and 22:00 in Shanghai: both price periods on
 * weekdays), one key quiet at 14:00 every third day. Leaves the clock at the end of the last day.
 */
export async function daysOfTraffic(stack: Stack, clock: { set(ms: number): void }, opts: { start: number; days: number }): Promise<{ key: string; id: string }[]> {
  const keys: { key: string; id: string }[] = [];
  for (let i = 0; i < 2; i++) {
    const key = await stack.key({ expiresDays: 0 });
    keys.push({ key, id: (await stack.gw.deps.metering.findKey(key))!.id });
  }
  for (let day = 0; day < opts.days; day++) {
    for (const hour of [1, 14]) {
      clock.set(opts.start + day * DAY_MS + (hour - 1) * 3_600_000);
      for (const [i, { key }] of keys.entries()) {
        if ((day + i) % 3 === 0 && hour === 14) continue;
        const model = (day + i) % 2 === 0 ? 'deepseek-v4-flash' : 'deepseek-v4-pro';
        const client = stack.client(key);
        if ((day + hour) % 2 === 0) {
          await client.chat.completions.create({ model, messages: user(`day ${day} #tokens=${3 + (day % 5)}`) as never });
        } else {
          const stream = await client.chat.completions.create({ model, stream: true, messages: user(`day ${day} #tokens=${4 + (day % 3)}`) as never });
          for await (const _ of stream) void _;
        }
      }
    }
  }
  clock.set(opts.start + opts.days * DAY_MS);
  return keys;
}
