import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import type { ListOf, Usage, UsageDay, UsageRequest } from '../api/types';
import { CreditsList } from '../components/dashboard/credits';
import { DailyChart } from '../components/dashboard/daily-chart';
import { Playground } from '../components/dashboard/playground';
import { RequestsTable } from '../components/dashboard/requests-table';
import { KeySettings } from '../components/dashboard/settings';
import { UsageSummary } from '../components/dashboard/summary';
import { errorText, useAsync, useTitle } from '../components/hooks';
import { useSite } from '../components/site';
import { TopUpButton } from '../components/topup/topup';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useI18n } from '../i18n';
import { readStored, STORAGE_KEYS, writeStored } from '../lib/storage';

interface Board {
  usage: Usage;
  daily: ListOf<UsageDay>;
  requests: ListOf<UsageRequest>;
}

function loadBoard(key: string): Promise<Board> {
  return Promise.all([api.usage(key), api.daily(key, 30), api.requests(key, 50)]).then(([usage, daily, requests]) => ({ usage, daily, requests }));
}

/** This tab's key (sessionStorage) first, e.g. one just opened from the order page; else a remembered one. */
function storedKey(): { key: string; remember: boolean } {
  const remembered = readStored('local', STORAGE_KEYS.apiKey);
  const session = readStored('session', STORAGE_KEYS.apiKey);
  if (session) return { key: session, remember: session === remembered };
  return { key: remembered ?? '', remember: remembered !== null };
}

function keepKey(key: string | null, remember: boolean) {
  writeStored('local', STORAGE_KEYS.apiKey, key !== null && remember ? key : null);
  writeStored('session', STORAGE_KEYS.apiKey, key !== null && !remember ? key : null);
}

function KeyForm(props: { initial: string; remember: boolean; error: unknown; onSubmit(key: string, remember: boolean): void }) {
  const { t } = useI18n();
  const d = t.dashboard;
  const [key, setKey] = useState(props.initial);
  const [remember, setRemember] = useState(props.remember);
  return (
    <form
      class="card key-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (key.trim()) props.onSubmit(key.trim(), remember);
      }}
    >
      <div class="field">
        <label for="dashboard-key">{d.keyLabel}</label>
        <input
          id="dashboard-key"
          name="key"
          type="password"
          class="mono"
          required
          autoComplete="off"
          spellcheck={false}
          placeholder="sk-gateway-…"
          value={key}
          aria-describedby="dashboard-key-help"
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p class="help" id="dashboard-key-help">
          {d.keyHelp}
        </p>
      </div>
      <div class="field">
        <label class="check">
          <input type="checkbox" id="dashboard-remember" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <span>{d.remember}</span>
        </label>
      </div>
      {props.error !== null && (
        <Notice tone="error" id="dashboard-key-error">
          {errorText(props.error, t)}
        </Notice>
      )}
      <button type="submit" class="btn btn-primary" id="dashboard-submit">
        {d.show}
      </button>
    </form>
  );
}

function Board(props: { apiKey: string; onForget(): void; onRejected(error: unknown, key: string): void }) {
  const { t } = useI18n();
  const d = t.dashboard;
  const board = useAsync(() => loadBoard(props.apiKey), [props.apiKey]);
  const refresh = useCallback(() => board.reload(), [board.reload]);
  const { onRejected } = props;
  useEffect(() => {
    // a wrong or disabled key goes back to the form, with the server's message
    if (board.error instanceof ApiError && board.error.status === 401) onRejected(board.error, props.apiKey);
  }, [board.error, onRejected, props.apiKey]);
  const actions = (
    <div class="actions">
      <button type="button" class="btn btn-small" id="dashboard-refresh" onClick={refresh} disabled={board.loading}>
        {d.refresh}
      </button>
      <TopUpButton apiKey={props.apiKey} small />
      <button type="button" class="btn btn-small btn-ghost" id="dashboard-forget" onClick={props.onForget}>
        {d.forget}
      </button>
    </div>
  );
  if (!board.data) {
    return (
      <>
        {actions}
        {board.error ? <ErrorNotice error={board.error} onRetry={board.reload} /> : <Loading />}
      </>
    );
  }
  const { usage, daily, requests } = board.data;
  return (
    <div class="stack-lg" id="dashboard-board">
      {actions}
      {board.error !== undefined && <ErrorNotice error={board.error} />}
      <UsageSummary usage={usage} />
      <section class="card" aria-labelledby="daily-title">
        <h2 id="daily-title">{d.dailyTitle}</h2>
        <DailyChart data={daily.data} />
      </section>
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">{d.recentTitle}</h2>
        <RequestsTable rows={requests.data} />
      </section>
      <section class="card" aria-labelledby="credits-title">
        <h2 id="credits-title">{t.topup.creditsTitle}</h2>
        <CreditsList apiKey={props.apiKey} refresh={board.data} />
      </section>
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">{d.settingsTitle}</h2>
        <KeySettings apiKey={props.apiKey} showReasoning={usage.show_reasoning} />
      </section>
      <section class="card" aria-labelledby="play-title">
        <h2 id="play-title">{d.playTitle}</h2>
        <p>{d.playLead}</p>
        <Playground apiKey={props.apiKey} onDone={refresh} />
      </section>
    </div>
  );
}

export default function Dashboard() {
  const { t } = useI18n();
  const site = useSite();
  useTitle(t.dashboard.title, site?.site_name);
  const [initial] = useState(storedKey);
  const [active, setActive] = useState<string | null>(initial.key || null);
  const [formKey, setFormKey] = useState(0);
  const [rejected, setRejected] = useState<unknown>(null);
  // a key the server turned away stays in the field, to be corrected; it is kept nowhere else
  const [draft, setDraft] = useState('');

  const submit = (key: string, remember: boolean) => {
    keepKey(key, remember);
    setRejected(null);
    setActive(key);
  };
  const forget = useCallback(() => {
    keepKey(null, false);
    setActive(null);
    setDraft('');
    setFormKey((n) => n + 1);
  }, []);
  const reject = useCallback(
    (error: unknown, key: string) => {
      forget();
      setDraft(key);
      setRejected(error);
    },
    [forget],
  );

  return (
    <>
      <h1>{t.dashboard.title}</h1>
      <p class="lead">{t.dashboard.lead}</p>
      {active ? (
        <Board key={active} apiKey={active} onForget={forget} onRejected={reject} />
      ) : (
        <KeyForm key={formKey} initial={draft} remember={initial.remember} error={rejected} onSubmit={submit} />
      )}
    </>
  );
}
