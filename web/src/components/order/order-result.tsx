import type { ComponentChildren } from 'preact';
import type { OrderView } from '../../api/types';
import { statusName, useI18n } from '../../i18n';
import { dateTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import { STORAGE_KEYS, writeStored } from '../../lib/storage';
import { PAGE_PATHS } from '../../routes';
import { TopUpButton } from '../topup/topup';
import { CopyButton, Money, Notice } from '../ui';

/** Statuses in which the order may still turn into a paid one. */
export const WAITING = new Set(['created', 'approved', 'pending']);

/** Why PayPal sent the buyer back, as the order page says it (status_reason → text). */
function backToPayPalText(reason: string | null | undefined, t: ReturnType<typeof useI18n>['t']): string | null {
  switch (reason) {
    case 'instrument_declined':
      return t.order.declined;
    case 'alternate_funding_required':
      return t.order.alternateFunding;
    case 'payer_action_required':
      return t.order.payerAction;
    default:
      return null;
  }
}

function KeyBox(props: { value: string }) {
  const { t } = useI18n();
  return (
    <div class="key-box">
      <label for="api-key-value">{t.order.keyLabel}</label>
      <div class="key-row">
        <input id="api-key-value" class="mono" readOnly value={props.value} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={props.value} label={t.order.keyLabel} />
      </div>
    </div>
  );
}

function OrderFacts(props: { order: OrderView }) {
  const { t, lang } = useI18n();
  const { order } = props;
  const status = statusName(order.status, t);
  const keyStatus = order.key_status ? statusName(order.key_status, t) : null;
  const row = (label: string, value: ComponentChildren, id?: string) => (
    <>
      <dt>{label}</dt>
      <dd id={id}>{value}</dd>
    </>
  );
  return (
    <dl class="facts">
      {row(t.order.number, <code id="order-id">{order.order_id}</code>)}
      {row(
        t.order.statusLabel,
        <span class={`badge badge-${order.status}`} id="order-status" data-status={order.status}>
          {status}
        </span>,
      )}
      {order.paypal_order_id && row(t.order.paypalOrder, <code id="order-paypal-id">{order.paypal_order_id}</code>)}
      {row(t.order.plan, order.plan_name ?? order.plan_id)}
      {order.amount_usd && order.paid_at && row(t.order.amount, <Money value={order.amount_usd} />)}
      {order.budget_usd && row(t.order.budget, <Money value={order.budget_usd} />)}
      {order.remaining_usd && row(t.order.remaining, <Money value={order.remaining_usd} />, 'order-remaining')}
      {order.paid_at && row(t.order.paidAt, dateTime(order.paid_at, lang))}
      {order.expires_at && row(t.order.expires, dateTime(order.expires_at, lang))}
      {order.key_hint && row(t.order.key, <><code>{order.key_hint}</code>{keyStatus && <span class={`badge badge-${order.key_status}`}>{keyStatus}</span>}</>)}
      {order.email && row(t.order.email, order.email)}
    </dl>
  );
}

function openDashboard(key: string) {
  // the dashboard picks the key up for this tab only
  writeStored('session', STORAGE_KEYS.apiKey, key);
  navigate(PAGE_PATHS.dashboard);
}

/** What an order looks like in each state. */
export function OrderResult(props: { order: OrderView; waitingLong?: boolean; rotated?: boolean }) {
  const { t } = useI18n();
  const { order } = props;
  if (order.status === 'paid' && order.key) {
    return (
      <section aria-labelledby="order-heading" class="stack-lg">
        <h2 id="order-heading">{order.topup ? t.topup.paidTitle : t.order.paidTitle}</h2>
        {props.rotated && <Notice tone="success">{t.order.rotated}</Notice>}
        <KeyBox value={order.key} />
        <Notice tone="warning">
          <p>{t.order.saveWarning}</p>
        </Notice>
        <OrderFacts order={order} />
        <h3>{t.order.nextTitle}</h3>
        <p class="actions">
          <a
            class="btn btn-primary"
            href={PAGE_PATHS.dashboard}
            onClick={(e) => {
              e.preventDefault();
              openDashboard(order.key ?? '');
            }}
          >
            {t.order.toDashboard}
          </a>
          <a class="btn" href={PAGE_PATHS.guide}>
            {t.order.toGuide}
          </a>
          <a class="btn" href={PAGE_PATHS.sillytavern}>
            {t.order.toSillyTavern}
          </a>
          <TopUpButton apiKey={order.key} />
        </p>
      </section>
    );
  }
  if (order.status === 'created' && order.approve_url) {
    return (
      <section aria-labelledby="order-heading">
        <h2 id="order-heading">{t.order.unpaidTitle}</h2>
        {backToPayPalText(order.status_reason, t) ? <Notice tone="warning">{backToPayPalText(order.status_reason, t)}</Notice> : <p>{t.order.unpaid}</p>}
        <p>
          <a class="btn btn-primary" href={order.approve_url}>
            {t.order.payNow}
          </a>
        </p>
        <OrderFacts order={order} />
      </section>
    );
  }
  if (WAITING.has(order.status) || order.status === 'paid') {
    return (
      <section aria-labelledby="order-heading" aria-busy="true">
        <h2 id="order-heading">
          <span class="spinner" aria-hidden="true" /> {t.order.waitingTitle}
        </h2>
        <p>{order.status_reason === 'completion_in_progress' ? t.order.completing : props.waitingLong ? t.order.waitingLong : t.order.waiting}</p>
        <OrderFacts order={order} />
      </section>
    );
  }
  const ends: Record<string, [string, string]> = {
    failed: [t.order.failedTitle, t.order.failed],
    cancelled: [t.order.cancelledTitle, t.order.cancelled],
    expired: [t.order.expiredTitle, t.order.expired],
    refunded: [t.order.refundedTitle, t.order.refunded],
    reversed: [t.order.reversedTitle, t.order.reversed],
  };
  const [title, text] = ends[order.status] ?? [order.status, ''];
  const startOver = order.status === 'failed' && order.status_reason === 'payment_attempts_exceeded';
  return (
    <section aria-labelledby="order-heading">
      <h2 id="order-heading">{title}</h2>
      {startOver ? <Notice tone="warning">{t.order.attemptsExceeded}</Notice> : text && <p>{text}</p>}
      <OrderFacts order={order} />
      <p>
        <a class={startOver ? 'btn btn-primary' : 'btn'} href={PAGE_PATHS.pricing} id={startOver ? 'new-order' : undefined}>
          {startOver ? t.order.newOrder : t.order.toPricing}
        </a>
      </p>
    </section>
  );
}
