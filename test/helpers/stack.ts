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
