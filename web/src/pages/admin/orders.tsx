import { useState } from 'preact/hooks';
import { Loading } from '../../components/ui';
import { statusName, useI18n } from '../../i18n';
import { dateTime, fmt, usd } from '../../lib/format';
import type { SectionProps } from './index';
import { Field, value } from './fields';
import { ActionResult, AdminErrorNotice, FilterForm, PagedList, StatusBadge, useAction, useConfirm, useFilteredList, useLoad } from './shared';

const ORDER_STATUSES = ['created', 'approved', 'pending', 'paid', 'failed', 'cancelled', 'refunded', 'reversed', 'expired'];

export default function Orders(props: SectionProps) {
  return props.sub ? <OrderDetail id={props.sub} /> : <OrderList />;
}

function OrderList() {
  const { t, lang } = useI18n();
  const o = t.admin.orders;
  const { draft, setDraft, offset, setOffset, list, apply } = useFilteredList({ q: '', status: '' }, (api, filter, page) => api.orders({ ...filter, ...page }));
  return (
    <>
      <h1>{t.admin.nav.orders}</h1>
      <FilterForm onSubmit={apply}>
        <Field id="orders-q" label={t.admin.search} help={o.searchHelp}>
          <input id="orders-q" type="search" value={draft.q} onInput={(e) => setDraft({ ...draft, q: value(e) })} aria-describedby="orders-q-help" />
        </Field>
        <Field id="orders-status" label={o.colStatus}>
          <select id="orders-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: value(e) })}>
            <option value="">{t.admin.any}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusName(s, t)}
              </option>
            ))}
          </select>
        </Field>
      </FilterForm>
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => (
          <div class="table-wrap">
            <table class="admin-table stack stack-compact" id="orders-table">
              <thead>
                <tr>
                  <th scope="col">{o.colOrder}</th>
                  <th scope="col">{o.colPlan}</th>
                  <th scope="col">{o.colEmail}</th>
                  <th scope="col" class="num">{o.colAmount}</th>
                  <th scope="col">{o.colStatus}</th>
                  <th scope="col">{o.colCreated}</th>
                  <th scope="col">{o.colPaid}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((order) => (
                  <tr key={order.id}>
                    <td data-label={o.colOrder}>
                      <a href={`/admin/orders/${encodeURIComponent(order.id)}`}>
                        <code>{order.id}</code>
                      </a>
                    </td>
                    <td data-label={o.colPlan}>{order.plan_id}</td>
                    <td class="admin-wrap" data-label={o.colEmail}>
                      {order.email}
                    </td>
                    <td class="num" data-label={o.colAmount}>
                      {usd(order.amount_usd)}
                    </td>
                    <td data-label={o.colStatus}>
                      <StatusBadge status={order.status} />
                    </td>
                    <td class="admin-date" data-label={o.colCreated}>{dateTime(order.created_at, lang)}</td>
                    <td class="admin-date" data-label={o.colPaid}>{dateTime(order.paid_at, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </PagedList>
    </>
  );
}

function OrderDetail(props: { id: string }) {
  const { t, lang } = useI18n();
  const o = t.admin.orders;
  const loaded = useLoad((api) => api.order(props.id), [props.id]);
  const action = useAction();
  const confirm = useConfirm();
  const [refund, setRefund] = useState({ amount: '', reason: '' });
  const order = loaded.data;
  if (!order) return loaded.error ? <AdminErrorNotice error={loaded.error} /> : <Loading />;
  const doRefund = (e: Event) => {
    e.preventDefault();
    confirm.ask(o.refundConfirm, () =>
      void action
        .run((api) => api.refund(order.id, { amount_usd: refund.amount.trim() || undefined, reason: refund.reason.trim() || undefined }))
        .then((r) => r && loaded.reload()),
    );
  };
  const sync = () =>
    void action.run((api) => api.syncOrder(order.id), (r) => fmt(o.synced, { status: statusName(r.status, t) })).then((r) => r && loaded.reload());
  return (
    <>
      <p>
        <a href="/admin/orders">← {t.admin.nav.orders}</a>
      </p>
      <h1>{fmt(o.detailTitle, { id: order.id })}</h1>
      <section class="card">
        <dl class="facts admin-facts">
          <dt>{o.colStatus}</dt>
          <dd>
            <StatusBadge status={order.status} />
            {order.status_reason && <span class="small muted"> {order.status_reason}</span>}
          </dd>
          <dt>{o.colPlan}</dt>
          <dd>{order.plan_id}</dd>
          <dt>{o.colEmail}</dt>
          <dd class="admin-wrap">{order.email}</dd>
          <dt>{o.colAmount}</dt>
          <dd>
            {usd(order.amount_usd)} {order.currency}
          </dd>
          <dt>{o.paypalOrder}</dt>
          <dd>
            <code>{order.paypal_order_id ?? '—'}</code>
          </dd>
          <dt>{o.key}</dt>
          <dd>
            {order.key_id ? (
              <a href={`/admin/keys/${encodeURIComponent(order.key_id)}`}>
                <code>{order.key_hint ?? order.key_id}</code>
              </a>
            ) : (
              '—'
            )}
          </dd>
          <dt>{o.colCreated}</dt>
          <dd>{dateTime(order.created_at, lang)}</dd>
          <dt>{o.colPaid}</dt>
          <dd>{dateTime(order.paid_at, lang)}</dd>
        </dl>
        <div class="actions">
          <button type="button" class="btn" id="order-sync" disabled={action.busy} onClick={sync}>
            {o.sync}
          </button>
        </div>
        <form onSubmit={doRefund} class="admin-subform" aria-labelledby="refund-title">
          <h2 id="refund-title">{o.refund}</h2>
          <div class="admin-grid">
            <Field id="refund-amount" label={o.refundAmount} help={o.refundAmountHelp}>
              <input id="refund-amount" inputMode="decimal" value={refund.amount} onInput={(e) => setRefund({ ...refund, amount: value(e) })} aria-describedby="refund-amount-help" />
            </Field>
            <Field id="refund-reason" label={o.reason}>
              <input id="refund-reason" value={refund.reason} onInput={(e) => setRefund({ ...refund, reason: value(e) })} />
            </Field>
          </div>
          <button type="submit" class="btn btn-danger-outline" id="order-refund" disabled={action.busy}>
            {o.refund}
          </button>
        </form>
        <ActionResult error={action.error} done={action.done} id="order-action" />
      </section>
      <section class="card">
        <h2>{o.payments}</h2>
        {order.payments.length === 0 ? (
          <p class="muted">{o.none}</p>
        ) : (
          <div class="table-wrap">
            <table class="admin-table stack stack-compact">
              <thead>
                <tr>
                  <th scope="col">{o.capture}</th>
                  <th scope="col">{o.colStatus}</th>
                  <th scope="col" class="num">{o.amount}</th>
                  <th scope="col" class="num">{o.refunded}</th>
                  <th scope="col">{o.colCreated}</th>
                </tr>
              </thead>
              <tbody>
                {order.payments.map((p) => (
                  <tr key={p.paypal_capture_id}>
                    <td data-label={o.capture}>
                      <code>{p.paypal_capture_id}</code>
                    </td>
                    <td data-label={o.colStatus}>{p.status}</td>
                    <td class="num" data-label={o.amount}>
                      {usd(p.amount_usd)}
                    </td>
                    <td class="num" data-label={o.refunded}>
                      {usd(p.refunded_usd)}
                    </td>
                    <td class="admin-date" data-label={o.colCreated}>{dateTime(p.created_at, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        <h2>{o.webhooks}</h2>
        {order.webhook_events.length === 0 ? (
          <p class="muted">{o.none}</p>
        ) : (
          <div class="table-wrap">
            <table class="admin-table stack stack-compact">
              <thead>
                <tr>
                  <th scope="col">{o.event}</th>
                  <th scope="col">{o.verified}</th>
                  <th scope="col">{o.result}</th>
                  <th scope="col">{o.received}</th>
                  <th scope="col">{o.processed}</th>
                </tr>
              </thead>
              <tbody>
                {order.webhook_events.map((w) => (
                  <tr key={w.id}>
                    <td data-label={o.event}>
                      <span>
                        <code>{w.event_type}</code>
                        <span class="small muted admin-block">{w.id}</span>
                      </span>
                    </td>
                    <td data-label={o.verified}>{w.verified ? t.admin.yes : t.admin.no}</td>
                    <td class="admin-wrap" data-label={o.result}>
                      {w.result ?? '—'}
                    </td>
                    <td class="admin-date" data-label={o.received}>{dateTime(w.received_at, lang)}</td>
                    <td class="admin-date" data-label={o.processed}>{dateTime(w.processed_at, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {confirm.dialog}
    </>
  );
}
