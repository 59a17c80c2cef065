import { Elysia } from 'elysia';
import { Err } from '../../errors';
import { formatUsd } from '../../lib/money';
import { captureFailure } from '../checkout/service';
import { detail, pageOf, usdField, type AdminContext } from './context';
import { IdParams, OrderDetail, OrderList, OrdersQuery, OrderView, RefundBody } from './model';
import { iso, orderAdminView } from './views';


export function orderRoutes(ctx: AdminContext) {
  const { deps, store } = ctx;
  const { checkout, metering } = deps;
  const view = (order: Parameters<typeof orderAdminView>[0]) => orderAdminView(order, metering);
  const orderOr404 = async (id: string) => {
    const order = await checkout.orderById(id);
    if (!order) throw Err.adminNotFound('order', id);
    return order;
  };

  return new Elysia({ name: 'admin-orders', prefix: '/admin/api' })
    .get(
      '/orders',
      async ({ query }) => {
        const { rows, total } = await store.orders({ q: query.q?.trim(), status: query.status }, pageOf(query));
        return { data: await Promise.all(rows.map(view)), total };
      },
      { query: OrdersQuery, response: OrderList, detail: detail('Orders, searched by order id, email or PayPal ids') },
    )
    .get(
      '/orders/:id',
      async ({ params }) => {
        const order = await orderOr404(params.id);
        return {
          ...(await view(order)),
          payments: (await checkout.paymentsOf(order.id)).map((p) => ({
            paypal_capture_id: p.paypalCaptureId,
            status: p.status,
            amount_usd: formatUsd(p.amountNano),
            refunded_usd: formatUsd(p.refundedNano),
            created_at: iso(p.createdAt),
          })),
          webhook_events: (await store.webhookEventsOf(order.id)).map((e) => ({
            id: e.id,
            event_type: e.eventType,
            verified: e.verified,
            result: e.result,
            received_at: iso(e.receivedAt),
            processed_at: iso(e.processedAt),
          })),
        };
      },
      { params: IdParams, response: OrderDetail, detail: detail('One order with its payments and webhook events') },
    )
    .post(
      '/orders/:id/refund',
      async ({ params, body, request, server }) => {
        const before = await orderOr404(params.id);
        const amount = body.amount_usd === undefined ? undefined : usdField('amount_usd', body.amount_usd);
        const keyBefore = before.keyId ? await metering.keyById(before.keyId) : undefined;
        const { order, result, refundedNano } = await checkout.refundManually(before.id, amount);
        const keyAfter = order.keyId ? await metering.keyById(order.keyId) : undefined;
        await ctx.audit(
          { request, server },
          'order.refund',
          order.id,
          { status: before.status, key_status: keyBefore?.status ?? null, budget_usd: keyBefore ? formatUsd(keyBefore.budgetNano) : null },
          {
            status: order.status,
            key_status: keyAfter?.status ?? null,
            budget_usd: keyAfter ? formatUsd(keyAfter.budgetNano) : null,
            refunded_usd: formatUsd(refundedNano),
            result,
            reason: body.reason ?? null,
          },
        );
        return view(order);
      },
      {
        params: IdParams,
        body: RefundBody,
        response: OrderView,
        detail: detail('Records a refund made in PayPal', 'The same effect as PayPal\'s refund webhook; PayPal is not called.'),
      },
    )
    .post(
      '/orders/:id/sync',
      async ({ params, request, server }) => {
        const before = await orderOr404(params.id);
        const outcome = await checkout.syncOrder(before.id);
        const order = await orderOr404(before.id);
        if (outcome.kind === 'error') throw captureFailure(outcome.error);
        await ctx.audit({ request, server }, 'order.sync', order.id, { status: before.status }, { status: order.status, outcome: outcome.kind });
        return view(order);
      },
      { params: IdParams, response: OrderView, detail: detail('Re-checks the order at PayPal now') },
    );
}
