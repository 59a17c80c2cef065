import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsd } from '../../server/lib/money';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { startPayPalSimulator } from '../../server/simulators/paypal';
import { PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PAYPAL_WEBHOOK_ID } from '../helpers/checkout';
import { tempDir } from '../helpers/gateway';
import { freePort, MAIN, runCli, waitForHttp } from '../helpers/process';

// The gateway as a child process on one data dir, killed with SIGKILL in the middle of mixed
// load (streams, non-streams, long streams, checkouts) and started again, five times over. What
// a client received completely must be in the ledger; money must add up; nothing may linger.

const CYCLES = 5;
const LOAD_WORKERS = 10;
const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', tokensPerSecond: 200 });
const paypal = startPayPalSimulator({ clientId: PAYPAL_CLIENT_ID, clientSecret: PAYPAL_CLIENT_SECRET, webhookId: PAYPAL_WEBHOOK_ID });
const dir = tempDir('tollgate-durability-');
const port = freePort();
const url = `http://127.0.0.1:${port}`;
const env = {
  DEEPSEEK_API_KEY: 'sk-durability-upstream',
  DEEPSEEK_BASE_URL: sim.url,
  PAYPAL_CLIENT_ID,
  PAYPAL_CLIENT_SECRET,
  PAYPAL_WEBHOOK_ID,
  PAYPAL_API_URL: paypal.url,
  TOLLGATE_PUBLIC_URL: url,
  TOLLGATE_SHUTDOWN_GRACE_MS: '500',
};
paypal.sim.setWebhookUrl(`${url}/api/paypal/webhook`);

/** the gateway process running now (killed by PID here should the test fail half-way) */
let running: ReturnType<typeof Bun.spawn> | undefined;

afterAll(async () => {
  if (running && running.exitCode === null && running.signalCode === null) {
    running.kill('SIGKILL');
    await running.exited;
  }
  paypal.sim.setWebhookUrl(undefined);
  await paypal.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Always the same port, so that PayPal's return links stay valid across restarts. */
async function startGatewayProcess() {
  const proc = Bun.spawn(['bun', 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOLLGATE_LOG_LEVEL: 'warn', ...env },
    stdout: 'ignore',
    stderr: 'inherit',
  });
  running = proc;
  await waitForHttp(`${url}/healthz`);
  return proc;
}

const chatBody = (tokens: number, stream: boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'deepseek-v4-flash', stream, messages: [{ role: 'user', content: `durable #tokens=${tokens}` }], ...extra });

const chat = (key: string, body: string) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });

/** The request id of a response the client received completely (JSON body, or a stream up to [DONE]); else null. */
async function completeChat(key: string, tokens: number, stream: boolean): Promise<string | null> {
  try {
    const res = await chat(key, chatBody(tokens, stream));
    const text = await res.text();
    if (res.status !== 200) return null;
    if (stream) return text.endsWith('data: [DONE]\n\n') ? res.headers.get('x-request-id') : null;
    return (JSON.parse(text) as { choices?: unknown[] }).choices ? res.headers.get('x-request-id') : null;
  } catch {
    cutByKill++;
    return null;
  }
}

let cutByKill = 0;

/** Opens a stream that cannot finish before the kill; resolves once its headers are in. */
async function openLongStream(key: string): Promise<Response> {
  const res = await chat(key, chatBody(5000, true));
  expect(res.status).toBe(200);
  void res.text().catch(() => {});
  return res;
}

/** A buyer's round trip: order, approval on PayPal, capture from the JS buttons; the order id if it came back paid. */
async function buyPlan(n: number): Promise<string | null> {
  try {
    const created = (await (await fetch(`${url}/api/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan_id: 'starter', email: `buyer${n}@example.com` }) })).json()) as {
      order_id: string;
      paypal_order_id: string;
      view_token: string;
    };
    const approved = await fetch(`${paypal.url}/_control/approve/${created.paypal_order_id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (approved.status !== 200) return null;
    const capture = await fetch(`${url}/api/checkout/${created.order_id}/capture?view=${created.view_token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await capture.json()) as { status?: string };
    return body.status === 'paid' ? created.order_id : null;
  } catch {
    return null;
  }
}

function readDatabase() {
  const db = new Database(join(dir, 'tollgate.sqlite'), { readonly: true });
  try {
    const hasRollUp = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_daily'").get() !== null;
    const rolledUp = hasRollUp ? 'COALESCE((SELECT SUM(cost_nano) FROM ledger_daily d WHERE d.key_id = k.id), 0)' : '0';
    return {
      requestIds: new Set((db.query('SELECT request_id FROM ledger').all() as { request_id: string }[]).map((r) => r.request_id)),
      keys: db.query(`SELECT k.id, k.spent_nano AS spent, COALESCE((SELECT SUM(cost_nano) FROM ledger l WHERE l.key_id = k.id), 0) + ${rolledUp} AS rows_sum FROM api_keys k`).all() as {
        id: string;
        spent: number;
        rows_sum: number;
      }[],
      paidOrders: db
        .query("SELECT o.id, o.key_id, (SELECT COUNT(*) FROM api_keys k WHERE k.order_id = o.id) AS keys, (SELECT MIN(k.id) FROM api_keys k WHERE k.order_id = o.id) AS issued FROM orders o WHERE o.status = 'paid'")
        .all() as { id: string; key_id: string | null; keys: number; issued: string | null }[],
      integrity: (db.query('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
    };
  } finally {
    db.close();
  }
}

describe('durability under SIGKILL', () => {
  it('keeps every completed request, the spent totals, paid orders and a sound database through five kills mid-load', async () => {
    const createKey = (...flags: string[]) => runCli(['keys', 'create', '--plan', 'pro', '--rpm', '0', '--concurrency', '0', '--data-dir', dir, ...flags], env).stdout.trim();
    const keys = [1, 2, 3, 4].map(() => createKey());
    // Small enough that one open stream holds all of it: a second request then gets 402.
    const tightKey = createKey('--budget', '0.01');
    for (const key of [...keys, tightKey]) expect(key).toMatch(/^sk-gateway-/);

    let proc = await startGatewayProcess();
    const completed: string[] = [];
    const paidSeen: string[] = [];
    let orders = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The tight key's whole budget is free again after every restart: no hold outlived the kill.
      const fresh = await chat(tightKey, chatBody(1, false));
      await fresh.text();
      expect(fresh.status).toBe(200);

      let killed = false;
      await openLongStream(tightKey);
      const refused = await chat(tightKey, chatBody(1, false));
      await refused.text();
      expect(refused.status).toBe(402);
      await Promise.all(keys.slice(0, 2).map(openLongStream));

      const before = completed.length;
      cutByKill = 0;
      const workers = Array.from({ length: LOAD_WORKERS }, async (_, w) => {
        for (let i = 0; !killed; i++) {
          const id = await completeChat(keys[(w + i) % keys.length]!, 10 + ((w * 7 + i * 13) % 60), (w + i) % 2 === 0);
          if (id) completed.push(id);
        }
      });
      const buyer = (async () => {
        while (!killed) {
          const paid = await buyPlan(orders++);
          if (paid) paidSeen.push(paid);
        }
      })();

      await Bun.sleep(1000 + cycle * 150);
      killed = true;
      proc.kill('SIGKILL');
      expect(await proc.exited).not.toBe(0);
      await Promise.all([...workers, buyer]);
      proc = await startGatewayProcess();

      const db = readDatabase();
      const missing = completed.filter((id) => !db.requestIds.has(id));
      console.log(`cycle ${cycle + 1}: ${completed.length - before} responses received completely, ${cutByKill} cut by the kill, ${paidSeen.length} orders paid so far, ${db.requestIds.size} ledger rows, missing ${missing.length}`);
      expect(missing).toEqual([]);
      expect(completed.length - before).toBeGreaterThan(5);
      expect(cutByKill).toBeGreaterThan(0);
      for (const key of db.keys) expect({ id: key.id, spent: key.spent }).toEqual({ id: key.id, spent: key.rows_sum });
      for (const order of db.paidOrders) expect({ id: order.id, keys: order.keys, key_id: order.key_id }).toEqual({ id: order.id, keys: 1, key_id: order.issued });
      const paidIds = new Set(db.paidOrders.map((o) => o.id));
      expect(paidSeen.filter((id) => !paidIds.has(id))).toEqual([]);
      expect(db.integrity).toBe('ok');

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^tollgate_holds_outstanding 0$/m);
      for (const key of keys) {
        const usage = (await (await fetch(`${url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { budget_usd: string; spent_usd: string; remaining_usd: string };
        expect(parseUsd(usage.remaining_usd)).toBe(parseUsd(usage.budget_usd) - parseUsd(usage.spent_usd));
      }
    }
    expect(paidSeen.length).toBeGreaterThan(0);

    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 90_000);
});
