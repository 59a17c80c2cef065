import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { formatUsd, parseUsd } from '../../server/lib/money';
import { adminClient, type AdminClient } from '../helpers/admin';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

// The console's overview money: cash in, what buyers used, DeepSeek's cost, the margin on what was
// used (not on prepaid budget still unspent) and the budget still owed; refusals in today's errors.

type J = Record<string, any>;

let s: CheckoutStack;
let admin: AdminClient;
const keys: Record<string, { key: string; id: string }> = {};

async function buy(plan: string, email: string) {
  const created = await s.checkout(plan, email);
  expect((await s.pay(created)).status).toBe(303);
  const row = s.keysOf(created.order_id)[0];
  const view = await s.viewOrder(created.order_id, created.view_token);
  return { key: view.body.key as string, id: row!.id as string };
}

const chat = (key: string, body: J) =>
  fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

beforeAll(async () => {
  s = await startCheckoutStack({ deepseek: true });
  admin = adminClient(s.url, s.gw.admin.token);
  keys.starter = await buy('starter', 'starter@example.com');
  keys.trial = await buy('trial', 'trial@example.com');
  // one the operator gave away, and one that expired with budget left
  const free = await s.gw.deps.metering.createKey({ planId: 'pro', budgetNano: parseUsd('2'), rpmOverride: 0, concurrencyOverride: 0 });
  keys.free = { key: free.key, id: free.row.id };
  const old = await s.gw.deps.metering.createKey({ planId: 'pro', budgetNano: parseUsd('3'), rpmOverride: 0, concurrencyOverride: 0 });
  keys.expired = { key: old.key, id: old.row.id };
  for (let i = 0; i < 3; i++) expect(await chat(keys.starter!.key, { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: `hello ${i} #tokens=40` }] })).toBe(200);
  expect(await chat(keys.free!.key, { model: 'deepseek-v4-pro', messages: [{ role: 'user', content: 'hi #tokens=25' }] })).toBe(200);
  s.sqlite.exec(`UPDATE api_keys SET expires_at = 1000 WHERE id = '${keys.expired!.id}'`);
  s.gw.deps.metering.dropKeyCache();
  // refused today: the trial plan has no pro model; the expired key
  expect(await chat(keys.trial!.key, { model: 'deepseek-v4-pro', messages: [{ role: 'user', content: 'hi' }] })).toBe(403);
  expect(await chat(keys.expired!.key, { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi' }] })).toBe(402);
});
afterAll(() => s.close());

describe('the overview', () => {
  it('shows revenue, cost, the margin on what was used and the budget still owed, as the ledger and keys say', async () => {
    const overview = (await admin.get('/overview')).body as J;
    const ledger = s.rows('SELECT key_id, cost_nano, http_status FROM ledger');
    const spentBy = (id: string) => ledger.filter((r) => r.key_id === id).reduce((n, r) => n + (r.cost_nano as number), 0);
    const spend = ledger.reduce((n, r) => n + (r.cost_nano as number), 0);

    // cash in: both orders, spent or not
    expect(overview.revenue_usd).toBe('6.000000000');
    expect(overview.buyer_spend_usd).toBe(formatUsd(spend));
    // the default price book is DeepSeek's own: the cost of the usage is what buyers spent
    expect(overview.upstream_cost_usd).toBe(formatUsd(spend));
    // earned: the starter key's spend at $5 paid per $4.25 of budget; the free key earns nothing
    const earned = Math.floor((spentBy(keys.starter!.id) * 5_000_000_000) / 4_250_000_000);
    expect(spentBy(keys.free!.id)).toBeGreaterThan(0);
    expect(overview.earned_usd).toBe(formatUsd(earned));
    expect(overview.margin_usd).toBe(formatUsd(earned - spend));
    // owed: what is left on the active keys that have not expired (not the expired one's 3 dollars)
    const list = (await admin.get('/keys?limit=100')).body.data as J[];
    const owedKeys = list.filter((k) => k.status === 'active' && (k.expires_at === null || Date.parse(k.expires_at) > Date.now()) && parseUsd(k.remaining_usd) > 0);
    expect(owedKeys.map((k) => k.id).sort()).toEqual([keys.starter!.id, keys.trial!.id, keys.free!.id].sort());
    expect(overview.owed_usd).toBe(formatUsd(owedKeys.reduce((n, k) => n + parseUsd(k.remaining_usd), 0)));
    expect(overview.owed_usd).toBe(formatUsd(4_250_000_000 - spentBy(keys.starter!.id) + 800_000_000 + 2_000_000_000 - spentBy(keys.free!.id)));
    expect(overview.owed_keys).toBe(3);
  });

  it("counts today's refusals in the error rate", async () => {
    const overview = (await admin.get('/overview')).body as J;
    const ledger = s.rows('SELECT http_status FROM ledger');
    const ledgerErrors = ledger.filter((r) => (r.http_status as number) >= 400).length;
    expect(overview.refused_today).toEqual({ total: 2, by_reason: { model_not_allowed: 1, key_expired: 1 } });
    expect(overview.requests_today).toBe(ledger.length);
    expect(overview.errors_today).toBe(ledgerErrors + 2);
    expect(overview.error_rate_today).toBeCloseTo((ledgerErrors + 2) / (ledger.length + 2), 9);
  });

  it("lists refusals per key, day and reason, and a key's own", async () => {
    const all = (await admin.get('/refusals')).body as J;
    const today = new Date().toISOString().slice(0, 10);
    expect(all.refused).toEqual({ total: 2, by_reason: { model_not_allowed: 1, key_expired: 1 } });
    expect(all.data.map((r: J) => [r.key_id, r.date, r.reason, r.count]).sort()).toEqual(
      [
        [keys.trial!.id, today, 'model_not_allowed', 1],
        [keys.expired!.id, today, 'key_expired', 1],
      ].sort(),
    );
    expect(all.data.every((r: J) => typeof r.key_hint === 'string' && r.key_hint.startsWith('sk-gateway-'))).toBe(true);
    const filtered = (await admin.get(`/refusals?key_id=${keys.trial!.id}&from=${today}&to=${today}`)).body as J;
    expect(filtered.data).toHaveLength(1);
    expect((await admin.get('/refusals?from=2999-01-01')).body.data).toEqual([]);
    expect((await admin.get('/refusals?from=yesterday')).status).toBe(400);

    const mine = (await admin.get(`/keys/${keys.trial!.id}/refusals`)).body as J;
    expect(mine).toEqual({ refused: { total: 1, by_reason: { model_not_allowed: 1 } }, by_day: [{ date: today, refused: { total: 1, by_reason: { model_not_allowed: 1 } } }] });
    expect((await admin.get(`/keys/${keys.starter!.id}/refusals`)).body).toEqual({ refused: { total: 0, by_reason: {} }, by_day: [] });
    expect((await admin.get('/keys/key_nope/refusals')).status).toBe(404);
  });
});
