import { afterAll, beforeAll, expect, it } from 'bun:test';
import { KEY_AUTH_FAILURE_LIMIT } from '../../server/modules/metering/auth-failures';
import { eventually } from '../helpers/counters';
import { describeScaleOut, SCALE_OUT_AVAILABLE, startCluster, type Cluster, type Instance } from '../helpers/cluster';

// Two gateway processes on one PostgreSQL and one Redis, requests alternating between them as a
// round-robin load balancer sends them: budgets, rate limits, concurrency caps and lockouts hold
// for the pair as they hold for one. Every money check reads PostgreSQL itself.

let c: Cluster;
beforeAll(async () => {
  if (SCALE_OUT_AVAILABLE) c = await startCluster({ database: 'migrated' });
}, 90_000);
afterAll(async () => {
  await c?.close();
});

type Answer = { status: number; on: number; requestId: string | null; retryAfter: string | null; body: string };
const answer = async (res: Response, on: Instance): Promise<Answer> => ({
  status: res.status,
  on: on.index,
  requestId: res.headers.get('x-request-id'),
  retryAfter: res.headers.get('retry-after'),
  body: await res.text(),
});
/** `n` requests at once, alternating between the instances */
function together(n: number, key: string, body: (i: number) => Record<string, unknown>, headers?: Record<string, string>): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const to = c.next();
      return c.chat(key, body(i), { to, headers }).then((res) => answer(res, to));
    }),
  );
}
const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;
const settledAll = (keyId: string) => eventually(async () => (await c.money(keyId)).holds === 0, 10_000);

describeScaleOut('two instances on one PostgreSQL and one Redis', () => {
  it('report the database and Redis on /healthz, and label no metric per instance', async () => {
    for (const instance of c.instances) {
      const res = await fetch(`${instance.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok', upstreams: { active: 1, total: 1 } });
    }
    const ids = ((await c.db`SELECT id FROM instances`) as { id: string }[]).map((row) => row.id);
    expect(ids.length).toBe(2);
    const series = async (instance: Instance) => {
      const res = await fetch(`${instance.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      // Prometheus adds `instance` (the scraped address) itself: nothing here may repeat or split it
      for (const id of ids) expect(text).not.toContain(id);
      const names = new Set<string>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const labels = /\{(.*)\}/.exec(line)?.[1] ?? '';
        for (const [, name] of labels.matchAll(/([a-z_]+)="/g)) names.add(name as string);
      }
      return { names, metrics: new Set(text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2])) };
    };
    const [a, b] = [await series(c.instances[0]!), await series(c.instances[1]!)];
    for (const name of ['instance', 'instance_id', 'pod', 'host', 'hostname', 'pid']) {
      expect(a.names.has(name)).toBe(false);
      expect(b.names.has(name)).toBe(false);
    }
    expect([...b.metrics].sort()).toEqual([...a.metrics].sort());
  });

  it('never let 120 concurrent requests on a key with two cents spend more than it has, and bill each answered one once', async () => {
    const { key, id } = await c.key({ budget_usd: '0.02' });
    // both instances know the key before the burst (a first sight reads PostgreSQL, and the budget
    // would be held by the other instance's requests while it waits)
    for (const instance of c.instances) expect((await fetch(`${instance.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    // ~0.5 milli-USD each at the peak price: far more asked for than the budget holds
    const answers = await together(120, key, (i) => ({ max_tokens: 400, stream: i % 2 === 1, messages: [{ role: 'user', content: `spend ${i} #tokens=400` }] }));
    expect(answers.every((a) => a.status === 200 || a.status === 402)).toBe(true);
    const paid = answers.filter((a) => a.status === 200);
    expect(count(answers, 402)).toBeGreaterThan(0);
    // which instance's requests win the budget is a race; both answered their share of the burst
    expect(new Set(answers.map((a) => a.on))).toEqual(new Set([0, 1]));
    expect(await settledAll(id)).toBe(true);

    const money = await c.money(id);
    expect(money.spent).toBeLessThanOrEqual(money.budget);
    // holds are priced at the peak price: off-peak, requests that held the whole budget spend about half of it
    expect(money.spent).toBeGreaterThan(money.budget / 4);
    expect(money.ledger).toBe(money.spent);
    expect({ held: money.held, inFlight: money.inFlight, holds: money.holds }).toEqual({ held: 0, inFlight: 0, holds: 0 });
    const billed = ((await c.db`SELECT request_id FROM ledger WHERE key_id = ${id}`) as { request_id: string }[]).map((r) => r.request_id).sort();
    expect(billed).toEqual(paid.map((a) => a.requestId as string).sort());
  }, 60_000);

  it('let a 30-RPM key through exactly 30 times out of 40 sent across both, and answer the rest 429 with Retry-After', async () => {
    const { key, id } = await c.key({ budget_usd: '5', rpm: 30 });
    const answers = await together(40, key, (i) => ({ max_tokens: 16, messages: [{ role: 'user', content: `rate ${i} #tokens=4` }] }));
    expect(count(answers, 200)).toBe(30);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBe(10);
    for (const a of refused) {
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(a.body).error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    }
    expect(await settledAll(id)).toBe(true);
    const money = await c.money(id);
    expect(money.ledgerRows).toBe(30);
    expect(money.ledger).toBe(money.spent);
  }, 30_000);

  it('count a key’s open requests on both: with two streams open on one instance, a third on the other is refused', async () => {
    const [a, b] = c.instances as [Instance, Instance];
    const { key, id } = await c.key({ budget_usd: '5', concurrency: 2 });
    // the simulator keeps the next two requests queued (keep-alives only) until they are given up
    await fetch(`${c.sim.url}/_control/next`, { method: 'POST', body: JSON.stringify({ queue_ms: 60_000, times: 2 }) });
    const open = [new AbortController(), new AbortController()];
    const streams = await Promise.all(open.map((ctl, i) => c.chat(key, { stream: true, messages: [{ role: 'user', content: `slow ${i}` }] }, { to: a, signal: ctl.signal })));
    try {
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      expect((await c.money(id)).inFlight).toBe(2);
      const third = await c.chat(key, {}, { to: b });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).not.toBeNull();
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    } finally {
      for (const ctl of open) ctl.abort();
    }
    // given up by the client: billed as received, the slots and holds given back everywhere
    expect(await settledAll(id)).toBe(true);
    expect(await eventually(async () => (await c.chat(key, {}, { to: b })).status === 200, 5000)).toBe(true);
    const money = await c.money(id);
    expect(money.ledger).toBe(money.spent);
    expect(money.ledgerRows).toBe(3);
    expect(await settledAll(id)).toBe(true);
    expect((await c.money(id)).inFlight).toBe(0);
    await fetch(`${c.sim.url}/_control/reset`, { method: 'POST' });
  }, 30_000);

  it('lock an address out on both instances when its key guesses are split between them', async () => {
    const { key } = await c.key({ budget_usd: '1' });
    const guesser = { 'x-forwarded-for': '203.0.113.61' };
    const guess = (i: number) => `sk-gateway-${String(i).padStart(40, 'G')}`;
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT; i++) {
      const res = await c.chat(guess(i), {}, { to: c.instances[i % 2], headers: guesser });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    for (const instance of c.instances) {
      const res = await c.chat(guess(99), {}, { to: instance, headers: guesser });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    }
    // another address is not affected, and the real key behind the locked one still gets through
    expect((await c.chat(guess(100), {}, { to: c.instances[1], headers: { 'x-forwarded-for': '203.0.113.62' } })).status).toBe(401);
    expect((await c.chat(key, {}, { to: c.instances[1], headers: guesser })).status).toBe(200);
  }, 30_000);

  it('lock the admin console out on both when wrong admin tokens are split between them', async () => {
    const from = { 'x-forwarded-for': '203.0.113.71', authorization: 'Bearer wrong-admin-token-guess' };
    const overview = (instance: Instance) => fetch(`${instance.url}/admin/api/overview`, { headers: from });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await overview(c.instances[i % 2]!)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    expect((await overview(c.instances[0]!)).status).toBe(429);
    expect((await overview(c.instances[1]!)).status).toBe(429);
  });
});
