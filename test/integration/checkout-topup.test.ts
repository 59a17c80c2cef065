// Topping up an existing key: the same PayPal flow and the same exactly-once crediting, the key
// string unchanged, the budget added, the expiry extended from the later of now and the current
// expiry, the plan moved up only to one with more models; one credit row per top-up.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { parseUsd } from '../../server/lib/money';
import { buyerAddress, startCheckoutStack, type CheckoutStack, type Created } from '../helpers/checkout';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp';

type J = Record<string, any>;
const DAY_MS = 86_400_000;
let smtp: SmtpServer;
let s: CheckoutStack;

async function checkout(body: J): Promise<{ status: number; body: J }> {
  const res = await s.post('/api/checkout', body, { 'x-forwarded-for': buyerAddress() });
  return { status: res.status, body: (await res.json()) as J };
}

async function buy(planId: string, email: string, key?: string): Promise<Created> {
  const { status, body } = await checkout({ plan_id: planId, email, ...(key ? { key } : {}) });
  expect(status).toBe(200);
  return body as Created;
}

async function payOnce(created: Created): Promise<void> {
  await s.pay(created);
  await s.quiesce();
}

const keyRow = (keyId: string) => s.rows('SELECT * FROM api_keys WHERE id = ?', keyId)[0] as J;
const keyBySecret = async (secret: string) => (await (await s.usage(secret)).json()) as J;
const credits = (where: string, ...params: string[]) => s.rows(`SELECT * FROM credits WHERE ${where} ORDER BY id`, ...params);

beforeAll(async () => {
  smtp = await startSmtpServer();
  s = await startCheckoutStack({
    deepseek: true,
    env: { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' },
  });
});
afterAll(async () => {
  await s.close();
  await smtp.close();
});
beforeEach(() => s.gw.deps.checkout.resetLookupLimits());

describe('a top-up of an existing key', () => {
  it('credits once under concurrent replays of the return page, the JS capture and the webhooks, keeping the key string', { timeout: 30_000 }, async () => {
    const first = await buy('starter', 'topper@example.com');
    await payOnce(first);
    const key = (await s.viewOrder(first.order_id, first.view_token)).body.key as string;
    // some spend first, so that spent and budget are both checked after the top-up
    const chat = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hello #tokens=20' }] }),
    });
    expect(chat.status).toBe(200);
    const before = await keyBySecret(key);
    const keyId = s.keysOf(first.order_id)[0]!.id as string;
    const rowBefore = keyRow(keyId);
    const keyCount = s.rows('SELECT count(*) AS n FROM api_keys')[0]!.n;

    const topup = await buy('pro', 'topper@example.com', key);
    expect(s.order(topup.order_id).topup_key_id).toBe(keyId);
    const back = await s.approve(topup.paypal_order_id);
    const answers = await Promise.all([
      s.visit(back),
      s.visit(back),
      s.post(`/api/checkout/${topup.order_id}/capture?view=${topup.view_token}`, {}),
      s.post(`/api/checkout/${topup.order_id}/capture?view=${topup.view_token}`, {}),
      s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: topup.paypal_order_id }),
      s.control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: topup.paypal_order_id }),
    ]);
    expect(answers.every((a) => ('ok' in a ? a.status < 500 : a.status < 500))).toBe(true);
    await s.quiesce();
    await s.visit(back); // and once more after everything settled

    expect(credits('order_id = ?', topup.order_id)).toHaveLength(1);
    expect(credits('key_id = ?', keyId).map((c) => c.kind)).toEqual(['purchase', 'topup']);
    expect(s.rows('SELECT count(*) AS n FROM api_keys')[0]!.n).toBe(keyCount); // no new key
    expect(s.payments(topup.order_id)).toHaveLength(1);

    const after = await keyBySecret(key); // the same key string works and shows the new budget
    expect(after.budget_usd).toBe('49.250000000');
    expect(after.spent_usd).toBe(before.spent_usd);
    expect(parseUsd(after.remaining_usd)).toBe(parseUsd(before.remaining_usd) + parseUsd('45'));
    expect(after.plan_id).toBe('pro');
    const rowAfter = keyRow(keyId);
    expect(rowAfter.key_hash).toBe(rowBefore.key_hash);
    expect(rowAfter.expires_at).toBe(rowBefore.expires_at + 180 * DAY_MS);

    const order = (await s.viewOrder(topup.order_id, topup.view_token)).body;
    expect(order).toMatchObject({ status: 'paid', topup: true, key, budget_usd: '49.250000000' });

    // the buyer sees the credit
    const list = (await (await fetch(`${s.url}/api/usage/credits`, { headers: { authorization: `Bearer ${key}` } })).json()) as J;
    expect(list.data).toHaveLength(2);
    expect(list.data[0]).toEqual({
      order_id: topup.order_id,
      kind: 'topup',
      amount_usd: '50.000000000',
      budget_added_usd: '45.000000000',
      expires_before: new Date(rowBefore.expires_at).toISOString(),
      expires_after: new Date(rowAfter.expires_at).toISOString(),
      plan_before: 'starter',
      plan_after: 'pro',
      // and the plans by the names the buyer knows them by
      plan_before_name: 'Starter',
      plan_after_name: 'Pro',
      created_at: list.data[0].created_at,
    });
    expect(list.data[1]).toMatchObject({ order_id: first.order_id, kind: 'purchase', budget_added_usd: '4.250000000', plan_before: null, plan_after: 'starter' });

    // one receipt for the top-up, saying so, with the same key
    const mails = await smtp.waitFor((m) => m.subject.includes(topup.order_id));
    await s.gw.deps.mail.runNow();
    expect(smtp.messages().filter((m) => m.subject.includes(topup.order_id))).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`[Tollgate] Receipt for order ${topup.order_id}: your key was topped up`);
    expect(mails[0]!.text).toContain(key);
    expect(mails[0]!.text).toContain('Added to your key');
    expect(mails[0]!.text).toContain('$45.00');

    // and the console shows it on the key's page
    const admin = await fetch(`${s.url}/admin/api/keys/${keyId}/credits`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as J).data.map((c: J) => c.order_id)).toEqual([topup.order_id, first.order_id]);
  });

  it('never moves a key to a plan with fewer models, but still adds its budget and validity', async () => {
    const key = await s.gw.deps.metering.createKey({ planId: 'pro', email: 'pro@example.com', budgetNano: parseUsd('1') });
    const topup = await buy('trial', 'pro@example.com', key.key);
    await payOnce(topup);
    const row = keyRow(key.row.id);
    expect(row.plan_id).toBe('pro');
    expect(row.budget_nano).toBe(parseUsd('1.8'));
    expect(row.expires_at).toBe(key.row.expiresAt! + 7 * DAY_MS);
    expect(credits('order_id = ?', topup.order_id)[0]).toMatchObject({ plan_before: 'pro', plan_after: 'pro' });
  });

  it('brings an expired key back from now, and a used-up key back to active', async () => {
    const metering = s.gw.deps.metering;
    const expired = await metering.createKey({ planId: 'starter', email: 'old@example.com' });
    await metering.updateKey(expired.row.id, { expiresAt: Date.now() - DAY_MS });
    expect(keyRow(expired.row.id).status).toBe('expired');
    const usedUp = await metering.createKey({ planId: 'starter', email: 'spent@example.com', budgetNano: 0 });
    await metering.updateKey(usedUp.row.id, { budgetNano: 0 });
    expect(keyRow(usedUp.row.id).status).toBe('exhausted');

    const started = Date.now();
    await payOnce(await buy('starter', 'old@example.com', expired.key));
    await payOnce(await buy('starter', 'spent@example.com', usedUp.key));
    const revived = keyRow(expired.row.id);
    expect(revived.status).toBe('active');
    expect(revived.expires_at).toBeGreaterThanOrEqual(started + 30 * DAY_MS);
    expect(revived.expires_at).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);
    expect(keyRow(usedUp.row.id)).toMatchObject({ status: 'active', budget_nano: parseUsd('4.25') });
    expect((await s.usage(expired.key)).status).toBe(200);
  });

  it('refuses an unknown key, a disabled key, a key id and a malformed key with the same 400, creating no order', async () => {
    const metering = s.gw.deps.metering;
    const disabled = await metering.createKey({ planId: 'starter', email: 'off@example.com' });
    await metering.setStatus(disabled.row.id, 'disabled', 'by the operator');
    const orders = s.rows('SELECT count(*) AS n FROM orders')[0]!.n;
    const unknownKey = `sk-gateway-${'A'.repeat(40)}`;
    const answers = await Promise.all([unknownKey, disabled.key, disabled.row.id, 'not-a-key'].map((key) => checkout({ plan_id: 'starter', email: 'off@example.com', key })));
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    expect(answers[0]!.body.error).toMatchObject({ type: 'invalid_request_error', param: 'key' });
    expect(s.rows('SELECT count(*) AS n FROM orders')[0]!.n).toBe(orders);
  });
});
