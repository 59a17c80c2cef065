import { createHash } from 'node:crypto';
import type { Backend, Stores, Tx } from '../../backend';
import type { Config } from '../../config';
import type { UnitOfWork } from '../../db/unit-of-work';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Lang } from '../../lib/i18n';
import { constantTimeEqual, looksLikeApiKey, randomBase62, randomId } from '../../lib/keys';
import type { Logger } from '../../lib/log';
import { formatPayPalAmount, formatUsd } from '../../lib/money';
import type { AuditLog } from '../admin/audit';
import type { CatalogService } from '../catalog/service';
import type { SiteSettingsService } from '../catalog/site';
import type { Outbox } from '../mail/outbox';
import type { MeteringService } from '../metering/service';
import { createCaptureFlow } from './capture';
import { approveLink, createPayPalClient, PayPalApiError, type CreateOrderBody, type PayPalOrder } from './paypal-client';
import { createReconciler, type ReconcileOptions } from './reconciler';
import { normalizeEmail } from './email';
import { createReceiptResends, RESEND_PER_EMAIL_LIMIT, RESEND_WINDOW_MS } from './resend';
import { createSettlement } from './settle';
import type { OrderRow } from './store';
import { orderView, type OrderView } from './views';
import { createWebhookReceiver, WEBHOOK_FAILURE_LIMIT, WEBHOOK_FAILURE_WINDOW_MS } from './webhooks';

export interface CheckoutDeps {
  config: Config;
  stores: Stores;
  uow: UnitOfWork<Tx>;
  lockout: Backend['lockout'];
  clock: Clock;
  log: Logger;
  catalog: CatalogService;
  metering: MeteringService;
  audit: AuditLog;
  site: SiteSettingsService;
  outbox: Outbox;
}
/** Order lookups and key rotations per client address per window. */
export const LOOKUP_LIMIT = 10;
export const LOOKUP_WINDOW_MS = 10 * 60_000;
/** New orders per client address per window (each one is a PayPal order and a row). */
export const CHECKOUT_LIMIT = 10;
export const CHECKOUT_WINDOW_MS = 10 * 60_000;

export { normalizeEmail } from './email';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A capture or sync that PayPal did not complete, as the 502 the buyer or the operator gets. */
export function captureFailure(error: PayPalApiError) {
  return Err.paymentProviderError(error.transient ? 'PayPal did not answer' : `PayPal answered ${error.status}`);
}

/** Orders, the PayPal client, capture and crediting, webhooks, order lookup. */
export function createCheckoutService(deps: CheckoutDeps) {
  const { config, clock, log, catalog, metering, audit } = deps;
  const store = deps.stores.checkout;
  const now = () => clock.now();
  const client = createPayPalClient(config.paypal);
  const settlement = createSettlement({ stores: deps.stores, uow: deps.uow, metering, audit, clock, log, catalog, outbox: deps.outbox });
  const flow = createCaptureFlow({ store, client, settlement, log });
  const webhooks = createWebhookReceiver({
    config,
    store,
    client,
    flow,
    log,
    now,
    failures: deps.lockout({ name: 'webhook', limit: WEBHOOK_FAILURE_LIMIT, windowMs: WEBHOOK_FAILURE_WINDOW_MS, now }),
  });
  const orderExpiryMs = config.orderExpiryHours * 3_600_000;
  const reconciler = createReconciler({ store, flow, clock, log, orderExpiryMs });
  // Every attempt counts, right or wrong: the email is the guessable part.
  const limiter = deps.lockout({ name: 'order-lookup', limit: LOOKUP_LIMIT, windowMs: LOOKUP_WINDOW_MS, now });
  const creations = deps.lockout({ name: 'checkout', limit: CHECKOUT_LIMIT, windowMs: CHECKOUT_WINDOW_MS, now });
  const perEmail = deps.lockout({ name: 'resend-email', limit: RESEND_PER_EMAIL_LIMIT, windowMs: RESEND_WINDOW_MS, now });
  const resends = createReceiptResends({ store, settlement, outbox: deps.outbox, lookups: limiter, perEmail, clock, log });

  const enabled = () => client.configured();
  const requireEnabled = () => {
    if (!enabled()) throw Err.checkoutDisabled();
  };
  const view = (order: OrderRow, newKey?: string): Promise<OrderView> => orderView(order, { catalog, metering, now: clock.now() }, newKey);

  /** The order behind a return link's view token; 404 alike for a wrong id and a wrong token. */
  async function orderForView(orderId: string, viewToken: string | undefined): Promise<OrderRow> {
    const order = await store.orderById(orderId);
    const matches = constantTimeEqual(sha256(viewToken ?? ''), order?.viewTokenHash ?? sha256(''));
    if (!order || !viewToken || !matches) throw Err.orderNotFound();
    return order;
  }

  /** Our order by our id, PayPal's order id or PayPal's capture id (each is unique to one order). */
  async function findOrder(id: string): Promise<OrderRow | undefined> {
    if (id.startsWith('ord_')) return store.orderById(id);
    const byPayPal = await store.orderByPayPalId(id);
    if (byPayPal) return byPayPal;
    const payment = await store.paymentByCapture(id);
    return payment ? store.orderById(payment.orderId) : undefined;
  }

  /** The key a top-up names: its secret only, and only a key that can still be used once paid. */
  async function keyToTopUp(secret: string | undefined): Promise<string | null> {
    if (secret === undefined || secret.trim() === '') return null;
    const key = looksLikeApiKey(secret.trim(), config.keyPrefix) ? await metering.findKey(secret.trim()) : undefined;
    // Unknown and disabled answer alike: this must not tell anyone without the key whether it exists.
    if (!key || key.status === 'disabled') throw Err.invalidField('key', 'not a key of this gateway that can be topped up (an active, used-up or expired key)');
    return key.id;
  }

  /** The order behind an id and email; every attempt counts against the address's limit. */
  async function orderForBuyer(orderId: string, email: string, ip: string): Promise<OrderRow> {
    const wait = await limiter.retryAfterSeconds(ip);
    if (wait > 0) throw Err.lookupRateLimited(wait);
    await limiter.fail(ip);
    const order = await findOrder(orderId.trim());
    const given = email.trim().toLowerCase();
    const matches = constantTimeEqual(given, order?.email ?? `\u0000${given}`);
    if (!order || !matches) throw Err.orderNotFound();
    return order;
  }

  async function createPayPalOrder(body: CreateOrderBody, requestId: string): Promise<PayPalOrder> {
    try {
      return await client.createOrder(body, requestId);
    } catch (error) {
      // One retry with the same PayPal-Request-Id: if the first call did create it, PayPal says so.
      if (error instanceof PayPalApiError && error.transient) return client.createOrder(body, requestId);
      throw error;
    }
  }

  return {
    enabled,

    /** Our order first, then PayPal's; answers where to send the buyer. At most CHECKOUT_LIMIT per address per window. */
    async createOrder(input: { planId: string; email: string; ip: string; key?: string; lang: Lang }) {
      requireEnabled();
      const wait = await creations.retryAfterSeconds(input.ip);
      if (wait > 0) throw Err.checkoutRateLimited(wait);
      const email = normalizeEmail(input.email);
      if (!email) throw Err.invalidField('email', 'not a valid email address');
      let topupKeyId: string | null;
      try {
        topupKeyId = await keyToTopUp(input.key);
      } catch (error) {
        await creations.fail(input.ip); // a wrong key counts like an order: no cheap probing
        throw error;
      }
      const plan = catalog.plan(input.planId);
      if (!plan || plan.retired) throw Err.invalidField('plan_id', `no plan "${input.planId}" is on sale`);
      let amount: string;
      try {
        amount = formatPayPalAmount(plan.priceNano);
      } catch {
        amount = '';
      }
      if (plan.priceNano <= 0 || amount === '') throw Err.invalidField('plan_id', `plan "${plan.id}" cannot be bought online`);
      await creations.fail(input.ip); // counted once it will reach PayPal

      const orderId = randomId('ord_', 20);
      const viewToken = randomBase62(32);
      const requestId = crypto.randomUUID();
      const now = clock.now();
      await store.insertOrder({
        id: orderId,
        planId: plan.id,
        email,
        amountNano: plan.priceNano,
        currency: 'USD',
        status: 'created',
        paypalRequestId: requestId,
        viewTokenHash: sha256(viewToken),
        lang: input.lang,
        topupKeyId,
        createdAt: now,
        updatedAt: now,
      });
      const returnUrl = `${config.publicUrl}/checkout/return?${new URLSearchParams({ order_id: orderId, view: viewToken })}`;
      const body: CreateOrderBody = {
        intent: 'CAPTURE',
        purchase_units: [
          {
            reference_id: plan.id,
            custom_id: orderId,
            invoice_id: orderId,
            description: `${deps.site.get().siteName} ${plan.name} plan`.slice(0, 127),
            amount: { currency_code: 'USD', value: amount },
          },
        ],
        payment_source: {
          paypal: {
            experience_context: {
              return_url: returnUrl,
              cancel_url: `${config.publicUrl}/pricing?${new URLSearchParams({ cancelled: orderId })}`,
              user_action: 'PAY_NOW',
              shipping_preference: 'NO_SHIPPING',
              brand_name: deps.site.get().siteName.slice(0, 127),
            },
          },
        },
      };
      let paypalOrder: PayPalOrder;
      try {
        paypalOrder = await createPayPalOrder(body, requestId);
      } catch (error) {
        if (!(error instanceof PayPalApiError)) throw error;
        await store.updateOrder(orderId, { status: 'failed', statusReason: `paypal_create_failed: ${error.message}`.slice(0, 300) });
        log.warn('PayPal order creation failed', { order_id: orderId, error: error.message });
        throw Err.paymentProviderError(error.transient ? 'PayPal did not answer' : `PayPal answered ${error.status} ${error.errorName}`);
      }
      const approveUrl = approveLink(paypalOrder);
      if (!approveUrl) {
        await store.updateOrder(orderId, { status: 'failed', statusReason: 'paypal_create_failed: no approval link', paypalOrderId: paypalOrder.id });
        throw Err.paymentProviderError('PayPal gave no approval link');
      }
      await store.updateOrder(orderId, { paypalOrderId: paypalOrder.id, approveUrl });
      log.info('order created', { order_id: orderId, plan_id: plan.id, paypal_order_id: paypalOrder.id, topup: topupKeyId !== null });
      return { order_id: orderId, approve_url: approveUrl, view_token: viewToken, paypal_order_id: paypalOrder.id };
    },

    /**
     * PayPal sent the buyer back: capture, then the order page. A declined payment goes back to
     * PayPal to pay again. Never trusts the link beyond naming the order: PayPal's answer decides.
     */
    async returnFromPayPal(input: { orderId?: string; paypalOrderId?: string; viewToken?: string }): Promise<string> {
      // Our own parameters normally come back with PayPal's; without them, PayPal's token names the order.
      const order = input.orderId ? await store.orderById(input.orderId) : input.paypalOrderId ? await store.orderByPayPalId(input.paypalOrderId) : undefined;
      const orderPage = `/order?${new URLSearchParams({ order_id: input.orderId ?? order?.id ?? '', view: input.viewToken ?? '' })}`;
      if (!enabled() || !order || !input.paypalOrderId || order.paypalOrderId !== input.paypalOrderId) return orderPage;
      const outcome = await flow.capture(order.id);
      if (outcome.kind === 'declined' && outcome.approveUrl) return outcome.approveUrl;
      return orderPage;
    },

    /** The JS-buttons capture; idempotent. Needs the order's view token. */
    async captureForBuyer(orderId: string, viewToken: string | undefined): Promise<OrderView> {
      requireEnabled();
      const order = await orderForView(orderId, viewToken);
      const outcome = await flow.capture(order.id);
      if (outcome.kind === 'error') throw captureFailure(outcome.error);
      return view((await store.orderById(order.id)) ?? order);
    },

    viewOrder: async (orderId: string, viewToken: string | undefined): Promise<OrderView> => view(await orderForView(orderId, viewToken)),

    lookup: async (input: { orderId: string; email: string; ip: string }): Promise<OrderView> => view(await orderForBuyer(input.orderId, input.email, input.ip)),

    /** POST /api/orders/resend: see resend.ts. */
    resendReceipts: (input: { email: string; ip: string }) => resends.request(input),

    /** Marks orders never paid within TOLLGATE_ORDER_EXPIRY_HOURS `expired` (also done by each reconciler pass). */
    expireOrders: (): Promise<number> => reconciler.expireNow(),

    /** A new secret for the order's key: same budget and history; the old secret stops working. The audit row commits with it. */
    async rotateKey(input: { orderId: string; email: string; ip: string }): Promise<OrderView> {
      const order = await orderForBuyer(input.orderId, input.email, input.ip);
      const keyId = order.keyId;
      if (order.status !== 'paid' || !keyId) throw Err.orderNotPaid(order.status);
      const key = await deps.uow.run(async (tx) => {
        const before = await metering.keyById(keyId, tx);
        const rotated = await metering.rotateSecret(keyId, tx);
        await audit.record(
          {
            actor: 'buyer',
            action: 'key.rotate',
            target: rotated.row.id,
            ip: input.ip,
            before: { key_hint: before?.keyHint ?? null },
            after: { key_hint: rotated.row.keyHint, order_id: order.id },
          },
          tx,
        );
        return rotated.key;
      });
      return view(order, key);
    },

    /** POST /api/paypal/webhook with the raw body. */
    receiveWebhook(raw: string, headers: Headers, ip: string) {
      requireEnabled();
      return webhooks.receive(raw, headers, ip);
    },

    /** One reconciler pass now (tests pass minAgeMs: 0, and backoff: false to ask about every waiting order). */
    reconcileNow: (opts: ReconcileOptions = {}) => reconciler.reconcileNow(opts),

    /** Re-checks one order at PayPal now and applies what it says (captures, refunds, reversal): for the admin console. */
    syncOrder: (orderId: string) => {
      requireEnabled();
      return flow.sync(orderId);
    },

    /**
     * The operator refunded in PayPal's dashboard and records it here: the same path as PayPal's
     * refund webhook (key budget lowered by the refund, a full refund disables the key and marks
     * the order refunded), without calling PayPal. A later webhook for the same refund changes nothing.
     */
    async refundManually(orderId: string, amountNano?: number) {
      const { result, refundedNano } = await settlement.applyManualRefund(orderId, amountNano);
      const order = await store.orderById(orderId);
      if (!order) throw Err.orderNotFound();
      return { order, result, refundedNano };
    },

    orderById: (orderId: string) => store.orderById(orderId),
    paymentsOf: (orderId: string) => store.paymentsOfOrder(orderId),

    /** Resolves when webhook work started before this call has finished. */
    settled: () => webhooks.settled(),
    /** Forgets every per-address count (lookups, new orders, unverified webhooks): tests. */
    resetLookupLimits: async (): Promise<void> => {
      await Promise.all([limiter.clear(), creations.clear(), resends.clear(), webhooks.resetLimits()]);
    },

    /** Starts background work (the reconciler). */
    start(intervalMs?: number): void {
      reconciler.expireNow().catch((error: unknown) => log.warn('expiring unpaid orders failed', { error: String(error) }));
      if (enabled()) reconciler.start(intervalMs);
    },
    /** Stops background work; called on shutdown. */
    stop(): void {
      reconciler.stop();
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
