import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { tempDir } from '../helpers/gateway';
import { runCli, spawnGateway } from '../helpers/process';

const dir = tempDir();
const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1' });
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the ledger across a crash', () => {
  it('keeps every settled request after the gateway is killed with SIGKILL between requests', async () => {
    const env = { DEEPSEEK_API_KEY: 'sk-crash-test', DEEPSEEK_BASE_URL: sim.url };
    const key = runCli(['keys', 'create', '--plan', 'trial', '--data-dir', dir], env).stdout.trim();
    expect(key).toMatch(/^sk-gateway-/);

    const first = await spawnGateway(['--data-dir', dir], env);
    const requestIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${first.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: `crash ${i} #tokens=3` }], stream: i % 2 === 1 }),
      });
      await res.text();
      expect(res.status).toBe(200);
      requestIds.push(res.headers.get('x-request-id')!);
    }
    first.proc.kill('SIGKILL');
    await first.proc.exited;

    const second = await spawnGateway(['--data-dir', dir], env);
    try {
      const usage = (await (await fetch(`${second.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { requests: number; spent_usd: string };
      expect(usage.requests).toBe(5);
      const db = new Database(join(dir, 'tollgate.sqlite'), { readonly: true });
      const rows = db.query('SELECT request_id, cost_nano FROM ledger ORDER BY id').all() as { request_id: string; cost_nano: number }[];
      expect(rows.map((r) => r.request_id)).toEqual(requestIds);
      const spent = (db.query('SELECT spent_nano FROM api_keys').get() as { spent_nano: number }).spent_nano;
      expect(spent).toBe(rows.reduce((s, r) => s + r.cost_nano, 0));
      expect(usage.spent_usd).toBe((spent / 1e9).toFixed(9));
      expect(db.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
      db.close();
      // and it keeps serving
      const res = await fetch(`${second.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'after #tokens=2' }] }),
      });
      expect(res.status).toBe(200);
    } finally {
      second.proc.kill('SIGTERM');
      await second.proc.exited;
    }
  });

  it('stops a key disabled with the keys command while the server runs, within two seconds', async () => {
    const env = { DEEPSEEK_API_KEY: 'sk-crash-test', DEEPSEEK_BASE_URL: sim.url };
    const key = runCli(['keys', 'create', '--plan', 'trial', '--data-dir', dir], env).stdout.trim();
    const gateway = await spawnGateway(['--data-dir', dir], env);
    const ask = () =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi #tokens=1' }] }),
      });
    try {
      expect((await ask()).status).toBe(200);
      expect(runCli(['keys', 'disable', key, '--data-dir', dir], env).code).toBe(0);
      await Bun.sleep(2100);
      expect((await ask()).status).toBe(401);
    } finally {
      gateway.proc.kill('SIGTERM');
      await gateway.proc.exited;
    }
  });
});
