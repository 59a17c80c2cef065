// Receipts by mail, through a real SMTP server on loopback: in the buyer's language with the
// right order ids and the key, once however often the payment is replayed, delayed (not lost)
// while the SMTP server is down, and sent again on request without telling who bought.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { buyerAddress, startCheckoutStack, waitFor, type CheckoutStack, type Created } from '../helpers/checkout';
import { startSmtpServer, type ReceivedMail, type SmtpServer } from '../helpers/smtp';

type J = Record<string, any>;
let smtp: SmtpServer;
let s: CheckoutStack;

const mailEnv = (smtpUrl: string) => ({ TOLLGATE_SMTP_URL: smtpUrl, TOLLGATE_MAIL_FROM: 'Tollgate <noreply@tollgate.test>', TOLLGATE_MAIL_RETRY_SECONDS: '1' });

/** A new order placed from a page in this language. */
async function order(lang: string, email: string, planId = 'starter'): Promise<Created> {
  const res = await s.post('/api/checkout', { plan_id: planId, email }, { 'x-forwarded-for': buyerAddress(), 'accept-language': lang });
  expect(res.status).toBe(200);
  return (await res.json()) as Created;
}

async function paidKey(created: Created): Promise<string> {
  await s.pay(created);
  await s.quiesce();
  const { body } = await s.viewOrder(created.order_id, created.view_token);
  expect(body.status).toBe('paid');
  return body.key as string;
}

const to = (email: string) => (m: ReceivedMail) => m.to === email;
const outbox = (where = '1=1', ...params: (string | number)[]) => s.rows(`SELECT * FROM mail_outbox WHERE ${where} ORDER BY id`, ...params);

beforeAll(async () => {
  smtp = await startSmtpServer();
  s = await startCheckoutStack({ env: mailEnv(smtp.url) });
});
afterAll(async () => {
  await s.close();
  await smtp.close();
});
beforeEach(() => s.gw.deps.checkout.resetLookupLimits());

describe('the receipt', () => {
  it('goes out in English when the order was placed in English, with both order ids, the plan, the amounts, the base URL and the key', async () => {
    const created = await order('en-US,en;q=0.9', 'english@example.com');
    const key = await paidKey(created);
    const [mail] = await smtp.waitFor(to('english@example.com'));
    expect(mail!.subject).toBe(`[Tollgate] Receipt for order ${created.order_id}: your API key`);
    expect(mail!.from).toBe('Tollgate <noreply@tollgate.test>');
    for (const part of [mail!.text, mail!.html]) {
      expect(part).toContain(created.order_id);
      expect(part).toContain(created.paypal_order_id);
      expect(part).toContain('Starter');
      expect(part).toContain('$5.00'); // paid
      expect(part).toContain('$4.25'); // budget
      expect(part).toContain('30 days');
      expect(part).toContain(`${s.url}/v1`);
      expect(part).toContain(key);
    }
    expect(mail!.text).toContain('Amount paid:');
    expect(mail!.headers['auto-submitted']).toBe('auto-generated');
    const [row] = outbox('kind = ? AND to_email = ?', 'receipt', 'english@example.com');
    expect(row).toMatchObject({ status: 'sent', lang: 'en', attempts: 1, dedupe_key: `receipt:${created.order_id}` });
    expect(row!.smtp_response).toStartWith('250');
    expect(mail!.messageId).toBe(row!.message_id);
    // the outbox never holds the key itself: it is read from its sealed column when the mail is written
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it('goes out in Chinese when the order was placed in Chinese', async () => {
    const created = await order('zh-CN,zh;q=0.9', 'chinese@example.com');
    const key = await paidKey(created);
    const [mail] = await smtp.waitFor(to('chinese@example.com'));
    expect(mail!.subject).toBe(`[Tollgate] 订单 ${created.order_id} 的收据：您的 API 密钥`);
    expect(mail!.text).toContain('支付金额');
    expect(mail!.text).toContain('30 天');
    expect(mail!.text).toContain(created.paypal_order_id);
    expect(mail!.text).toContain(key);
    expect(mail!.html).toContain('lang="zh-CN"');
    expect(mail!.text).not.toContain('Amount paid');
    expect(s.order(created.order_id).lang).toBe('zh');
  });

  it('goes once, however often the return page, the JS capture and the webhooks replay the payment', async () => {
    const created = await order('en', 'replayed@example.com');
    const back = await s.approve(created.paypal_order_id);
    await Promise.all([
      s.visit(back),
      s.visit(back),
      s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {}),
      s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: created.paypal_order_id }),
      s.control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: created.paypal_order_id }),
    ]);
    await s.quiesce();
    await smtp.waitFor(to('replayed@example.com'));
    await s.gw.deps.mail.runNow();
    await Bun.sleep(300);
    expect(smtp.messages().filter(to('replayed@example.com'))).toHaveLength(1);
    expect(outbox('to_email = ?', 'replayed@example.com')).toHaveLength(1);
  });

  it('waits while the SMTP server is down and arrives once when it is back', { timeout: 40_000 }, async () => {
    await smtp.stop();
    try {
      const created = await order('en', 'outage@example.com');
      await paidKey(created);
      // the worker tried, failed, and keeps the mail for a later attempt
      const failedOnce = await waitFor(() => outbox('to_email = ? AND attempts >= 1 AND status = ?', 'outage@example.com', 'pending')[0], 10_000, 'a failed attempt');
      expect(failedOnce.last_error).toBeString();
      expect(failedOnce.next_attempt_at).toBeGreaterThan(failedOnce.created_at);
    } finally {
      await smtp.restart();
    }
    await smtp.waitFor(to('outage@example.com'), 1, 20_000);
    await s.gw.deps.mail.runNow();
    await Bun.sleep(1500); // more than the retry delay: nothing else goes out
    expect(smtp.messages().filter(to('outage@example.com'))).toHaveLength(1);
    const [row] = outbox('to_email = ?', 'outage@example.com');
    expect(row!.status).toBe('sent');
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
  });
});

describe('POST /api/orders/resend', () => {
  const resend = async (email: string) => {
    const res = await s.post('/api/orders/resend', { email });
    return { status: res.status, text: await res.text() };
  };

  it('answers a known and an unknown address alike, and mails only the known one its receipts again', async () => {
    const first = await order('en', 'twice@example.com');
    await paidKey(first);
    const second = await order('zh-CN', 'twice@example.com', 'trial');
    await paidKey(second);
    await smtp.waitFor(to('twice@example.com'), 2);

    const known = await resend('Twice@Example.com');
    const unknown = await resend('nobody-here@example.com');
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    expect(JSON.parse(known.text)).toEqual({ accepted: true });

    const mails = await smtp.waitFor(to('twice@example.com'), 4);
    const copies = mails.slice(2);
    expect(copies.map((m) => m.subject).sort()).toEqual(
      [`[Tollgate] Receipt for order ${first.order_id}: your API key`, `[Tollgate] 订单 ${second.order_id} 的收据：您的 API 密钥`].sort(),
    );
    expect(copies.find((m) => m.subject.includes(first.order_id))!.text).toContain('You asked for this copy of your receipt.');
    await s.gw.deps.mail.runNow();
    expect(smtp.messages().filter(to('nobody-here@example.com'))).toHaveLength(0);
    expect(outbox('to_email = ?', 'nobody-here@example.com')).toHaveLength(0);
  });

  it('is limited per email address, for known and unknown addresses alike', async () => {
    for (let i = 0; i < 3; i++) expect((await resend('limited@example.com')).status).toBe(202);
    s.gw.deps.checkout.resetLookupLimits();
    for (let i = 0; i < 3; i++) expect((await s.post('/api/orders/resend', { email: 'limited2@example.com' }, { 'x-forwarded-for': buyerAddress() })).status).toBe(202);
    const res = await s.post('/api/orders/resend', { email: 'limited2@example.com' }, { 'x-forwarded-for': buyerAddress() });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as J).error.code).toBe('rate_limit_exceeded');
  });

  it('is limited per client address together with lookups', async () => {
    const ip = buyerAddress();
    for (let i = 0; i < 10; i++) await s.post('/api/orders/lookup', { order_id: `ord_nothing${i}`, email: 'x@example.com' }, { 'x-forwarded-for': ip });
    const res = await s.post('/api/orders/resend', { email: 'fresh@example.com' }, { 'x-forwarded-for': ip });
    expect(res.status).toBe(429);
  });

  it('refuses a malformed address with a 400 in the contract shape', async () => {
    const res = await s.post('/api/orders/resend', { email: 'not an address' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as J).error).toMatchObject({ type: 'invalid_request_error', param: 'email' });
  });
});

describe('POST /api/orders/lookup with PayPal ids', () => {
  it("finds a paid order by PayPal's order id and by PayPal's capture id, with the same 404 for a wrong email", async () => {
    const created = await order('en', 'paypal-ids@example.com');
    const key = await paidKey(created);
    const captureId = s.payments(created.order_id)[0]!.paypal_capture_id as string;
    for (const id of [created.order_id, created.paypal_order_id, captureId]) {
      const res = await s.post('/api/orders/lookup', { order_id: id, email: 'paypal-ids@example.com' });
      expect(res.status).toBe(200);
      expect((await res.json()) as J).toMatchObject({ order_id: created.order_id, key, paypal_order_id: created.paypal_order_id, topup: false });
    }
    const wrongEmail = await s.post('/api/orders/lookup', { order_id: created.paypal_order_id, email: 'someone@example.com' });
    const wrongId = await s.post('/api/orders/lookup', { order_id: '0ABCDEFGHIJKLMNOP', email: 'paypal-ids@example.com' });
    expect(wrongEmail.status).toBe(404);
    expect(wrongId.status).toBe(404);
    expect(await wrongEmail.json()).toEqual(await wrongId.json());
  });
});

describe('the console’s outbox', () => {
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${s.url}/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${s.gw.admin.token}`, 'content-type': 'application/json', ...init.headers } });

  it('shows a mail the SMTP server refused with its answer, and sends it again on request, audit-logged', { timeout: 30_000 }, async () => {
    // the server answers 500 while its Maildir cannot be written: a permanent refusal
    const { renameSync } = await import('node:fs');
    const { join } = await import('node:path');
    renameSync(join(smtp.dir, 'tmp'), join(smtp.dir, 'tmp-away'));
    let failed: J;
    try {
      const created = await order('en', 'refused@example.com');
      await paidKey(created);
      failed = await waitFor(() => outbox('to_email = ? AND status = ?', 'refused@example.com', 'failed')[0], 10_000, 'the refusal');
    } finally {
      renameSync(join(smtp.dir, 'tmp-away'), join(smtp.dir, 'tmp'));
    }
    const list = (await (await admin('/mail?status=failed&q=refused@example.com')).json()) as J;
    expect(list).toMatchObject({ enabled: true, server: smtp.url, from: 'Tollgate <noreply@tollgate.test>' });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ id: failed.id, kind: 'receipt', to: 'refused@example.com', status: 'failed', attempts: 1 });
    expect(list.data[0].smtp_response).toStartWith('500');
    expect(list.counts.failed).toBeGreaterThanOrEqual(1);

    const retried = await admin(`/mail/${failed.id}/resend`, { method: 'POST', body: '{}' });
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as J).status).toBe('pending');
    await smtp.waitFor(to('refused@example.com'));
    await waitFor(() => outbox('id = ? AND status = ?', failed.id, 'sent')[0], 10_000, 'the retry marked sent');

    // a sent one goes again as a copy
    const copy = await admin(`/mail/${failed.id}/resend`, { method: 'POST', body: '{}' });
    const copied = (await copy.json()) as J;
    expect(copied.id).not.toBe(failed.id);
    expect(copied.resend).toBe(true);
    await smtp.waitFor(to('refused@example.com'), 2);
    expect(s.audit('mail.resend').map((r) => r.target)).toEqual([String(failed.id), String(failed.id)]);
    expect((await admin('/mail/999999/resend', { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
