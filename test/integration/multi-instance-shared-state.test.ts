import { afterAll, beforeAll, expect, it } from 'bun:test';
import { buyerAddress, PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, waitFor } from '../helpers/checkout';
import { CLUSTER_SPARE_UPSTREAM_KEY, describeScaleOut, SCALE_OUT_AVAILABLE, startCluster, type Cluster, type Instance } from '../helpers/cluster';
import { eventually } from '../helpers/counters';

// What one instance changes, the other knows: an operator's edits reach the other instance
// within a second (the invalidation bus), and PayPal's events, the buyer's return and the JS
// capture may land on either instance, at the same moment, any number of times: one key, one
// payment, one credit per paid order, one budget reduction per refund.

type J = Record<string, any>;
let c: Cluster;
let a: Instance;
let b: Instance;
let fanOut: ReturnType<typeof Bun.serve> | undefined;
beforeAll(async () => {
  if (!SCALE_OUT_AVAILABLE) return;
  c = await startCluster({ database: 'migrated', paypal: true });
  [a, b] = c.instances as [Instance, Instance];
}, 90_000);
afterAll(async () => {
  await fanOut?.stop(true);
  await c?.close();
});

/** Polls `check` for at most one second: the promise of the invalidation bus. */
const withinASecond = (check: () => Promise<boolean>) => eventually(check, 1000);

describeScaleOut('an operator’s edit on one instance', () => {
  it('disables a key everywhere: the other instance answers 401 within a second', async () => {
    const { key, id } = await c.key({ budget_usd: '1' });
    expect((await c.chat(key, {}, { to: b })).status).toBe(200); // b knows the key now
    expect((await a.admin.patch(`/keys/${id}`, { status: 'disabled' })).status).toBe(200);
    expect(await withinASecond(async () => (await c.chat(key, {}, { to: b })).status === 401)).toBe(true);
  });

  it('tops a key up everywhere: the other instance admits it again within a second and shows what remains', async () => {
    const { key, id } = await c.key({ budget_usd: '0.000001' });
    expect((await c.chat(key, {}, { to: b })).status).toBe(402);
    expect((await a.admin.post(`/keys/${id}/topup`, { amount_usd: '1' })).status).toBe(200);
    expect(await withinASecond(async () => (await c.chat(key, {}, { to: b })).status === 200)).toBe(true);
    const money = await c.money(id);
    expect(money.budget).toBe(1_000_001_000);
    const usage = (await (await fetch(`${b.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as J;
    expect(usage.remaining_usd).toBe(((money.budget - money.spent) / 1e9).toFixed(9));
  });

  it('reprices a model everywhere: the other instance bills its next request at the new prices', async () => {
    const prices = { cache_hit_usd: '0.5', cache_miss_usd: '3', output_usd: '7' };
    expect((await a.admin.patch('/models/deepseek-v4-pro', { prices: { peak: prices, off_peak: prices } })).status).toBe(200);
    const outputUsd = async () => ((await (await fetch(`${b.url}/api/models`)).json()) as J).data.find((m: J) => m.id === 'deepseek-v4-pro')?.per_million_tokens.peak.output_usd;
    expect(await withinASecond(async () => (await outputUsd()) === '7.000000000')).toBe(true);
    const { key, id } = await c.key({ budget_usd: '1' });
    const res = await c.chat(key, { model: 'deepseek-v4-pro', messages: [{ role: 'user', content: 'priced #tokens=5' }], thinking: { type: 'disabled' } }, { to: b });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const [row] = await c.db`SELECT output_price_nano, cache_miss_price_nano FROM ledger WHERE key_id = ${id} AND request_id = ${requestId}`;
    expect({ output: Number(row.output_price_nano), miss: Number(row.cache_miss_price_nano) }).toEqual({ output: 7000, miss: 3000 });
  });

  it('changes a site setting everywhere', async () => {
    expect((await a.admin.patch('/settings', { announcement: 'Maintenance on Sunday at 02:00 UTC' })).status).toBe(200);
    const announcement = async () => ((await (await fetch(`${b.url}/api/site`)).json()) as J).announcement;
    expect(await withinASecond(async () => (await announcement()) === 'Maintenance on Sunday at 02:00 UTC')).toBe(true);
  });

  it('adds an upstream key everywhere, and removes it everywhere', async () => {
    const added = await a.admin.post('/upstreams', { key: CLUSTER_SPARE_UPSTREAM_KEY, label: 'second account' });
    expect(added.status).toBe(200);
    const total = async (instance: Instance) => ((await (await fetch(`${instance.url}/healthz`)).json()) as J).upstreams?.total;
    expect(await withinASecond(async () => (await total(b)) === 2)).toBe(true);
    expect((await b.admin.get('/upstreams')).body.data.map((u: J) => u.label)).toContain('second account');
    expect((await b.admin.del(`/upstreams/${added.body.id}`)).status).toBe(200);
    expect(await withinASecond(async () => (await total(a)) === 1)).toBe(true);
  });
});

describeScaleOut('PayPal, the buyer and the JS buttons on both instances at once', () => {
  async function paypalToken(): Promise<string> {
    const res = await fetch(`${c.paypal!.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${PAYPAL_CLIENT_ID}:${PAYPAL_CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as J).access_token as string;
  }
  /** every event PayPal sent so far, sent again (new transmissions of the same event ids) */
  async function resendAll(): Promise<void> {
    const token = await paypalToken();
    const ids = c.paypal!.sim.sentEvents().map((event) => String(event.id));
    await Promise.all(ids.map((id) => fetch(`${c.paypal!.url}/v1/notifications/webhooks-events/${id}/resend`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })));
  }
  /** until PayPal has no delivery under way */
  const deliveriesDone = () =>
    waitFor(async () => ((await c.paypalControl('webhooks')).body.data as J[]).every((d) => d.delivered || d.error !== undefined), 15_000, 'webhook deliveries');
  const orderState = async (orderId: string) => {
    const [order] = await c.db`SELECT status, key_id FROM orders WHERE id = ${orderId}`;
    const keys = await c.db`SELECT id, budget_nano, status FROM api_keys WHERE order_id = ${orderId}`;
    const payments = await c.db`SELECT paypal_capture_id, status, refunded_nano FROM payments WHERE order_id = ${orderId}`;
    const credits = await c.db`SELECT id FROM credits WHERE order_id = ${orderId}`;
    const events = await c.db`SELECT id, count(*) AS n FROM webhook_events GROUP BY id HAVING count(*) > 1`;
    return { order, keys, payments, credits, duplicateEvents: events.length };
  };

  it('makes one key, one payment and one credit from a webhook on one instance and the return page on the other, however often each comes', async () => {
    const created = (await (await fetch(`${b.url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': buyerAddress() },
      body: JSON.stringify({ plan_id: 'starter', email: 'two-instances@example.com' }),
    })).json()) as J;
    expect(created.order_id).toStartWith('ord_');
    // PayPal's webhooks go to instance a; the buyer comes back through instance b, and the JS buttons capture on both
    const { body } = await c.paypalControl(`approve/${created.paypal_order_id}`, {});
    const back = new URL(body.redirect_url as string);
    const returns = [b, b, a].map((instance) => fetch(`${instance.url}${back.pathname}${back.search}`, { redirect: 'manual' }));
    const captures = [a, b].map((instance) => fetch(`${instance.url}/api/checkout/${created.order_id}/capture?view=${created.view_token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    const answered = await Promise.all([...returns, ...captures]);
    expect(answered.slice(0, 3).map((r) => r.status)).toEqual([303, 303, 303]);
    const views = (await Promise.all(answered.slice(3).map((r) => r.json()))) as J[];
    expect(views.map((v) => v.status)).toEqual(['paid', 'paid']);
    expect(views[1]?.key).toBe(views[0]?.key);
    await deliveriesDone();

    // PayPal sends every event again, now to both instances at the same moment
    fanOut = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const payload = await req.text();
        const headers = Object.fromEntries([...req.headers].filter(([name]) => name.startsWith('paypal-') || name === 'content-type'));
        const statuses = await Promise.all(c.instances.map((i) => fetch(`${i.url}/api/paypal/webhook`, { method: 'POST', headers, body: payload }).then((r) => r.status, () => 0)));
        return new Response(null, { status: statuses.every((s) => s === 200) ? 200 : 502 });
      },
    });
    c.paypal!.sim.setWebhookUrl(`http://127.0.0.1:${fanOut.port}/hook`);
    await resendAll();
    await deliveriesDone();

    const state = await orderState(created.order_id);
    expect(state.order).toMatchObject({ status: 'paid' });
    expect(state.keys.length).toBe(1);
    expect(state.order.key_id).toBe(state.keys[0].id);
    expect(Number(state.keys[0].budget_nano)).toBe(4_250_000_000);
    expect(state.payments.length).toBe(1);
    expect(state.credits.length).toBe(1);
    expect(state.duplicateEvents).toBe(0);
  }, 60_000);

  it('lowers the budget once per refund when two refunds land at once on both instances, and again when PayPal repeats them', async () => {
    const [paid] = await c.db`SELECT o.id, p.paypal_capture_id, k.id AS key_id FROM orders o JOIN payments p ON p.order_id = o.id JOIN api_keys k ON k.order_id = o.id WHERE o.email = 'two-instances@example.com'`;
    expect(paid).toBeDefined();
    const token = await paypalToken();
    const refund = (value: string) =>
      fetch(`${c.paypal!.url}/v2/payments/captures/${paid.paypal_capture_id}/refund`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: { value, currency_code: 'USD' } }),
      });
    const refunds = await Promise.all([refund('1.00'), refund('0.50')]);
    expect(refunds.map((r) => r.status)).toEqual([201, 201]);
    await deliveriesDone();
    await resendAll();
    await deliveriesDone();
    const settled = async () => {
      const [row] = await c.db`SELECT p.refunded_nano, k.budget_nano FROM payments p JOIN api_keys k ON k.order_id = p.order_id WHERE p.order_id = ${paid.id}`;
      return { refunded: Number(row.refunded_nano), budget: Number(row.budget_nano) };
    };
    expect(await eventually(async () => (await settled()).refunded === 1_500_000_000, 10_000)).toBe(true);
    expect(await settled()).toEqual({ refunded: 1_500_000_000, budget: 2_750_000_000 });
    const reductions = await c.db`SELECT count(*) AS n FROM audit_log WHERE action = 'order.partially_refunded' AND target = ${paid.id}`;
    // one per refund, or one for both when the first event's look at PayPal already saw the second
    expect([1, 2]).toContain(Number(reductions[0].n));
    const money = await c.money(paid.key_id);
    expect(money.ledger).toBe(money.spent);
  }, 60_000);
});
