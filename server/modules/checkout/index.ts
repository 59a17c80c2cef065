import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { readBodyBytes } from '../../lib/json-body';
import { langFromAcceptLanguage, requestLang } from '../../lib/i18n';
import { planNameIn } from '../catalog/views';
import type { OrderView as OrderAnswer } from './views';
import { clientAddress, type ServerLike } from '../../plugins/auth';
import { BuyerBody, CheckoutBody, CheckoutCreated, OrderParams, OrderView, ResendAccepted, ResendBody, ReturnQuery, ViewQuery, WebhookAck } from './model';

const CHECKOUT = ['Checkout'];

/** Routes that read their body themselves, byte for byte (PayPal signs the raw body). */
export const RAW_BODY_PATHS = ['/api/paypal/webhook'];

export const checkoutModule = (deps: Deps) => {
  /** The order as the buyer reads it: the plan's display name in the visitor's language. */
  const forBuyer = (request: Request) => async (pending: OrderAnswer | Promise<OrderAnswer>) => {
    const view = await pending;
    return { ...view, plan_name: planNameIn(deps.catalog.plan(view.plan_id), view.plan_id, requestLang(request)) };
  };
  const { checkout } = deps;
  const clientIp = (server: ServerLike | null, request: Request) => clientAddress(server, request, deps.config.trustedProxies);

  return new Elysia({ name: 'checkout' })
    .post(
      '/api/checkout',
      ({ body, request, server }) =>
        checkout.createOrder({
          planId: body.plan_id,
          email: body.email,
          key: body.key,
          ip: clientIp(server, request),
          // the receipt and the key's mails are written in the language the buyer ordered in
          lang: langFromAcceptLanguage(request.headers.get('accept-language')),
        }),
      {
        body: CheckoutBody,
        parse: 'json',
        response: CheckoutCreated,
        detail: {
          tags: CHECKOUT,
          summary: 'Start buying a plan (or a top-up of an existing key): creates the order and answers where to pay',
          description:
            "Send the buyer to `approve_url`. With `key`, paying tops that key up instead of issuing a new one: the plan's budget is added, the expiry is extended by the plan's validity from the later of now and the current expiry, the key moves to the plan if it has more models (never fewer), and the key string stays; 400 `invalid_request_error` (param `key`) for a key that is unknown or disabled, alike. The order's language (for its mails) is the request's Accept-Language (`zh…` → Chinese, else English). Without PayPal credentials the gateway answers 503 `checkout_disabled`; a PayPal failure is 502 `payment_provider_error`. At most 10 new orders (and wrong keys) per address per 10 minutes (429 `rate_limit_exceeded` with Retry-After).",
        },
      },
    )
    .get(
      '/checkout/return',
      async ({ query }) => {
        const location = await checkout.returnFromPayPal({ orderId: query.order_id, paypalOrderId: query.token, viewToken: query.view });
        return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
      },
      {
        query: ReturnQuery,
        detail: {
          tags: CHECKOUT,
          summary: 'Where PayPal sends the buyer back: captures, then 303 to the order page',
          description: 'A declined payment is sent back to PayPal to pay again; anything else lands on `/order?order_id=…&view=…`.',
        },
      },
    )
    .post('/api/checkout/:order_id/capture', ({ params, query, request }) => forBuyer(request)(checkout.captureForBuyer(params.order_id, query.view)), {
      params: OrderParams,
      query: ViewQuery,
      response: OrderView,
      detail: {
        tags: CHECKOUT,
        summary: 'Capture an approved order (PayPal JS buttons flow); idempotent',
        description:
          'Needs the `view` token from POST /api/checkout. When PayPal sends the buyer back (a declined card, another funding source, an action at PayPal) the order is `created` again with `status_reason` `instrument_declined`, `alternate_funding_required` or `payer_action_required`: restart the buttons. `failed` with `payment_attempts_exceeded`: start a new order. `approved` with `completion_in_progress`: PayPal is finishing it; poll the order.',
      },
    })
    .post(
      '/api/paypal/webhook',
      async ({ request, server }) =>
        checkout.receiveWebhook(new TextDecoder().decode(await readBodyBytes(request, deps.config.maxBodyBytes)), request.headers, clientIp(server, request)),
      {
        parse: 'none',
        response: WebhookAck,
        detail: {
          tags: CHECKOUT,
          summary: 'PayPal webhooks',
          description:
            'Every event is verified with PayPal against PAYPAL_WEBHOOK_ID (400 `webhook_signature_invalid` when it fails; after 10 such failures from one address in 10 minutes, 429 with Retry-After). Each event id is handled once; the event only says what to ask PayPal about.',
        },
      },
    )
    .get('/api/orders/:order_id', ({ params, query, request }) => forBuyer(request)(checkout.viewOrder(params.order_id, query.view)), {
      params: OrderParams,
      query: ViewQuery,
      response: OrderView,
      detail: { tags: CHECKOUT, summary: 'The order page after PayPal: the order, and its key once paid' },
    })
    .post('/api/orders/lookup', ({ body, request, server }) => forBuyer(request)(checkout.lookup({ orderId: body.order_id, email: body.email, ip: clientIp(server, request) })), {
      body: BuyerBody,
      parse: 'json',
      response: OrderView,
      detail: {
        tags: CHECKOUT,
        summary: 'Find an order again by its id and email; shows the key once paid',
        description:
          "`order_id` may be ours (`ord_…`), PayPal's order id (in PayPal's receipt) or PayPal's capture id (the transaction id). The same 404 `order_not_found` for a wrong id and a wrong email. At most 10 lookups, rotations and resends per address per 10 minutes (429 with Retry-After).",
      },
    })
    .post(
      '/api/orders/resend',
      async ({ body, request, server, set }) => {
        const answer = await checkout.resendReceipts({ email: body.email, ip: clientIp(server, request) });
        set.status = 202;
        return answer;
      },
      {
        body: ResendBody,
        parse: 'json',
        response: { 202: ResendAccepted },
        detail: {
          tags: CHECKOUT,
          summary: "Mail the receipts of an address's paid orders again",
          description:
            'Answers 202 `{"accepted": true}` whether or not the address bought anything (the mails are queued after the answer); each paid order of that address (the newest 20) gets its receipt again, with its key. Counts against the per-address limit of lookups, and at most 3 per email address per hour (429 with Retry-After). 503 `mail_disabled` when the gateway has no SMTP configured.',
        },
      },
    )
    .post('/api/orders/rotate-key', ({ body, request, server }) => forBuyer(request)(checkout.rotateKey({ orderId: body.order_id, email: body.email, ip: clientIp(server, request) })), {
      body: BuyerBody,
      parse: 'json',
      response: OrderView,
      detail: {
        tags: CHECKOUT,
        summary: "Replace a paid order's key: same budget, the old key stops working",
        description: 'Counts against the same limit as lookups. 409 `order_not_paid` when the order has no active key.',
      },
    });
};
