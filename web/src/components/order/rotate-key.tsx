import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { OrderView } from '../../api/types';
import { useI18n } from '../../i18n';
import { errorText } from '../hooks';
import { Notice } from '../ui';

/** Replaces a leaked key after an explicit confirmation. */
export function RotateKey(props: { orderId: string; email: string; onRotated(order: OrderView): void }) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      props.onRotated(await api.rotateKey(props.orderId, props.email));
      setConfirming(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card rotate" aria-labelledby="rotate-title">
      <h3 id="rotate-title">{t.order.rotateTitle}</h3>
      <p>{t.order.rotateLead}</p>
      {!confirming ? (
        <button type="button" class="btn btn-danger-outline" id="rotate-key" onClick={() => setConfirming(true)}>
          {t.order.rotate}
        </button>
      ) : (
        <div role="group" aria-labelledby="rotate-confirm-text">
          <p id="rotate-confirm-text">
            <strong>{t.order.rotateConfirm}</strong>
          </p>
          <div class="actions">
            <button type="button" class="btn btn-danger" id="rotate-confirm" disabled={busy} onClick={rotate}>
              {t.order.rotateYes}
            </button>
            <button type="button" class="btn" disabled={busy} onClick={() => setConfirming(false)}>
              {t.common.cancel}
            </button>
          </div>
        </div>
      )}
      {error !== null && <Notice tone="error">{errorText(error, t)}</Notice>}
    </section>
  );
}
