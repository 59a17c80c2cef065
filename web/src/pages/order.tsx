import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import type { OrderView } from '../api/types';
import type { PageProps } from '../app';
import { errorText, useTitle } from '../components/hooks';
import { OrderResult, WAITING } from '../components/order/order-result';
import { ResendReceipts } from '../components/order/resend-receipts';
import { RotateKey } from '../components/order/rotate-key';
import { useSite } from '../components/site';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useI18n } from '../i18n';
import { fmt } from '../lib/format';
import { readStored, STORAGE_KEYS } from '../lib/storage';
import { PAGE_PATHS } from '../routes';

const POLL_MS = 3000;
const LONG_WAIT_MS = 90_000;

/** The page PayPal's return lands on: /order?order_id=…&view=…; polls until the order settles. */
function OrderByLink(props: { orderId: string; view: string }) {
  const { t } = useI18n();
  const [order, setOrder] = useState<OrderView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [waitingLong, setWaitingLong] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const captured = useRef(false);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async () => {
      try {
        let next = await api.order(props.orderId, props.view);
        if (next.status === 'approved' && !captured.current) {
          // the return page normally captures; if that didn't finish, ask once more
          captured.current = true;
          try {
            const after = await api.capture(props.orderId, props.view);
            if (after && typeof after.status === 'string') next = { ...next, ...after };
          } catch {
            // the next poll shows whatever the server settled on
          }
        }
        if (!live) return;
        setOrder(next);
        setError(null);
        // an unpaid order waits for the buyer, not for us: no polling then
        const unpaid = next.status === 'created' && Boolean(next.approve_url);
        if ((WAITING.has(next.status) && !unpaid) || (next.status === 'paid' && !next.key)) {
          setWaitingLong(Date.now() - started > LONG_WAIT_MS);
          timer = setTimeout(poll, Date.now() - started > LONG_WAIT_MS ? POLL_MS * 3 : POLL_MS);
        }
      } catch (e) {
        if (!live) return;
        setError(e);
        // a hiccup while waiting: keep trying; a 404 or 403 is final
        if (e instanceof ApiError && (e.status === 0 || e.status >= 500 || e.status === 429)) timer = setTimeout(poll, POLL_MS * 2);
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [props.orderId, props.view, attempt]);

  if (error && !order) {
    return (
      <>
        <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />
        <p>
          <a href={PAGE_PATHS.order}>{t.order.another}</a>
        </p>
      </>
    );
  }
  if (!order) return <Loading />;
  return (
    <>
      {error !== null && <ErrorNotice error={error} />}
      <OrderResult order={order} waitingLong={waitingLong} />
      <p>
        <a href={PAGE_PATHS.order}>{t.order.another}</a>
      </p>
    </>
  );
}

function CheckOrder(props: { initialOrderId: string }) {
  const { t } = useI18n();
  const site = useSite();
  const [orderId, setOrderId] = useState(props.initialOrderId);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [found, setFound] = useState<{ order: OrderView; email: string; rotated: boolean } | null>(null);
  const last = readLastOrder();

  const submit = async (event: Event) => {
    event.preventDefault();
    const id = orderId.trim();
    const mail = email.trim();
    if (!id || !mail) return;
    setBusy(true);
    setError(null);
    setFound(null);
    try {
      setFound({ order: await api.lookup(id, mail), email: mail, rotated: false });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <section aria-label={t.order.checkTitle} class="card narrow">
        <p>{t.order.checkLead}</p>
        <form onSubmit={submit}>
          <div class="field">
            <label for="check-order-id">{t.order.orderId}</label>
            <input
              id="check-order-id"
              name="order_id"
              class="mono"
              required
              autoComplete="off"
              spellcheck={false}
              value={orderId}
              aria-describedby="check-order-id-help"
              onInput={(e) => setOrderId(e.currentTarget.value)}
            />
            <p class="help" id="check-order-id-help">
              {t.order.orderIdHelp}
            </p>
          </div>
          <div class="field">
            <label for="check-email">{t.order.email}</label>
            <input
              id="check-email"
              name="email"
              type="email"
              required
              autoComplete="email"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </div>
          <button type="submit" class="btn btn-primary" id="check-submit" disabled={busy}>
            {t.order.find}
          </button>
        </form>
        {error !== null && <Notice tone="error">{errorText(error, t)}</Notice>}
        {last && !found && (
          <p>
            <a href={`${PAGE_PATHS.order}?order_id=${encodeURIComponent(last.order_id)}&view=${encodeURIComponent(last.view)}`}>
              {fmt(t.order.resume, { order: last.order_id })}
            </a>
          </p>
        )}
      </section>
      {found && (
        <div class="stack-lg" id="lookup-result">
          <OrderResult order={found.order} rotated={found.rotated} />
          {found.order.status === 'paid' && found.order.key && (
            <RotateKey
              orderId={found.order.order_id}
              email={found.email}
              onRotated={(order) => setFound({ order: { ...found.order, ...order }, email: found.email, rotated: true })}
            />
          )}
        </div>
      )}
      {site?.mail_enabled && !found && <ResendReceipts />}
    </>
  );
}

function readLastOrder(): { order_id: string; view: string } | null {
  try {
    const value = JSON.parse(readStored('local', STORAGE_KEYS.lastOrder) ?? 'null') as { order_id?: unknown; view?: unknown } | null;
    if (value && typeof value.order_id === 'string' && typeof value.view === 'string') return { order_id: value.order_id, view: value.view };
  } catch {
    // ignore a damaged entry
  }
  return null;
}

export default function Order(props: PageProps) {
  const { t } = useI18n();
  const site = useSite();
  const params = new URLSearchParams(props.loc.search);
  const orderId = params.get('order_id') ?? params.get('order');
  const view = params.get('view');
  useTitle(orderId && view ? t.order.title : t.order.checkTitle, site?.site_name);
  return (
    <>
      <h1>{orderId && view ? t.order.title : t.order.checkTitle}</h1>
      {orderId && view ? (
        <OrderByLink orderId={orderId} view={view} />
      ) : (
        <>
          {orderId && <Notice tone="warning">{t.order.missingLink}</Notice>}
          <CheckOrder initialOrderId={orderId ?? ''} />
        </>
      )}
    </>
  );
}
