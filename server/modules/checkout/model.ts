import type { TSchema } from '@sinclair/typebox';
import { t } from 'elysia';

const Usd = t.String({ pattern: '^-?\\d+\\.\\d{9}$', examples: ['4.250000000'] });
const OrderId = t.String({ minLength: 1, maxLength: 64, examples: ['ord_3kT9xQ2mVb7LpZ4nR8sW'] });
const Email = t.String({ minLength: 3, maxLength: 254, examples: ['buyer@example.com'] });
const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()]);

export const CheckoutBody = t.Object({
  plan_id: t.String({ minLength: 1, maxLength: 64, examples: ['starter'] }),
  email: Email,
  key: t.Optional(
    t.String({
      maxLength: 200,
      description:
        "An existing key to top up (active, used up or expired; not disabled): once paid, the plan's budget is added to it, its expiry is extended by the plan's validity from the later of now and its current expiry, and it moves to the plan if that plan has more models. The key string does not change.",
      examples: ['sk-gateway-…'],
    }),
  ),
});

export const CheckoutCreated = t.Object({
  order_id: t.String(),
  approve_url: t.String({ description: "PayPal's approval page: send the buyer there" }),
  view_token: t.String({ description: 'lets this browser show the order (GET /api/orders/{order_id}?view=…) without the email' }),
  paypal_order_id: t.String({ description: 'for the PayPal JS buttons (createOrder resolves to it)' }),
});

export const ReturnQuery = t.Object({
  token: t.Optional(t.String({ description: "PayPal's order id" })),
  PayerID: t.Optional(t.String()),
  order_id: t.Optional(t.String()),
  view: t.Optional(t.String()),
});

export const ViewQuery = t.Object({ view: t.Optional(t.String({ description: 'the view token from the return link or POST /api/checkout' })) });
export const OrderParams = t.Object({ order_id: OrderId });
export const BuyerBody = t.Object({
  order_id: t.String({ minLength: 1, maxLength: 64, description: "ours (ord_…), PayPal's order id or PayPal's capture id", examples: ['ord_3kT9xQ2mVb7LpZ4nR8sW', '5O190127TN364715T'] }),
  email: Email,
});
export const ResendBody = t.Object({ email: Email });
export const ResendAccepted = t.Object({ accepted: t.Literal(true) });

export const OrderView = t.Object({
  order_id: t.String(),
  status: t.Union([
    t.Literal('created'),
    t.Literal('approved'),
    t.Literal('pending'),
    t.Literal('paid'),
    t.Literal('failed'),
    t.Literal('cancelled'),
    t.Literal('refunded'),
    t.Literal('reversed'),
    t.Literal('expired'),
  ]),
  status_reason: Nullable(t.String()),
  plan_id: t.String(),
  plan_name: t.String(),
  topup: t.Boolean({ description: 'the order tops up an existing key instead of issuing a new one' }),
  paypal_order_id: Nullable(t.String({ description: "PayPal's order id, as in PayPal's receipt" })),
  email: t.String({ description: 'masked: j***@example.com' }),
  amount_usd: Usd,
  currency: t.String(),
  created_at: t.String({ format: 'date-time' }),
  paid_at: Nullable(t.String({ format: 'date-time' })),
  approve_url: Nullable(t.String({ description: 'while the buyer still has to pay (also after a declined payment)' })),
  key: Nullable(t.String({ description: 'the API key, only while the order is paid' })),
  key_hint: Nullable(t.String()),
  key_status: Nullable(t.String()),
  budget_usd: Usd,
  remaining_usd: Nullable(Usd),
  expires_at: Nullable(t.String({ format: 'date-time' })),
});

export const WebhookAck = t.Object({ received: t.Boolean(), duplicate: t.Boolean() });
