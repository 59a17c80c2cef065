// Control endpoints under {base}/_control/ (no auth): drive the buyer, webhooks and failures from tests.

import { CAPTURE_ISSUES, type CaptureIssue, type FailKind, type FailureRule, type SimContext } from './context';
import { parseAmount } from './money';
import { applyRefund, refundBlocker } from './payments';
import { renderCapture, renderOrder } from './render';
import type { CaptureRec, OrderRec } from './state';
import { isObject, json, paypalTime, readJson } from './util';
import type { EmitResult } from './webhooks';

const err = (status: number, message: string) => json({ error: message }, status);

const FAIL_KINDS: FailKind[] = ['500', 'timeout', 'declined', 'pending', '422'];

export const EVENT_TYPES = [
  'CHECKOUT.ORDER.APPROVED',
  'PAYMENT.CAPTURE.COMPLETED',
  'PAYMENT.CAPTURE.PENDING',
  'PAYMENT.CAPTURE.DENIED',
  'PAYMENT.CAPTURE.REFUNDED',
  'PAYMENT.CAPTURE.REVERSED',
] as const;

async function settled(p: Promise<EmitResult>) {
  const { done } = await p;
  const d = await done;
  return { event_id: d.event_id, event_type: d.event_type, delivered: d.delivered, status: d.status, attempts: d.attempts, ...(d.error ? { error: d.error } : {}) };
}

function listOrder(ctx: SimContext, o: OrderRec, req: Request) {
  return {
    ...renderOrder(o, ctx.state, ctx.base(req)),
    sim: { return_url: o.returnUrl ?? null, cancel_url: o.cancelUrl ?? null, approve_rel: o.linkRel, initial_status: o.initialStatus },
  };
}

function setCaptureStatus(c: CaptureRec, status: CaptureRec['status']): void {
  c.status = status;
  delete c.statusReason;
  c.updateTime = paypalTime();
}

async function sendWebhook(ctx: SimContext, req: Request): Promise<Response> {
  const body = await readJson(req);
  if (!isObject(body)) return err(400, 'expected JSON {"event_type", "order_id"}');
  const type = body.event_type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return err(400, `event_type must be one of ${EVENT_TYPES.join(', ')}`);
  }
  const o = ctx.order(String(body.order_id ?? ''));
  if (!o) return err(404, `unknown order ${String(body.order_id)}`);
  const base = ctx.base(req);

  if (type === 'CHECKOUT.ORDER.APPROVED') {
    const res = ctx.approve(o, base);
    const ev = res.ok && res.event ? res.event : ctx.emitOrderEvent(type, o, base);
    return json(await settled(ev));
  }
  const c = ctx.state.captureOf(o);
  if (!c) return err(409, `order ${o.id} has no capture yet`);
  switch (type) {
    case 'PAYMENT.CAPTURE.COMPLETED':
      if (c.status === 'PENDING') setCaptureStatus(c, 'COMPLETED');
      break;
    case 'PAYMENT.CAPTURE.DENIED':
      if (c.status === 'PENDING' || c.status === 'COMPLETED') setCaptureStatus(c, 'DECLINED');
      break;
    case 'PAYMENT.CAPTURE.REVERSED':
      return reverse(ctx, c, body.amount, base);
    case 'PAYMENT.CAPTURE.REFUNDED': {
      // A refund made outside the API (e.g. from the PayPal dashboard): refund what is left.
      if (!refundBlocker(c) && c.minor > c.refundedMinor) {
        return json(await settled(applyRefund(ctx, c, c.minor - c.refundedMinor, base).event));
      }
      const last = ctx.state.refunds.get(c.refundIds[c.refundIds.length - 1] ?? '');
      if (!last) return err(409, `capture ${c.id} is ${c.status} and cannot be refunded`);
      return json(await settled(ctx.emitRefundEvent(last, base)));
    }
  }
  return json(await settled(ctx.emitCaptureEvent(type, c, base)));
}

/**
 * A chargeback: PayPal takes the money back (all that is left, or `amount` in the capture's
 * currency) and says so with PAYMENT.CAPTURE.REVERSED, whose resource is a refund.
 */
async function reverse(ctx: SimContext, c: CaptureRec, amount: unknown, base: ReturnType<SimContext['base']>): Promise<Response> {
  const left = c.minor - c.refundedMinor;
  if (left <= 0n || c.status === 'PENDING' || c.status === 'DECLINED' || c.status === 'FAILED') {
    // nothing (more) to take back: PayPal tells of the last reversal again
    const last = [...c.refundIds].reverse().map((id) => ctx.state.refunds.get(id)).find((r) => r?.reversal);
    if (!last) return err(409, `capture ${c.id} is ${c.status} and cannot be reversed`);
    return json(await settled(ctx.emitRefundEvent(last, base)));
  }
  let minor = left;
  if (amount !== undefined) {
    const parsed = parseAmount({ currency_code: c.amount.currency_code, value: String(amount) }, '/amount');
    if (!parsed.ok || parsed.minor > left) return err(400, `amount must be a positive value of at most what is left on capture ${c.id}`);
    minor = parsed.minor;
  }
  return json(await settled(applyRefund(ctx, c, minor, base, { reversal: true }).event));
}

function parseRule(body: unknown): FailureRule | string {
  if (!isObject(body)) return 'expected JSON {"fail": "500"|"timeout"|"declined"|"pending"|"422", "issue"?, "times"?, "path"?}';
  const fail = String(body.fail ?? '') as FailKind;
  if (!FAIL_KINDS.includes(fail)) return `fail must be one of ${FAIL_KINDS.join(', ')}`;
  const times = body.times === undefined ? 1 : Number(body.times);
  if (!Number.isInteger(times) || times < 1) return 'times must be a positive integer';
  const rule: FailureRule = { fail, times };
  if (fail === '422') {
    if (!(CAPTURE_ISSUES as readonly unknown[]).includes(body.issue)) return `issue must be one of ${CAPTURE_ISSUES.join(', ')}`;
    rule.issue = body.issue as CaptureIssue;
  }
  if (body.path !== undefined) {
    if (typeof body.path !== 'string' || body.path === '') return 'path must be a non-empty string';
    rule.path = body.path;
  }
  if (body.ms !== undefined) {
    const ms = Number(body.ms);
    if (!Number.isFinite(ms) || ms < 0) return 'ms must be a non-negative number';
    rule.ms = ms;
  }
  if (body.process !== undefined) rule.process = body.process === true;
  return rule;
}

async function changeCapture(ctx: SimContext, req: Request, id: string, to: 'COMPLETED' | 'DECLINED'): Promise<Response> {
  const c = ctx.state.captures.get(id);
  if (!c) return err(404, `unknown capture ${id}`);
  if (c.status !== 'PENDING') return err(409, `capture ${id} is ${c.status}, not PENDING`);
  setCaptureStatus(c, to);
  const base = ctx.base(req);
  const sent = await settled(ctx.emitCaptureEvent(to === 'COMPLETED' ? 'PAYMENT.CAPTURE.COMPLETED' : 'PAYMENT.CAPTURE.DENIED', c, base));
  return json({ capture: renderCapture(c, base, true), ...sent });
}

/** Handles `/_control/...` (path relative to basePath). */
export async function handleControl(ctx: SimContext, req: Request, path: string): Promise<Response> {
  const m = req.method;
  const seg = path.split('/').filter(Boolean).slice(1); // drop "_control"
  const [what, arg] = seg;
  if (m === 'POST' && what === 'approve' && arg) {
    const o = ctx.order(decodeURIComponent(arg));
    if (!o) return err(404, `unknown order ${arg}`);
    const res = ctx.approve(o, ctx.base(req));
    if (!res.ok) return err(409, res.reason);
    return json({ redirect_url: ctx.returnRedirect(o), order_id: o.id, payer_id: o.payer?.payer_id ?? null, status: o.status });
  }
  if (m === 'POST' && what === 'webhook' && !arg) return sendWebhook(ctx, req);
  if (what === 'next' && !arg) {
    if (m === 'GET') return json({ data: ctx.failures });
    if (m === 'POST') {
      const rule = parseRule(await readJson(req));
      if (typeof rule === 'string') return err(400, rule);
      ctx.failures.push(rule);
      return json({ ok: true, pending: ctx.failures });
    }
  }
  if (m === 'GET' && what === 'orders' && !arg) {
    return json({ data: [...ctx.state.orders.values()].map((o) => listOrder(ctx, o, req)) });
  }
  if (m === 'GET' && what === 'orders' && arg) {
    const o = ctx.order(decodeURIComponent(arg));
    return o ? json(listOrder(ctx, o, req)) : err(404, `unknown order ${arg}`);
  }
  if (m === 'GET' && what === 'webhooks' && !arg) return json({ data: ctx.hub.deliveries });
  if (m === 'POST' && what === 'complete-capture' && arg) return changeCapture(ctx, req, decodeURIComponent(arg), 'COMPLETED');
  if (m === 'POST' && what === 'deny-capture' && arg) return changeCapture(ctx, req, decodeURIComponent(arg), 'DECLINED');
  if (m === 'POST' && what === 'expire-tokens' && !arg) {
    const n = ctx.tokens.size;
    ctx.tokens.clear();
    return json({ expired: n });
  }
  if (m === 'POST' && what === 'clock' && !arg) {
    // Moves the simulator's clock forward: unapproved orders expire after 3 h, request ids are kept 6 h.
    const body = await readJson(req);
    const ms = isObject(body) ? Number(body.advance_ms) : Number.NaN;
    if (!Number.isFinite(ms) || ms < 0) return err(400, 'expected JSON {"advance_ms": N} with N >= 0');
    ctx.clockOffsetMs += ms;
    return json({ now: new Date(ctx.now()).toISOString(), offset_ms: ctx.clockOffsetMs });
  }
  if (m === 'POST' && what === 'reset' && !arg) {
    ctx.reset();
    return json({ ok: true });
  }
  return err(404, `no control endpoint ${m} ${path}`);
}
