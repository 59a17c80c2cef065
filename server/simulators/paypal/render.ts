// PayPal-shaped representations of the simulator's records (orders v2, payments v2).

import { money } from './money';
import type { CaptureRec, OrderRec, RefundRec, SimState } from './state';

export interface Link {
  href: string;
  rel: string;
  method: string;
}

/** Where the simulator lives: API and approval page share one base (`publicUrl + basePath`). */
export interface Base {
  api: string;
}

/** The simulated merchant; merchant ids follow PayPal's `^[2-9A-HJ-NP-Z]{13}$`. */
export const PAYEE = { email_address: 'merchant@tollgate-sim.example.com', merchant_id: 'TGSMERCHANT23' };

export function approveHref(base: Base, orderId: string): string {
  return `${base.api}/checkoutnow?token=${encodeURIComponent(orderId)}`;
}

export function orderLinks(o: OrderRec, base: Base): Link[] {
  const self = `${base.api}/v2/checkout/orders/${o.id}`;
  const links: Link[] = [{ href: self, rel: 'self', method: 'GET' }];
  if (o.status === 'CREATED' || o.status === 'PAYER_ACTION_REQUIRED') {
    links.push({ href: approveHref(base, o.id), rel: o.linkRel, method: 'GET' });
    if (o.status === 'CREATED') links.push({ href: `${self}/capture`, rel: 'capture', method: 'POST' });
  } else if (o.status === 'APPROVED') {
    links.push({ href: `${self}/capture`, rel: 'capture', method: 'POST' });
  }
  return links;
}

export function captureLinks(c: CaptureRec, base: Base): Link[] {
  const self = `${base.api}/v2/payments/captures/${c.id}`;
  const links: Link[] = [{ href: self, rel: 'self', method: 'GET' }];
  if (c.status === 'COMPLETED' || c.status === 'PARTIALLY_REFUNDED') {
    links.push({ href: `${self}/refund`, rel: 'refund', method: 'POST' });
  }
  links.push({ href: `${base.api}/v2/checkout/orders/${c.orderId}`, rel: 'up', method: 'GET' });
  return links;
}

export function renderCapture(c: CaptureRec, base: Base, withRelated = false): Record<string, unknown> {
  const cur = c.amount.currency_code;
  const out: Record<string, unknown> = {
    id: c.id,
    status: c.status,
  };
  if (c.statusReason) out.status_details = { reason: c.statusReason };
  out.amount = { ...c.amount };
  out.final_capture = true;
  out.disbursement_mode = 'INSTANT';
  out.seller_protection = { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] };
  // PayPal settles (and so breaks down) only money it received: not for a pending or failed capture.
  if (c.status !== 'DECLINED' && c.status !== 'FAILED' && c.status !== 'PENDING') {
    out.seller_receivable_breakdown = {
      gross_amount: money(c.minor, cur),
      paypal_fee: money(c.fee, cur),
      net_amount: money(c.minor - c.fee, cur),
    };
  }
  if (c.invoiceId !== undefined) out.invoice_id = c.invoiceId;
  if (c.customId !== undefined) out.custom_id = c.customId;
  if (withRelated) out.supplementary_data = { related_ids: { order_id: c.orderId } };
  out.links = captureLinks(c, base);
  out.create_time = c.createTime;
  out.update_time = c.updateTime;
  return out;
}

export function renderRefund(r: RefundRec, base: Base): Record<string, unknown> {
  const cur = r.amount.currency_code;
  const out: Record<string, unknown> = {
    id: r.id,
    status: r.status,
    amount: { ...r.amount },
    seller_payable_breakdown: {
      gross_amount: money(r.minor, cur),
      paypal_fee: money(r.fee, cur),
      net_amount: money(r.minor - r.fee, cur),
      total_refunded_amount: money(r.totalRefundedMinor, cur),
    },
  };
  if (r.invoiceId !== undefined) out.invoice_id = r.invoiceId;
  if (r.customId !== undefined) out.custom_id = r.customId;
  if (r.noteToPayer !== undefined) out.note_to_payer = r.noteToPayer;
  out.links = [
    { href: `${base.api}/v2/payments/refunds/${r.id}`, rel: 'self', method: 'GET' },
    { href: `${base.api}/v2/payments/captures/${r.captureId}`, rel: 'up', method: 'GET' },
  ];
  out.create_time = r.createTime;
  out.update_time = r.updateTime;
  return out;
}

function paymentSource(o: OrderRec): Record<string, unknown> | undefined {
  if (o.payer) {
    const p = o.payer;
    return {
      paypal: {
        email_address: p.email_address,
        account_id: p.payer_id,
        account_status: 'VERIFIED',
        name: { ...p.name },
        address: { ...p.address },
      },
    };
  }
  return o.usesPaymentSource ? { paypal: {} } : undefined;
}

function renderPayer(o: OrderRec): Record<string, unknown> | undefined {
  if (!o.payer) return undefined;
  const p = o.payer;
  return { name: { ...p.name }, email_address: p.email_address, payer_id: p.payer_id, address: { ...p.address } };
}

function payments(o: OrderRec, state: SimState, base: Base): Record<string, unknown> | undefined {
  if (o.captureIds.length === 0) return undefined;
  const captures = o.captureIds.flatMap((id) => {
    const c = state.captures.get(id);
    return c ? [renderCapture(c, base)] : [];
  });
  const refunds = o.captureIds.flatMap((id) =>
    (state.captures.get(id)?.refundIds ?? []).flatMap((rid) => {
      const r = state.refunds.get(rid);
      return r ? [renderRefund(r, base)] : [];
    }),
  );
  return refunds.length > 0 ? { captures, refunds } : { captures };
}

export type OrderView = 'full' | 'create-minimal' | 'capture-minimal';

/** An order as PayPal shows it. `create-minimal` / `capture-minimal` are the `Prefer: return=minimal` answers. */
export function renderOrder(o: OrderRec, state: SimState, base: Base, view: OrderView = 'full'): Record<string, unknown> {
  const out: Record<string, unknown> = { id: o.id };
  const src = paymentSource(o);
  if (view === 'create-minimal') {
    out.status = o.status;
    if (src) out.payment_source = src;
    out.links = orderLinks(o, base);
    return out;
  }
  if (view === 'capture-minimal') {
    out.status = o.status;
    if (src) out.payment_source = src;
    out.purchase_units = [{ reference_id: o.referenceId, payments: payments(o, state, base) ?? { captures: [] } }];
    const payer = renderPayer(o);
    if (payer) out.payer = payer;
    out.links = orderLinks(o, base);
    return out;
  }
  out.intent = o.intent;
  out.status = o.status;
  if (src) out.payment_source = src;
  const pu: Record<string, unknown> = {
    reference_id: o.referenceId,
    amount: { ...o.amount },
    payee: { ...PAYEE },
  };
  if (o.description !== undefined) pu.description = o.description;
  if (o.customId !== undefined) pu.custom_id = o.customId;
  if (o.invoiceId !== undefined) pu.invoice_id = o.invoiceId;
  if (o.softDescriptor !== undefined) pu.soft_descriptor = o.softDescriptor;
  const pay = payments(o, state, base);
  if (pay) pu.payments = pay;
  out.purchase_units = [pu];
  const payer = renderPayer(o);
  if (payer) out.payer = payer;
  out.create_time = o.createTime;
  out.update_time = o.updateTime;
  out.links = orderLinks(o, base);
  return out;
}
