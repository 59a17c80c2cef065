// The simulator's shared context: configuration, state, tokens, injected failures,
// webhooks, and the state transitions several routes share (approve, events).

import { formatMinor } from './money';
import { renderCapture, renderOrder, renderRefund, type Base } from './render';
import { SimState, type CaptureRec, type OrderRec, type RefundRec } from './state';
import { newPayerId, paypalTime } from './util';
import { WebhookHub, type EmitResult } from './webhooks';

export type FailKind = '500' | 'timeout' | 'declined' | 'pending';

export interface FailureRule {
  fail: FailKind;
  times: number;
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

  releaseHeld(): void {
    for (const release of [...this.held]) release();
    this.held.clear();
  }

  reset(): void {
    this.state.clear();
    this.failures = [];
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

  emitRefundEvent(r: RefundRec, base: Base): Promise<EmitResult> {
    const amt = `${r.amount.value} ${r.amount.currency_code}`;
    return this.quiet(this.hub.emit('PAYMENT.CAPTURE.REFUNDED', 'refund', renderRefund(r, base), `A ${amt} capture payment was refunded`, base));
  }

  /** Fire-and-forget callers must not see unhandled rejections. */
  private quiet(p: Promise<EmitResult>): Promise<EmitResult> {
    p.catch((e: unknown) => console.error('[paypal-sim] webhook emit failed:', e));
    return p;
  }
}
