import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { spawnedGateways } from '../helpers/spawned-gateways';

// The real gateway as a child process, stopped with real signals, against a paced simulator:
// 50 tokens a second, so `#tokens=30` ends in well under a second and `#tokens=2000` never
// ends within the grace period (it would take 40 s). No test here bounds how long the gateway
// takes to stop: a loaded machine stretches that at will. What they check is what it did (the
// events each client got, the ledger, the phases it logged, its exit status), and the test's own
// time limit (20 s, far below the 40 s stream or a 60 s grace) stops one that waits for DeepSeek.
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

/** Resolves once the gateway refuses new connections (bounded: 100 tries, 10 s). */
async function refusesConnections(url: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/healthz`).then(() => false, () => true)) return true;
    await Bun.sleep(100);
  }
  return false;
}

function phasesOf(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"shutdown: '))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
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
    // new connections are refused (the log below shows this came before the grace ended)
    expect(await refusesConnections(gw.url)).toBe(true);

    const shortEvents = await short.events;
    expect(shortEvents.at(-1)).toBe('data: [DONE]');
    const longEvents = await long.events;
    expect(longEvents).not.toContain('data: [DONE]');
    expect(lastData(longEvents)).toMatchObject({ error: { code: 'shutting_down', type: 'api_error' }, choices: [] });
    const longEndedAfter = Date.now() - signalledAt;

    expect(await gw.proc.exited).toBe(0);
    console.log(`SIGTERM: long stream ended after ${longEndedAfter} ms, process exited after ${Date.now() - signalledAt} ms (grace ${GRACE_MS} ms)`);
    // a lower bound only, which load cannot break: the gateway counts its grace from the signal's
    // arrival, after signalledAt, so the long stream had at least its grace (100 ms for the clocks)
    expect(longEndedAfter).toBeGreaterThanOrEqual(GRACE_MS - 100);

    const { rows, spent, integrity } = ledgerOf(gw.dir);
    expect(rows.map((r) => r.request_id).sort()).toEqual([short.requestId, long.requestId].sort());
    const longRow = rows.find((r) => r.request_id === long.requestId)!;
    expect(longRow).toMatchObject({ basis: 'estimated', finish_reason: 'shutdown', http_status: 503 });
    expect(longRow.cost_nano).toBeGreaterThan(0);
    expect(rows.find((r) => r.request_id === short.requestId)).toMatchObject({ basis: 'upstream', finish_reason: 'stop' });
    expect(spent).toBe(rows.reduce((sum, r) => sum + r.cost_nano, 0));
    expect(integrity).toBe('ok');

    expect(phasesOf(await gw.output)).toEqual([
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
    // the second signal once the first is being acted on (it no longer accepts connections)
    expect(await refusesConnections(gw.url)).toBe(true);
    gw.proc.kill('SIGINT');

    const events = await long.events;
    expect(lastData(events)).toMatchObject({ error: { code: 'shutting_down' }, choices: [] });
    // without the second signal it would sit out the 60 s grace, past this test's 20 s limit
    expect(await gw.proc.exited).toBe(0);
    console.log(`SIGINT twice: exited after ${Date.now() - signalledAt} ms (grace 60000 ms)`);

    const { rows, spent } = ledgerOf(gw.dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: long.requestId, basis: 'estimated' });
    expect(spent).toBe(rows[0]!.cost_nano);
    expect(phasesOf(await gw.output)).toContain('shutdown: grace period cut short, ending open requests');
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
    // a 503 from the gateway itself: had it waited for DeepSeek, this would be DeepSeek's 200
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    expect(await gw.proc.exited).toBe(0);
    console.log(`SIGTERM with a request waiting for DeepSeek: exited after ${Date.now() - signalledAt} ms`);
    expect(phasesOf(await gw.output)).toContain('shutdown: grace period over, ending open requests');
    // DeepSeek never answered (no headers): nothing to bill, the hold is simply released
    const { rows, spent, integrity } = ledgerOf(gw.dir);
    expect(rows).toHaveLength(0);
    expect(spent).toBe(0);
    expect(integrity).toBe('ok');
    await fetch(`${sim.url}/_control/reset`, { method: 'POST' });
  }, 20_000);

  it('exits 0 at once when nothing is open, without sitting out its grace', async () => {
    // a grace far past this test's 20 s limit: only an exit that does not wait for it passes
    const gw = await gatewayWithKey(60_000);
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.key}` } });
    expect(res.status).toBe(200);
    await res.text();

    const signalledAt = Date.now();
    gw.proc.kill('SIGTERM');
    expect(await gw.proc.exited).toBe(0);
    console.log(`SIGTERM on an idle gateway: exited after ${Date.now() - signalledAt} ms`);
    expect(phasesOf(await gw.output)).toContain('shutdown: open requests finished within the grace period');
  }, 20_000);
});
