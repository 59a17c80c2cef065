// Payments v2: show capture, refund capture, show refund.

import type { SimContext } from './context';
import { money, parseAmount, refundedFee } from './money';
import type { Base } from './render';
import { renderCapture, renderRefund } from './render';
import type { CaptureRec, RefundRec } from './state';
import type { EmitResult } from './webhooks';
import { isObject, json, malformedJson, newResourceId, notFound, paypalTime, ppError, readJson, unprocessable } from './util';

const API = 'payments/v2';

export function getCapture(ctx: SimContext, req: Request, id: string): Response {
  const c = ctx.state.captures.get(id);
  if (!c) return notFound(API);
  return json(renderCapture(c, ctx.base(req), true));
}

export function getRefund(ctx: SimContext, req: Request, id: string): Response {
  const r = ctx.state.refunds.get(id);
  if (!r) return notFound(API);
  return json(renderRefund(r, ctx.base(req)));
}

/** Why a capture cannot be refunded now (PayPal's issue and description), or undefined. */
export function refundBlocker(c: CaptureRec): [string, string] | undefined {
  if (c.chargeback) {
    return ['REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK', 'Refunds are not allowed on this capture due to a chargeback on the card or bank. Please contact the payee to resolve the chargeback.'];
  }
  switch (c.status) {
    case 'COMPLETED':
    case 'PARTIALLY_REFUNDED':
      return undefined;
    case 'REFUNDED':
      return ['CAPTURE_FULLY_REFUNDED', 'The capture has already been fully refunded'];
    case 'PENDING':
      return ['PENDING_CAPTURE', 'Cannot initiate a refund as the capture is pending. Capture is typically pending when the payer has funded the transaction using e-check/bank funded.'];
    default:
      return ['REFUND_NOT_ALLOWED', 'Capture cannot be refunded.'];
  }
}

/** Records a refund of `minor` on the capture, updates the capture, sends PAYMENT.CAPTURE.REFUNDED. */
export function applyRefund(
  ctx: SimContext,
  c: CaptureRec,
  minor: bigint,
  base: Base,
  extra: { invoiceId?: string; customId?: string; noteToPayer?: string; reversal?: boolean } = {},
): { refund: RefundRec; event: Promise<EmitResult> } {
  const now = paypalTime();
  c.refundedMinor += minor;
  const r: RefundRec = {
    id: newResourceId(),
    captureId: c.id,
    status: 'COMPLETED',
    amount: money(minor, c.amount.currency_code),
    minor,
    fee: refundedFee(minor),
    totalRefundedMinor: c.refundedMinor,
    createTime: now,
    updateTime: now,
    ...extra,
  };
  ctx.state.refunds.set(r.id, r);
  c.refundIds.push(r.id);
  c.status = c.refundedMinor >= c.minor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  if (extra.reversal) c.chargeback = true;
  c.updateTime = now;
  const o = ctx.order(c.orderId);
  if (o) ctx.touch(o);
  return { refund: r, event: ctx.emitRefundEvent(r, base) };
}

export async function refundCapture(ctx: SimContext, req: Request, id: string): Promise<Response> {
  const c = ctx.state.captures.get(id);
  if (!c) return notFound(API);
  const body = await readJson(req);
  if (body instanceof Error) return malformedJson(API);
  const b = isObject(body) ? body : {};
  const base = ctx.base(req);
  const minimal = /return=minimal/i.test(req.headers.get('prefer') ?? '');
  const render = (r: RefundRec) => (minimal ? { id: r.id, status: r.status, links: renderRefund(r, base).links } : renderRefund(r, base));

  const rid = req.headers.get('paypal-request-id');
  const idemKey = rid ? `refund|${c.id}|${rid}` : undefined;
  const prior = idemKey === undefined ? undefined : ctx.state.refunds.get(ctx.remembered(idemKey)?.resourceId ?? '');
  if (prior) return json(render(prior), 200);

  const blocker = refundBlocker(c);
  if (blocker) return unprocessable(blocker[0], blocker[1], {}, API);

  const remaining = c.minor - c.refundedMinor;
  let minor = remaining;
  if (b.amount !== undefined) {
    const a = parseAmount(b.amount, '/amount');
    if (!a.ok) return a.status === 400 ? ppError(400, 'INVALID_REQUEST', [a.detail], API) : ppError(422, 'UNPROCESSABLE_ENTITY', [a.detail], API);
    if (a.currency !== c.amount.currency_code) {
      return unprocessable('REFUND_CAPTURE_CURRENCY_MISMATCH', 'Refund must be in the same currency as the capture', { field: '/amount/currency_code', value: a.currency, location: 'body' }, API);
    }
    if (a.minor > remaining) {
      return unprocessable('REFUND_AMOUNT_EXCEEDED', 'The refund amount must be less than or equal to the capture amount that has not yet been refunded.', { field: '/amount/value', location: 'body' }, API);
    }
    minor = a.minor;
  }
  const extra: { invoiceId?: string; customId?: string; noteToPayer?: string } = {};
  if (typeof b.invoice_id === 'string') extra.invoiceId = b.invoice_id;
  if (typeof b.custom_id === 'string') extra.customId = b.custom_id;
  if (typeof b.note_to_payer === 'string') extra.noteToPayer = b.note_to_payer;
  const r = applyRefund(ctx, c, minor, base, extra).refund;
  ctx.remember(idemKey, { resourceId: r.id });
  return json(render(r), 201);
}
