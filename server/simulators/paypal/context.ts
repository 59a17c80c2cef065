// The simulator's shared context: configuration, state, tokens, injected failures,
// webhooks, and the state transitions several routes share (approve, events).

import { formatMinor } from './money';
import { renderCapture, renderOrder, renderRefund, type Base } from './render';
import { IDEMPOTENCY_TTL_MS, SimState, UNAPPROVED_ORDER_TTL_MS, type CaptureRec, type IdempotentResult, type OrderRec, type RefundRec } from './state';
import { newPayerId, paypalTime } from './util';
import { WebhookHub, type EmitResult } from './webhooks';

export type FailKind = '500' | 'timeout' | 'declined' | 'pending' | '422';

/** The capture 422s that `/_control/next` can inject (`{"fail": "422", "issue": …}`; "declined" = INSTRUMENT_DECLINED). */
export const CAPTURE_ISSUES = [
  'INSTRUMENT_DECLINED',
  'REDIRECT_PAYER_FOR_ALTERNATE_FUNDING',
  'PAYER_ACTION_REQUIRED',
  'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED',
  'ORDER_COMPLETION_IN_PROGRESS',
] as const;
export type CaptureIssue = (typeof CAPTURE_ISSUES)[number];

export interface FailureRule {
  fail: FailKind;
  times: number;
  /** fail "422" only: which of CAPTURE_ISSUES */
  issue?: CaptureIssue;
  path?: string;
  /** timeout only: how long to hold the request (default 30 s). */
  ms?: number;
  /** timeout only: process the call first, then withhold the answer (a lost response). */
  process?: boolean;
}

export interface SimConfig {
  clientId: string;
  clientSecret: string;
  webhookId: string;
  basePath: string;
  publicUrl?: string;
  webhookUrl?: string;
}

export const TOKEN_TTL_S = 32_400;
export const APP_ID = 'APP-80W284485P519543T';

export class SimContext {
  readonly state = new SimState();
  /** access token -> expiry (ms since epoch). */
  readonly tokens = new Map<string, number>();
  failures: FailureRule[] = [];
  /** How far the simulator's clock runs ahead of the real one (`/_control/clock`). */
  clockOffsetMs = 0;
  readonly hub: WebhookHub;
  /** Requests held by an injected timeout; released on reset/close. */
  readonly held = new Set<() => void>();

  constructor(readonly cfg: SimConfig) {
    this.hub = new WebhookHub({ webhookUrl: () => this.cfg.webhookUrl, webhookId: () => this.cfg.webhookId });
  }

  /** Base of every link: `publicUrl + basePath`, else the request's own origin + basePath. */
  base(req: Request): Base {
    const bp = this.cfg.basePath;
    let origin = this.cfg.publicUrl ?? new URL(req.url).origin;
    origin = origin.replace(/\/+$/, '');
    if (bp !== '' && origin.endsWith(bp)) origin = origin.slice(0, -bp.length);
    return { api: origin + bp };
  }

  /** The simulator's clock (ms): real time plus what `/_control/clock` advanced it by. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** An order by id; one nobody approved within 3 hours has expired and is gone, as at PayPal. */
  order(id: string): OrderRec | undefined {
    const o = this.state.orders.get(id);
    if (!o) return undefined;
    const unapproved = o.status === 'CREATED' || o.status === 'PAYER_ACTION_REQUIRED';
    if (unapproved && this.now() - o.createdMs >= UNAPPROVED_ORDER_TTL_MS) {
      this.state.orders.delete(id);
      return undefined;
    }
    return o;
  }

  /** What an earlier request with this PayPal-Request-Id answered, while PayPal still keeps it (6 hours). */
  remembered(key: string): IdempotentResult | undefined {
    const rec = this.state.idempotency.get(key);
    if (rec && this.now() - rec.at >= IDEMPOTENCY_TTL_MS) {
      this.state.idempotency.delete(key);
      return undefined;
    }
    return rec;
  }

  remember(key: string | undefined, result: Omit<IdempotentResult, 'at'>): void {
    if (key !== undefined) this.state.idempotency.set(key, { ...result, at: this.now() });
  }

  releaseHeld(): void {
    for (const release of [...this.held]) release();
    this.held.clear();
  }

  reset(): void {
    this.state.clear();
    this.failures = [];
    this.clockOffsetMs = 0;
    this.hub.reset();
    this.releaseHeld();
  }

  /** Takes the first matching injected failure of one of `kinds` for this path, if any. */
  takeFailure(path: string, kinds: FailKind[], isTokenCall = false): FailureRule | undefined {
    const i = this.failures.findIndex((r) => {
      if (!kinds.includes(r.fail)) return false;
      if (r.path !== undefined) return path.includes(r.path);
      return !isTokenCall; // without a path, token calls are left alone
    });
    if (i < 0) return undefined;
    const rule = this.failures[i];
    if (!rule) return undefined;
    rule.times -= 1;
    if (rule.times <= 0) this.failures.splice(i, 1);
    return rule;
  }

  touch(o: OrderRec): void {
    o.updateTime = paypalTime();
  }

  /** Buyer approval (the Pay button): APPROVED with a payer, CHECKOUT.ORDER.APPROVED sent. */
  approve(o: OrderRec, base: Base): { ok: true; changed: boolean; event?: Promise<EmitResult> } | { ok: false; reason: string } {
    if (o.status === 'APPROVED') return { ok: true, changed: false };
    if (o.status !== 'CREATED' && o.status !== 'PAYER_ACTION_REQUIRED') {
      return { ok: false, reason: `order ${o.id} is ${o.status} and cannot be approved` };
    }
    o.status = 'APPROVED';
    o.payer = {
      payer_id: newPayerId(),
      email_address: 'sb-buyer@personal.example.com',
      name: { given_name: 'Sim', surname: 'Buyer' },
      address: { country_code: 'US' },
    };
    this.touch(o);
    return { ok: true, changed: true, event: this.emitOrderEvent('CHECKOUT.ORDER.APPROVED', o, base) };
  }

  /** `return_url?token=ORDER_ID&PayerID=PAYER_ID` for an approved order (null without return_url). */
  returnRedirect(o: OrderRec): string | null {
    if (!o.returnUrl || !o.payer) return null;
    const u = new URL(o.returnUrl);
    u.searchParams.set('token', o.id);
    u.searchParams.set('PayerID', o.payer.payer_id);
    return u.toString();
  }

  cancelRedirect(o: OrderRec): string | null {
    if (!o.cancelUrl) return null;
    const u = new URL(o.cancelUrl);
    u.searchParams.set('token', o.id);
    return u.toString();
  }

  emitOrderEvent(type: string, o: OrderRec, base: Base): Promise<EmitResult> {
    const summary = type === 'CHECKOUT.ORDER.APPROVED' ? 'An order has been approved by buyer' : `Checkout order ${type.split('.').pop()?.toLowerCase()}`;
    return this.quiet(this.hub.emit(type, 'checkout-order', renderOrder(o, this.state, base), summary, base));
  }

  emitCaptureEvent(type: string, c: CaptureRec, base: Base): Promise<EmitResult> {
    const amt = `${formatMinor(c.minor, c.amount.currency_code)} ${c.amount.currency_code}`;
    const what = type.split('.').pop() ?? '';
    const summary =
      what === 'COMPLETED' ? `Payment completed for ${amt}`
      : what === 'PENDING' ? `Payment pending for ${amt}`
      : `A ${amt} capture payment was ${what.toLowerCase()}`;
    return this.quiet(this.hub.emit(type, 'capture', renderCapture(c, base, true), summary, base));
  }

  /** PAYMENT.CAPTURE.REFUNDED, or PAYMENT.CAPTURE.REVERSED for a chargeback: either way the resource is the refund. */
  emitRefundEvent(r: RefundRec, base: Base): Promise<EmitResult> {
    const amt = `${r.amount.value} ${r.amount.currency_code}`;
    const [type, summary] = r.reversal
      ? ['PAYMENT.CAPTURE.REVERSED', `A ${amt} capture payment was reversed`]
      : ['PAYMENT.CAPTURE.REFUNDED', `A ${amt} capture payment was refunded`];
    return this.quiet(this.hub.emit(type, 'refund', renderRefund(r, base), summary, base));
  }

  /** Fire-and-forget callers must not see unhandled rejections. */
  private quiet(p: Promise<EmitResult>): Promise<EmitResult> {
    p.catch((e: unknown) => console.error('[paypal-sim] webhook emit failed:', e));
    return p;
  }
}
