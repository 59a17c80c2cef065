import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { spawnedGateways } from '../helpers/spawned-gateways';

// The real gateway as a child process, stopped with real signals, against a paced simulator:
// 50 tokens a second, so `#tokens=30` ends in well under a second and `#tokens=2000` never
// ends within the grace period.
const GRACE_MS = 1500;
const gateways = spawnedGateways('shutdown', { tokensPerSecond: 50 });
const sim = gateways.sim;
afterAll(() => gateways.cleanUp());

const gatewayWithKey = (graceMs: number) => gateways.start({ TOLLGATE_SHUTDOWN_GRACE_MS: String(graceMs) });

/** Opens a stream and waits for its first event, so that it is surely open when the signal comes. */
async function openStream(url: string, key: string, tokens: number) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', stream: true, messages: [{ role: 'user', content: `tell a story #tokens=${tokens}` }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const rest = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // a cut connection shows as a body without its end
    }
    return text.split('\n\n').filter((event) => event !== '');
  })();
  return { requestId: res.headers.get('x-request-id')!, events: rest };
}

function lastData(events: string[]): Record<string, unknown> {
  const data = events.filter((e) => e.startsWith('data: ')).at(-1)!;
  return JSON.parse(data.slice('data: '.length)) as Record<string, unknown>;
}

function ledgerOf(dir: string) {
  const db = new Database(join(dir, 'tollgate.sqlite'), { readonly: true });
  try {
    const rows = db.query('SELECT request_id, cost_nano, basis, finish_reason, http_status FROM ledger ORDER BY id').all() as {
      request_id: string;
      cost_nano: number;
      basis: string;
      finish_reason: string | null;
      http_status: number;
    }[];
    const spent = (db.query('SELECT spent_nano FROM api_keys').get() as { spent_nano: number }).spent_nano;
    return { rows, spent, integrity: (db.query('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check };
  } finally {
    db.close();
  }
}

describe('graceful shutdown', () => {
  it('on SIGTERM refuses new connections, lets a short stream finish, ends a long one with the error event, bills both and exits 0', async () => {
    const gw = await gatewayWithKey(GRACE_MS);
    const short = await openStream(gw.url, gw.key, 30);
    const long = await openStream(gw.url, gw.key, 2000);

    const signalledAt = Date.now();
    gw.proc.kill('SIGTERM');
    await Bun.sleep(100);
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();

    const shortEvents = await short.events;
    expect(shortEvents.at(-1)).toBe('data: [DONE]');
    const longEvents = await long.events;
    expect(longEvents).not.toContain('data: [DONE]');
    expect(lastData(longEvents)).toMatchObject({ error: { code: 'shutting_down', type: 'api_error' }, choices: [] });
    const longEndedAfter = Date.now() - signalledAt;

    expect(await gw.proc.exited).toBe(0);
    const exitedAfter = Date.now() - signalledAt;
    console.log(`SIGTERM: long stream ended after ${longEndedAfter} ms, process exited after ${exitedAfter} ms (grace ${GRACE_MS} ms)`);
    expect(longEndedAfter).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(exitedAfter).toBeLessThan(GRACE_MS + 2500);

    const { rows, spent, integrity } = ledgerOf(gw.dir);
    expect(rows.map((r) => r.request_id).sort()).toEqual([short.requestId, long.requestId].sort());
    const longRow = rows.find((r) => r.request_id === long.requestId)!;
    expect(longRow).toMatchObject({ basis: 'estimated', finish_reason: 'shutdown', http_status: 503 });
    expect(longRow.cost_nano).toBeGreaterThan(0);
    expect(rows.find((r) => r.request_id === short.requestId)).toMatchObject({ basis: 'upstream', finish_reason: 'stop' });
    expect(spent).toBe(rows.reduce((sum, r) => sum + r.cost_nano, 0));
    expect(integrity).toBe('ok');

    const phases = (await gw.output)
      .split('\n')
      .filter((line) => line.includes('"shutdown: '))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(phases).toEqual([
      'shutdown: signal received',
      'shutdown: no longer accepting connections',
      'shutdown: grace period over, ending open requests',
      'shutdown: connections closed',
      'shutdown: every request settled',
      'shutdown: background work stopped',
      'shutdown: database closed',
    ]);
  }, 20_000);

  it('on SIGINT does the same, and a second SIGINT ends a long grace period at once', async () => {
    const gw = await gatewayWithKey(60_000);
    const long = await openStream(gw.url, gw.key, 2000);

    const signalledAt = Date.now();
    gw.proc.kill('SIGINT');
    await Bun.sleep(300);
    gw.proc.kill('SIGINT');

    const events = await long.events;
    expect(lastData(events)).toMatchObject({ error: { code: 'shutting_down' }, choices: [] });
    expect(await gw.proc.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(3000);

    const { rows, spent } = ledgerOf(gw.dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: long.requestId, basis: 'estimated' });
    expect(spent).toBe(rows[0]!.cost_nano);
    expect(await gw.output).toContain('grace period cut short');
  }, 20_000);

  it('ends a request still waiting for DeepSeek\'s first reply when the grace is over, without waiting for DeepSeek', async () => {
    const gw = await gatewayWithKey(GRACE_MS);
    await fetch(`${sim.url}/_control/next`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stall_ms: 8000 }) });
    const waiting = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hello' }] }),
    });
    await Bun.sleep(300);

    const signalledAt = Date.now();
    gw.proc.kill('SIGTERM');
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    expect(await gw.proc.exited).toBe(0);
    const exitedAfter = Date.now() - signalledAt;
    console.log(`SIGTERM with a request waiting for DeepSeek: exited after ${exitedAfter} ms`);
    expect(exitedAfter).toBeLessThan(GRACE_MS + 2500);
    // DeepSeek never answered (no headers): nothing to bill, the hold is simply released
    const { rows, spent, integrity } = ledgerOf(gw.dir);
    expect(rows).toHaveLength(0);
    expect(spent).toBe(0);
    expect(integrity).toBe('ok');
    await fetch(`${sim.url}/_control/reset`, { method: 'POST' });
  }, 20_000);

  it('exits 0 promptly when nothing is open', async () => {
    const gw = await gatewayWithKey(GRACE_MS);
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.key}` } });
    expect(res.status).toBe(200);
    await res.text();

    const signalledAt = Date.now();
    gw.proc.kill('SIGTERM');
    expect(await gw.proc.exited).toBe(0);
    const exitedAfter = Date.now() - signalledAt;
    console.log(`SIGTERM on an idle gateway: exited after ${exitedAfter} ms`);
    expect(exitedAfter).toBeLessThan(1000);
    expect(await gw.output).toContain('open requests finished within the grace period');
  }, 20_000);
});
