import { afterAll, beforeAll, beforeEach, expect, it } from 'bun:test';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { retryDelayMs } from '../../server/modules/mail/worker';
import { eachBackend } from '../helpers/backends';
import { buyerAddress, startCheckoutStack, waitFor, type CheckoutStack, type Created } from '../helpers/checkout';
import { startSmtpServer, type ReceivedMail, type SmtpServer } from '../helpers/smtp';

// The mail outbox on both backends, with a real SMTP server on loopback: a mail is queued in the
// transaction of its cause (and not at all when that rolls back), claimed once however many ask,
// retried with a growing delay while the server is down, failed with the server's answer on a
// permanent refusal, and sent again on the operator's request; the console lists and searches it.

type J = Record<string, any>;
const to = (email: string) => (m: ReceivedMail) => m.to === email;

eachBackend('mail outbox', (b) => {
  let smtp: SmtpServer;
  let s: CheckoutStack;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    s = await startCheckoutStack({
      env: { ...(await b.env()), TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'Tollgate <noreply@tollgate.test>', TOLLGATE_MAIL_RETRY_SECONDS: '1' },
      query: b.query,
    });
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });
  beforeEach(() => s.gw.deps.checkout.resetLookupLimits());

  const outbox = (where = '1=1', ...params: (string | number)[]) => s.q(`SELECT * FROM mail_outbox WHERE ${where} ORDER BY id`, ...params) as Promise<J[]>;
  const admin = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${s.url}/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${s.gw.admin.token}`, 'content-type': 'application/json', ...init.headers } });
    return { status: res.status, body: (await res.json()) as J };
  };
  async function paidOrder(email: string): Promise<Created> {
    const res = await s.post('/api/checkout', { plan_id: 'starter', email }, { 'x-forwarded-for': buyerAddress() });
    expect(res.status).toBe(200);
    const created = (await res.json()) as Created;
    await s.pay(created);
    await s.quiesce();
    return created;
  }
  const receipt = (params: Record<string, unknown>, to: string) => ({ kind: 'receipt' as const, to, lang: 'en' as const, params });

  it('queues a receipt with the payment that causes it, once however the payment is replayed, and sends it once', async () => {
    const created = await paidOrder('Receipt.Buyer@Example.com');
    await s.visit(`${s.url}/checkout/return?order_id=${created.order_id}&view=${created.view_token}&token=${created.paypal_order_id}`);
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: created.paypal_order_id });
    await s.quiesce();
    const [mail] = await smtp.waitFor(to('receipt.buyer@example.com'));
    expect(mail!.subject).toContain(created.order_id);
    await s.gw.deps.mail.runNow();
    const rows = await outbox('to_email = ?', 'receipt.buyer@example.com');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'receipt', status: 'sent', attempts: 1, resend: 0, last_error: null });
    expect(rows[0]!.sent_at).toBeGreaterThanOrEqual(rows[0]!.created_at);
    expect(JSON.parse(rows[0]!.params)).toMatchObject({ order_id: created.order_id });
    expect(smtp.messages().filter(to('receipt.buyer@example.com'))).toHaveLength(1);
  });

  it('queues nothing when the transaction of its cause rolls back, and a dedupe key once', async () => {
    const { backend, outbox: queue } = s.gw.deps;
    await expect(
      backend.uow.run(async (tx) => {
        expect(await queue.enqueue(receipt({ order_id: 'ord_rolledback' }, 'rollback@example.com'), tx)).toBeNumber();
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    expect(await outbox('to_email = ?', 'rollback@example.com')).toEqual([]);
    const ids = await Promise.all(Array.from({ length: 5 }, () => queue.enqueue({ ...receipt({ order_id: 'ord_dedupe' }, 'dedupe@example.com'), dedupeKey: 'test:dedupe' })));
    expect(ids.filter((id) => id !== null)).toHaveLength(1);
    await s.gw.deps.mail.runNow();
    // there is no such order to write the receipt of: failed, not sent, and said why
    expect(await outbox('to_email = ?', 'dedupe@example.com')).toMatchObject([{ dedupe_key: 'test:dedupe', status: 'failed', attempts: 1 }]);
    expect((await outbox('to_email = ?', 'dedupe@example.com'))[0]!.last_error).toStartWith('not sent:');
  });

  it('claims a pending mail once however many claim it at the same moment', async () => {
    const { stores } = s.gw.deps.backend;
    const id = await stores.outbox.insert({
      kind: 'receipt',
      toEmail: 'claimed@example.com',
      lang: 'en',
      params: { order_id: 'ord_claimed' },
      status: 'pending',
      nextAttemptAt: Date.now() + 3_600_000, // not due: the worker leaves it to us
      messageId: '<claim.test@tollgate.test>',
      createdAt: Date.now(),
    });
    expect(id).toBeNumber();
    const claims = await Promise.all(Array.from({ length: 8 }, () => stores.outbox.claim(id!)));
    const won = claims.filter((c) => c !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id, status: 'sending', attempts: 1, resend: false, params: { order_id: 'ord_claimed' } });
    expect(await stores.outbox.resumeSending()).toBe(1);
    expect(await outbox('id = ?', id!)).toMatchObject([{ status: 'pending', attempts: 1 }]);
    await stores.outbox.markFailed(id!, 'not for sending', null);
  });

  it('keeps a mail while the SMTP server is down, retrying later each time, and sends it once when it is back', { timeout: 40_000 }, async () => {
    await smtp.stop();
    let waiting: J;
    try {
      await paidOrder('outage@example.com');
      waiting = await waitFor(async () => (await outbox('to_email = ? AND attempts >= 2 AND status = ?', 'outage@example.com', 'pending'))[0], 15_000, 'two failed attempts');
      expect(waiting.last_error).toBeString();
      // at least the delay of its last attempt after that attempt began (the first attempt came at once)
      expect(waiting.next_attempt_at - waiting.created_at).toBeGreaterThanOrEqual(retryDelayMs(1, 1) + retryDelayMs(waiting.attempts, 1));
    } finally {
      await smtp.restart();
    }
    await smtp.waitFor(to('outage@example.com'), 1, 20_000);
    await s.gw.deps.mail.runNow();
    const [row] = await outbox('to_email = ?', 'outage@example.com');
    expect(row).toMatchObject({ status: 'sent', last_error: null });
    expect(row!.attempts).toBeGreaterThanOrEqual(3);
    expect(smtp.messages().filter(to('outage@example.com'))).toHaveLength(1);
  });

  it('fails a mail the server refuses for good with its answer, lists and searches it, and sends it again on request', { timeout: 30_000 }, async () => {
    renameSync(join(smtp.dir, 'tmp'), join(smtp.dir, 'tmp-away'));
    let failed: J;
    try {
      await paidOrder('Refused_Buyer@example.com');
      failed = await waitFor(async () => (await outbox('to_email = ? AND status = ?', 'refused_buyer@example.com', 'failed'))[0], 10_000, 'the refusal');
    } finally {
      renameSync(join(smtp.dir, 'tmp-away'), join(smtp.dir, 'tmp'));
    }
    expect(failed.smtp_response).toStartWith('500');
    expect(failed.attempts).toBe(1);
    for (const q of ['REFUSED_BUYER@example.com', 'refused_buyer']) {
      const list = (await admin(`/mail?status=failed&q=${encodeURIComponent(q)}`)).body;
      expect({ q, ids: list.data.map((m: J) => m.id), total: list.total }).toEqual({ q, ids: [failed.id], total: 1 });
    }
    const all = (await admin('/mail?limit=100')).body;
    expect(all.enabled).toBe(true);
    expect(all.data.map((m: J) => m.id)).toEqual([...all.data.map((m: J) => m.id)].sort((x: number, y: number) => y - x));
    const statuses = (await outbox()).reduce((n: Record<string, number>, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});
    expect(all.counts).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0, ...statuses });
    expect(all.total).toBe((await outbox()).length);
    const page = (await admin('/mail?limit=1&offset=1')).body;
    expect({ total: page.total, ids: page.data.map((m: J) => m.id) }).toEqual({ total: all.total, ids: [all.data[1].id] });

    const retried = await admin(`/mail/${failed.id}/resend`, { method: 'POST', body: '{}' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: failed.id, status: 'pending' });
    await smtp.waitFor(to('refused_buyer@example.com'));
    await waitFor(async () => (await outbox('id = ? AND status = ?', failed.id, 'sent'))[0], 10_000, 'the retry marked sent');
    const copy = await admin(`/mail/${failed.id}/resend`, { method: 'POST', body: '{}' });
    expect(copy.body.id).not.toBe(failed.id);
    expect(copy.body).toMatchObject({ resend: true, to: 'refused_buyer@example.com', kind: 'receipt' });
    await smtp.waitFor(to('refused_buyer@example.com'), 2);
    expect((await outbox('to_email = ?', 'refused_buyer@example.com')).map((r) => [r.status, r.resend])).toEqual([
      ['sent', 0],
      ['sent', 1],
    ]);
    expect((await s.q("SELECT target FROM audit_log WHERE action = 'mail.resend' ORDER BY id")).map((r) => r.target)).toEqual([String(failed.id), String(failed.id)]);
    expect((await admin('/mail/999999/resend', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('sends every paid order of an address its receipt again, and an unknown address nothing, answering both alike', async () => {
    const first = await paidOrder('twice@example.com');
    const second = await paidOrder('twice@example.com');
    await smtp.waitFor(to('twice@example.com'), 2);
    const resend = async (email: string) => {
      const res = await s.post('/api/orders/resend', { email });
      return { status: res.status, text: await res.text() };
    };
    const known = await resend('Twice@Example.com');
    expect(known.status).toBe(202);
    expect(await resend('nobody-here@example.com')).toEqual(known);
    const copies = (await smtp.waitFor(to('twice@example.com'), 4)).slice(2);
    expect(copies.map((m) => m.subject.match(/ord_\w+/)?.[0]).sort()).toEqual([first.order_id, second.order_id].sort());
    await s.gw.deps.mail.runNow();
    expect(await outbox('to_email = ?', 'nobody-here@example.com')).toEqual([]);
    expect((await outbox('to_email = ?', 'twice@example.com')).map((r) => r.resend)).toEqual([0, 0, 1, 1]);
  });

  it('queues the expiry notice once per key and expiry, three days before', async () => {
    const { metering, mail } = s.gw.deps;
    const soon = await metering.createKey({ planId: 'pro', email: 'expiring@example.com', expiresDays: 30 });
    await metering.updateKey(soon.row.id, { expiresAt: Date.now() + 2 * 86_400_000 });
    await metering.createKey({ planId: 'pro', email: 'later@example.com', expiresDays: 30 });
    expect(await mail.sweepNow()).toBeGreaterThanOrEqual(1);
    await mail.sweepNow();
    const [notice] = await smtp.waitFor(to('expiring@example.com'));
    expect(notice!.subject).toStartWith('[Tollgate] Your key expires on ');
    await mail.runNow();
    expect(await outbox('to_email = ?', 'expiring@example.com')).toMatchObject([{ kind: 'expiring', status: 'sent' }]);
    expect(await outbox('to_email = ?', 'later@example.com')).toEqual([]);
    await metering.updateKey(soon.row.id, { expiresAt: Date.now() + 2.5 * 86_400_000 });
    await mail.sweepNow();
    await waitFor(async () => (await outbox('to_email = ? AND status = ?', 'expiring@example.com', 'sent')).length === 2, 10_000, 'a notice for the new expiry');
  });
});
