// The reconciler asks PayPal about waiting orders least recently asked first, and asks about each
// one again only after a backoff: a pile of orders PayPal never settles cannot starve a newer one.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { nextCheckAt, RECHECK_MAX_MS, RECHECK_MIN_MS } from '../../server/modules/checkout/reconciler';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

const HOUR = 3_600_000;

describe('the reconciler under a pile of stuck orders', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack({ webhooks: false });
  });
  afterAll(() => s.close());

  it('still captures a newer order when more than a batch of older ones never settle', async () => {
    const now = Date.now();
    // 120 older orders PayPal has no answer for (every sync fails): more than one pass takes
    const insert = s.sqlite.prepare(
      `INSERT INTO orders (id, plan_id, email, amount_nano, currency, status, paypal_order_id, paypal_request_id, view_token_hash, created_at, updated_at)
       VALUES (?, 'starter', 'stuck@example.com', 5000000000, 'USD', ?, ?, ?, 'x', ?, ?)`,
    );
    for (let i = 0; i < 120; i++) {
      const at = now - 2 * HOUR + i;
      insert.run(`ord_stuck_${String(i).padStart(3, '0')}`, i % 2 === 0 ? 'pending' : 'approved', `STUCK${String(i).padStart(12, '0')}`, crypto.randomUUID(), at, at);
    }
    // a newer buyer approved, and the capture's answer was lost on the way back: approved, waiting
    const created = await s.checkout('trial', 'newer@example.com');
    await s.approve(created.paypal_order_id);
    s.sqlite.run("UPDATE orders SET status = 'approved', created_at = ?, updated_at = ? WHERE id = ?", [now - HOUR, now - HOUR, created.order_id]);

    const first = await s.gw.deps.checkout.reconcileNow();
    expect(first.checked).toBe(100);
    expect(s.order(created.order_id).status).toBe('approved');

    // the 100 just asked about wait their turn; the rest, and the newer order, come next
    const second = await s.gw.deps.checkout.reconcileNow();
    expect(second.checked).toBe(21);
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);

    // every stuck order was asked about once, and none is asked again before its backoff
    const third = await s.gw.deps.checkout.reconcileNow();
    expect(third.checked).toBe(0);
    const unasked = s.rows("SELECT count(*) AS n FROM orders WHERE id LIKE 'ord_stuck_%' AND next_check_at IS NULL")[0]?.n;
    expect(unasked).toBe(0);
    const stuck = s.rows("SELECT status FROM orders WHERE id LIKE 'ord_stuck_%' AND status NOT IN ('pending', 'approved')");
    expect(stuck).toHaveLength(0);
  });

  it('asks about a young order again soon and an old one at most hourly', () => {
    const now = 10 * HOUR;
    expect(nextCheckAt(now, now - 1000)).toBe(now + RECHECK_MIN_MS);
    expect(nextCheckAt(now, now - HOUR)).toBe(now + HOUR / 4);
    expect(nextCheckAt(now, now - 9 * HOUR)).toBe(now + RECHECK_MAX_MS);
  });
});
