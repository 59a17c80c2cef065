import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { errorText } from '../hooks';
import { Notice } from '../ui';

/** "Resend my receipts": every paid order of the address gets its receipt (with its key) again. */
export function ResendReceipts() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = email.trim();
    if (!value || busy) return;
    setBusy(true);
    setError(null);
    setSent(false);
    try {
      await api.resendReceipts(value);
      setSent(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="resend-title" id="resend-receipts">
      <h2 id="resend-title">{t.resend.title}</h2>
      <p>{t.resend.lead}</p>
      <form onSubmit={submit}>
        <div class="field">
          <label for="resend-email">{t.order.email}</label>
          <input id="resend-email" name="email" type="email" required autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn" id="resend-submit" disabled={busy}>
          {t.resend.submit}
        </button>
      </form>
      {sent && (
        <Notice tone="success" id="resend-done">
          <p>{t.resend.done}</p>
        </Notice>
      )}
      {error !== null && <Notice tone="error">{errorText(error, t)}</Notice>}
    </section>
  );
}
