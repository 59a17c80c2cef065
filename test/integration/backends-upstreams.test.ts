import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { upstreamIdFor } from '../../server/modules/proxy/upstream-pool';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { adminClient, type AdminClient } from '../helpers/admin';
import { eachBackend } from '../helpers/backends';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway';

// The DeepSeek keys an operator adds, on both backends: stored sealed with the server secret, in
// rotation at once, removed and restored in the database, their balance check kept; a gateway
// started afresh on the same database has them back, opened, in the state they were left.

type J = Record<string, any>;
const ENV_KEY = 'sk-upstream-env-aaaa-1111';
const ADDED = 'sk-upstream-added-bbbb-2222';
const OTHER = 'sk-upstream-other-cccc-3333';

eachBackend('upstream keys', (b) => {
  const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', keys: [ENV_KEY, ADDED, OTHER] });
  const dataDir = tempDir('tollgate-upstreams-');
  let env: Record<string, string>;
  let gw: TestGateway;
  let admin: AdminClient;
  beforeAll(async () => {
    env = { ...(await b.env()), DEEPSEEK_API_KEY: ENV_KEY, DEEPSEEK_BASE_URL: sim.url, TOLLGATE_LOG_LEVEL: 'error' };
    gw = await startTestGateway({ env, dataDir });
    admin = adminClient(gw.url, gw.admin.token);
  });
  afterAll(async () => {
    await gw?.close();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const stored = async () => (await b.query(gw.deps)('SELECT * FROM upstream_keys ORDER BY id')) as J[];
  const chat = async (key: string, content: string) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content }] }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const buyer = async () => (await gw.deps.metering.createKey({ planId: 'pro', rpmOverride: 0, concurrencyOverride: 0 })).key;

  it('adds keys sealed with the server secret, in rotation at once', async () => {
    await fetch(`${sim.url}/_control/balance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: ENV_KEY, available: false }) });
    for (const [key, label] of [[ADDED, 'second account'], [OTHER, 'third account']] as const) {
      const res = await admin.post('/upstreams', { key, label });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: upstreamIdFor(key), source: 'admin', state: 'active', label });
    }
    expect((await admin.post('/upstreams', { key: ADDED })).status).toBe(409);
    const rows = await stored();
    expect(rows.map((r) => [r.id, r.label, r.status, r.key_hint])).toEqual(
      [
        [upstreamIdFor(ADDED), 'second account', 'active', 'sk-…2222'],
        [upstreamIdFor(OTHER), 'third account', 'active', 'sk-…3333'],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    for (const row of rows) {
      expect(row.key_encrypted).not.toContain('upstream');
      expect([ADDED, OTHER]).toContain(gw.deps.sealer.open(row.key_encrypted));
    }
    expect(typeof rows[0]!.created_at).toBe('number');
  });

  it('keeps the balance check of an added key', async () => {
    const checked = await admin.post(`/upstreams/${upstreamIdFor(ADDED)}/check`);
    expect(checked.body.balance).toMatchObject({ total: '100.00', low: false });
    const row = (await stored()).find((r) => r.id === upstreamIdFor(ADDED))!;
    expect(JSON.parse(row.balance_text)).toMatchObject({ total: '100.00', low: false });
    expect(row.balance_checked_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it('removes a key from rotation and from the database’s rotation, and restores it', async () => {
    const key = await buyer();
    expect((await admin.del(`/upstreams/${upstreamIdFor(OTHER)}`)).body).toEqual({ removed: true });
    expect((await stored()).find((r) => r.id === upstreamIdFor(OTHER))!.status).toBe('removed');
    // only the added key serves now (the env key has no balance)
    for (let i = 0; i < 3; i++) expect(await chat(key, `via added ${i} #tokens=2`)).toBe(200);
    const used = await b.query(gw.deps)('SELECT upstream_key_id FROM ledger ORDER BY id');
    expect(used.map((r) => r.upstream_key_id)).toEqual([upstreamIdFor(ADDED), upstreamIdFor(ADDED), upstreamIdFor(ADDED)]);
    expect((await admin.del(`/upstreams/${upstreamIdFor(ADDED)}`)).status).toBe(200);
    expect(await chat(key, 'no key left')).toBe(503);
    expect((await admin.post(`/upstreams/${upstreamIdFor(ADDED)}/restore`)).body.state).toBe('active');
    expect((await stored()).map((r) => r.status).sort()).toEqual(['active', 'removed']);
    expect(await chat(key, 'back #tokens=2')).toBe(200);
    expect((await admin.del(`/upstreams/${upstreamIdFor(ENV_KEY)}`)).status).toBe(409);
    const audit = await b.query(gw.deps)("SELECT action, target FROM audit_log WHERE action LIKE 'upstream.%' ORDER BY id");
    expect(audit.map((r) => r.action)).toEqual(['upstream.add', 'upstream.add', 'upstream.check', 'upstream.remove', 'upstream.remove', 'upstream.restore']);
  });

  it('has them back after a restart on the same database, opened, in the state they were left', async () => {
    const before = (await admin.get('/upstreams')).body.data as J[];
    await gw.close();
    gw = await startTestGateway({ env, dataDir });
    admin = adminClient(gw.url, gw.admin.token);
    const after = (await admin.get('/upstreams')).body.data as J[];
    // the env key is configuration, found afresh (its failing state is the process's own)
    const shape = (list: J[]) => list.filter((u) => u.source === 'admin').map((u) => [u.id, u.source, u.state, u.label, u.key_hint]).sort();
    expect(shape(after)).toEqual(shape(before));
    expect(shape(after)).toContainEqual([upstreamIdFor(OTHER), 'admin', 'removed', 'third account', 'sk-…3333']);
    expect(gw.deps.pool.get(upstreamIdFor(ADDED))?.key).toBe(ADDED);
    expect(after.find((u) => u.id === upstreamIdFor(ADDED))!.balance).toMatchObject({ total: '100.00' });
    expect(await chat(await buyer(), 'after the restart #tokens=2')).toBe(200);
  });
});
