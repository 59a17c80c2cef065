import { useI18n } from '../../i18n';
import { navigate } from '../../lib/router';
import { readStored, STORAGE_KEYS, writeStored } from '../../lib/storage';
import { PAGE_PATHS } from '../../routes';

// "Top up this key": the dashboard and the order page hand the key to the pricing page through
// this tab's storage (never the URL), and its checkout dialog comes up with the key filled in.

export const TOPUP_QUERY = 'topup';

export function startTopUp(key: string): void {
  writeStored('session', STORAGE_KEYS.topupKey, key);
  navigate(`${PAGE_PATHS.pricing}?${TOPUP_QUERY}=1`);
}

/** The key to top up, when the pricing page was opened by a "Top up this key" button. */
export function pendingTopUpKey(search: string): string | null {
  return new URLSearchParams(search).has(TOPUP_QUERY) ? readStored('session', STORAGE_KEYS.topupKey) : null;
}

export function TopUpButton(props: { apiKey: string; id?: string; small?: boolean }) {
  const { t } = useI18n();
  return (
    <button type="button" class={`btn${props.small ? ' btn-small' : ''}`} id={props.id ?? 'topup-key'} onClick={() => startTopUp(props.apiKey)}>
      {t.topup.button}
    </button>
  );
}

/** The checkout dialog's optional key field: filled in by the button, editable, cleared to buy a new key. */
export function TopUpKeyField(props: { value: string; onInput(value: string): void }) {
  const { t } = useI18n();
  return (
    <div class="field">
      <label for="buy-key">{t.topup.keyLabel}</label>
      <input
        id="buy-key"
        name="key"
        type="password"
        class="mono"
        autoComplete="off"
        spellcheck={false}
        placeholder="sk-gateway-…"
        value={props.value}
        aria-describedby="buy-key-help"
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <p id="buy-key-help" class="help">
        {t.topup.keyHelp}
      </p>
    </div>
  );
}
