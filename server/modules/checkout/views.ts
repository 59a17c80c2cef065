import type { OrderStatus } from '../../db/schema';
import { formatUsd } from '../../lib/money';
import type { CatalogService } from '../catalog/service';
import type { MeteringService } from '../metering/service';
import type { OrderRow } from './store';

// What a buyer sees of an order (order page, lookup, rotate-key, JS capture).

export interface OrderView {
  order_id: string;
  status: OrderStatus;
  status_reason: string | null;
  plan_id: string;
  plan_name: string;
  topup: boolean;
  paypal_order_id: string | null;
  email: string;
  amount_usd: string;
  currency: string;
  created_at: string;
  paid_at: string | null;
  /** where to pay, while the buyer still has to */
  approve_url: string | null;
  /** the key itself, only while the order is paid */
  key: string | null;
  key_hint: string | null;
  key_status: string | null;
  budget_usd: string;
  remaining_usd: string | null;
  expires_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** "jane.doe@example.com" → "j***@example.com" */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

export async function orderView(order: OrderRow, deps: { catalog: CatalogService; metering: MeteringService; now: number }, keyOverride?: string): Promise<OrderView> {
  const plan = deps.catalog.plan(order.planId);
  const key = order.keyId ? await deps.metering.keyById(order.keyId) : undefined;
  const reveal = key !== undefined && order.status === 'paid';
  const expired = key?.expiresAt != null && key.expiresAt <= deps.now;
  return {
    order_id: order.id,
    status: order.status,
    status_reason: order.statusReason,
    plan_id: order.planId,
    plan_name: plan?.name ?? order.planId,
    topup: order.topupKeyId !== null,
    paypal_order_id: order.paypalOrderId,
    email: maskEmail(order.email),
    amount_usd: formatUsd(order.amountNano),
    currency: order.currency,
    created_at: iso(order.createdAt) ?? '',
    paid_at: iso(order.paidAt),
    approve_url: order.status === 'created' ? order.approveUrl : null,
    key: reveal ? (keyOverride ?? deps.metering.revealKey(key)) : null,
    key_hint: key?.keyHint ?? null,
    key_status: key ? (expired ? 'expired' : key.status) : null,
    budget_usd: formatUsd(key?.budgetNano ?? plan?.budgetNano ?? 0),
    remaining_usd: key ? formatUsd(Math.max(0, key.budgetNano - key.spentNano)) : null,
    expires_at: iso(key?.expiresAt ?? null),
  };
}
