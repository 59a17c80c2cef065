// Without TOLLGATE_SMTP_URL and TOLLGATE_MAIL_FROM mail is off: nothing is queued, the site and
// the console say so, and asking for receipts again is refused plainly.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { parseUsd } from '../../server/lib/money';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

let s: CheckoutStack;
beforeAll(async () => {
  s = await startCheckoutStack({ deepseek: true });
});
afterAll(() => s.close());

describe('mail off', () => {
  it('queues nothing for a paid order or a key spent down', async () => {
    const created = await s.checkout('trial', 'quiet@example.com');
    await s.pay(created);
    await s.quiesce();
    expect(s.order(created.order_id).status).toBe('paid');
    const { key } = await s.gw.deps.metering.createKey({ planId: 'pro', email: 'quiet@example.com', budgetNano: parseUsd('0.002'), rpmOverride: 0 });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi #tokens=300' }], max_tokens: 400 }),
      });
      await res.text();
      if (res.status !== 200) break;
    }
    expect(s.rows('SELECT count(*) AS n FROM mail_outbox')[0]!.n).toBe(0);
  });

  it('says so on the site and in the console, and refuses a resend with 503 mail_disabled', async () => {
    const site = (await (await fetch(`${s.url}/api/site`)).json()) as Record<string, unknown>;
    expect(site.mail_enabled).toBe(false);
    const list = (await (await fetch(`${s.url}/admin/api/mail`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } })).json()) as Record<string, unknown>;
    expect(list).toMatchObject({ enabled: false, server: null, from: null, data: [], total: 0 });
    const res = await s.post('/api/orders/resend', { email: 'quiet@example.com' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('mail_disabled');
  });
});
