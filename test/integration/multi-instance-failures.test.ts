import { afterAll, beforeAll, expect, it } from 'bun:test';
import { embeddedMigrations } from '../../server/db/pg/migrations.generated';
import { describeScaleOut, FAST_FAILOVER_ENV, SCALE_OUT_AVAILABLE, startCluster, type Cluster, type Instance } from '../helpers/cluster';
import { eventually } from '../helpers/counters';

// The scale-out mode when things go wrong: two instances starting at once on an empty database,
// Redis going away and coming back, an instance killed with SIGKILL in the middle of the load.
// Whatever happens, no key spends more than its budget, the ledger sums to what each key spent,
// and no budget stays held by an instance that is gone.

type J = Record<string, any>;
let c: Cluster;
beforeAll(async () => {
  // an empty database: both instances' first start is at the same moment
  if (SCALE_OUT_AVAILABLE) c = await startCluster({ database: 'empty', env: FAST_FAILOVER_ENV, sim: { tokensPerSecond: 200 } });
}, 90_000);
afterAll(async () => {
  await c?.close();
});

const health = async (instance: Instance) => (await (await fetch(`${instance.url}/healthz`)).json()) as J;
const LEADER_LINE = 'now runs the background work';
const leads = (instance: Instance) => instance.lines.filter((line) => line.includes(LEADER_LINE)).length;

/** `n` requests, `parallel` at a time, alternating between the running instances; answered ones are read to the end. */
async function load(key: string, n: number, parallel: number, onAnswer?: (answered: number) => void) {
  const answered: { on: number; requestId: string }[] = [];
  const statuses: number[] = [];
  let failed = 0;
  let next = 0;
  const until = Date.now() + 30_000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n && Date.now() < until) {
        const i = next++;
        let to: Instance;
        try {
          to = c.next();
        } catch {
          return;
        }
        try {
          const res = await c.chat(key, { stream: i % 2 === 0, max_tokens: 50, messages: [{ role: 'user', content: `load ${i} #tokens=20` }] }, { to });
          const text = await res.text();
          statuses.push(res.status);
          if (res.status === 200 && (!text.startsWith('data:') || text.trimEnd().endsWith('data: [DONE]'))) {
            answered.push({ on: to.index, requestId: res.headers.get('x-request-id') as string });
            onAnswer?.(answered.length);
          }
        } catch {
          failed++; // the connection to a killed instance
        }
      }
    }),
  );
  return { answered, statuses, failed };
}

describeScaleOut('two instances, when things go wrong', () => {
  it('start together on an empty database: the migrations are applied once, and both serve', async () => {
    const rows = (await c.db`SELECT hash FROM drizzle.__drizzle_migrations`) as { hash: string }[];
    expect(rows.length).toBe(embeddedMigrations.length);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    const migrated = c.instances.filter((i) => i.lines.some((line) => line.includes('database migrated')));
    expect(migrated.length).toBe(1);
    for (const instance of c.instances) expect(await health(instance)).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok' });
    const { key } = await c.key();
    expect((await c.chat(key, {}, { to: c.instances[0] })).status).toBe(200);
    expect((await c.chat(key, {}, { to: c.instances[1] })).status).toBe(200);
    // one leader for the background work
    expect(await eventually(() => c.instances.filter((i) => leads(i) > 0).length === 1, 5000)).toBe(true);
  }, 30_000);

  it('keep every budget while Redis is down, fall back to each instance’s own limits, say degraded, and share again once Redis is back', async () => {
    const spender = await c.key({ budget_usd: '0.002' }); // about 20 of the 60 requests below
    const limited = await c.key({ budget_usd: '1', rpm: 3 });
    await c.redis.stop({ crash: true });
    try {
      for (const instance of c.instances) {
        expect(await eventually(async () => (await health(instance)).status === 'degraded', 5000)).toBe(true);
        expect(await health(instance)).toMatchObject({ status: 'degraded', database: 'ok', redis: 'unreachable' });
        expect((await fetch(`${instance.url}/healthz`)).status).toBe(200); // a load balancer keeps it
      }
      // budgets live in PostgreSQL: still no overspend
      const spent = await load(spender.key, 60, 20);
      expect(spent.statuses.every((s) => s === 200 || s === 402)).toBe(true);
      expect(spent.statuses.filter((s) => s === 402).length).toBeGreaterThan(0);
      expect(await eventually(async () => (await c.money(spender.id)).holds === 0, 10_000)).toBe(true);
      const money = await c.money(spender.id);
      expect(money.spent).toBeLessThanOrEqual(money.budget);
      expect(money.ledger).toBe(money.spent);
      expect(money.ledgerRows).toBe(spent.answered.length);
      // each instance counts the minute on its own, with the key's own number (README: "When Redis is unreachable")
      for (const instance of c.instances) {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await c.chat(limited.key, {}, { to: instance })).status);
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
      }
    } finally {
      await c.redis.start();
    }
    for (const instance of c.instances) expect(await eventually(async () => (await health(instance)).status === 'ok', 15_000)).toBe(true);
    expect(await health(c.instances[0]!)).toMatchObject({ status: 'ok', redis: 'ok' });
    // shared again: a new 3-RPM key gets 3 out of 6 across both
    const again = await c.key({ budget_usd: '1', rpm: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.chat(again.key, {}, { to: c.instances[i % 2] })).status);
    expect(statuses.filter((s) => s === 200).length).toBe(3);
  }, 90_000);

  it('survive SIGKILL of the leading instance mid-load: every answered request is billed, its holds come back, the other serves and takes over', async () => {
    const leader = c.instances.find((i) => leads(i) > 0) as Instance;
    const survivor = c.instances.find((i) => i !== leader) as Instance;
    const survivorLeadsBefore = leads(survivor);
    const { key, id } = await c.key({ budget_usd: '10' });
    let killedAt = 0;
    const run = load(key, 160, 12, (answered) => {
      if (answered === 30 && killedAt === 0) {
        killedAt = Date.now();
        void leader.kill('SIGKILL');
      }
    });
    const result = await run;
    expect(killedAt).toBeGreaterThan(0);
    expect(leader.alive()).toBe(false);
    expect(result.answered.length).toBeGreaterThan(60);

    // the killed instance's holds are released by the new leader's sweeper, within the stale time and a few sweeps
    const released = await eventually(async () => {
      const m = await c.money(id);
      return m.holds === 0 && m.held === 0 && m.inFlight === 0;
    }, 30_000);
    expect(released).toBe(true);
    const sweptAfterMs = Date.now() - killedAt;
    expect(sweptAfterMs).toBeLessThan(30_000);
    expect(Number((await c.db`SELECT count(*) AS n FROM holds`)[0].n)).toBe(0);
    expect(((await c.db`SELECT id FROM instances`) as unknown[]).length).toBe(1);

    // every answered request has its ledger row, and the rows are what the key spent
    const billed = new Set(((await c.db`SELECT request_id FROM ledger WHERE key_id = ${id}`) as { request_id: string }[]).map((r) => r.request_id));
    const unbilled = result.answered.filter((a) => !billed.has(a.requestId));
    expect(unbilled).toEqual([]);
    const money = await c.money(id);
    expect(money.ledger).toBe(money.spent);
    expect(money.spent).toBeLessThanOrEqual(money.budget);

    // the survivor leads now and keeps serving
    expect(await eventually(() => leads(survivor) > survivorLeadsBefore, 10_000)).toBe(true);
    for (let i = 0; i < 4; i++) expect((await c.chat(key, {}, { to: c.next() })).status).toBe(200);
    console.log(`multi-instance: SIGKILL mid-load, ${result.answered.length} answered, ${result.failed} cut off; holds swept ${sweptAfterMs} ms after the kill`);
  }, 90_000);
});
