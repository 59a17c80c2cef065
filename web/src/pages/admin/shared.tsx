import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { AdminError, type AdminApi } from '../../api/admin';
import { errorText } from '../../components/hooks';
import { BarChart } from '../../components/bar-chart';
import { CopyButton, Loading, Notice } from '../../components/ui';
import { statusName, useI18n } from '../../i18n';
import type { Dict } from '../../i18n/en';
import { dateOnly, fmt, integer, monthDay, usd, usdNumber } from '../../lib/format';

export interface Console {
  api: AdminApi;
  /** Drops the token and shows the login again (with a message when the token stopped working). */
  signOut(reason?: string): void;
}

export const ConsoleContext = createContext<Console | null>(null);

export function useConsole(): Console {
  const c = useContext(ConsoleContext);
  if (!c) throw new Error('useConsole outside the console');
  return c;
}

/** The message for an admin failure: 429 says to wait, otherwise the API's own words. */
export function adminErrorText(error: unknown, t: Dict): string {
  if (error instanceof AdminError && error.status === 429) {
    return error.retryAfter ? fmt(t.admin.wait, { seconds: error.retryAfter }) : error.message || t.admin.waitLong;
  }
  return errorText(error, t);
}

export function AdminErrorNotice(props: { error: unknown; id?: string }) {
  const { t } = useI18n();
  if (!props.error) return null;
  return (
    <Notice tone="error" id={props.id}>
      <p>{adminErrorText(props.error, t)}</p>
    </Notice>
  );
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof AdminError && error.status === 401;
}

/** Loads data for a console page; a 401 sends the operator back to the login. */
export function useLoad<T>(load: (api: AdminApi) => Promise<T>, deps: unknown[]) {
  const { api, signOut } = useConsole();
  const { t } = useI18n();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const id = ++run.current;
    setState((s) => ({ ...s, loading: true }));
    load(api).then(
      (data) => id === run.current && setState({ data, loading: false }),
      (error: unknown) => {
        if (id !== run.current) return;
        if (isUnauthorized(error)) signOut(t.admin.sessionEnded);
        else setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, ...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload, setData: (data: T) => setState({ data, loading: false }) };
}

/** Runs a change: busy while it runs, its error kept for display, 401 → login. */
export function useAction() {
  const { api, signOut } = useConsole();
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(
    async <T,>(action: (api: AdminApi) => Promise<T>, success?: (result: T) => string | null): Promise<T | undefined> => {
      setBusy(true);
      setError(null);
      setDone(null);
      try {
        const result = await action(api);
        setDone(success ? success(result) : t.admin.saved);
        return result;
      } catch (e) {
        if (isUnauthorized(e)) signOut(t.admin.sessionEnded);
        else setError(e);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [api, signOut, t],
  );
  return { busy, error, done, run, clear: () => (setError(null), setDone(null)) };
}

/** Error and success lines under a form. */
export function ActionResult(props: { error: unknown; done: string | null; id?: string }) {
  if (props.error) return <AdminErrorNotice error={props.error} id={props.id ? `${props.id}-error` : undefined} />;
  if (props.done)
    return (
      <p class="admin-done" role="status" id={props.id ? `${props.id}-done` : undefined}>
        {props.done}
      </p>
    );
  return null;
}

/** A form's Save button, with the action's error or success line beside it. */
export function SaveRow(props: { action: { busy: boolean; error: unknown; done: string | null }; id?: string; submitId?: string }) {
  const { t } = useI18n();
  return (
    <div class="actions admin-save-row">
      <button type="submit" class="btn btn-primary" id={props.submitId} disabled={props.action.busy}>
        {t.admin.save}
      </button>
      <ActionResult error={props.action.error} done={props.action.done} id={props.id} />
    </div>
  );
}

/** A small modal question; Escape and the cancel button say no. */
function ConfirmDialog(props: { open: boolean; text: string; danger?: boolean; onConfirm(): void; onCancel(): void; children?: ComponentChildren }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" onClose={props.onCancel}>
      <h2 id="confirm-title">{t.admin.confirmTitle}</h2>
      <p id="confirm-text">{props.text}</p>
      {props.children}
      <div class="actions">
        <button type="button" id="confirm-yes" class={`btn ${props.danger === false ? 'btn-primary' : 'btn-danger'}`} onClick={props.onConfirm}>
          {t.admin.confirmYes}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>
          {t.common.cancel}
        </button>
      </div>
    </dialog>
  );
}

/** State for "ask first, then run": ask(text, action) opens the dialog. */
export function useConfirm() {
  const [pending, setPending] = useState<{ text: string; action: () => void } | null>(null);
  const dialog = (
    <ConfirmDialog
      open={pending !== null}
      text={pending?.text ?? ''}
      onCancel={() => setPending(null)}
      onConfirm={() => {
        const action = pending?.action;
        setPending(null);
        action?.();
      }}
    />
  );
  return { ask: (text: string, action: () => void) => setPending({ text, action }), dialog };
}

export const PAGE_SIZE = 25;

/** A filter form's draft, the filter applied on submit, the page, and the list they load. */
export function useFilteredList<F, T>(initial: F, load: (api: AdminApi, filter: F, page: { limit: number; offset: number }) => Promise<T>) {
  const [draft, setDraft] = useState(initial);
  const [filter, setFilter] = useState(initial);
  const [offset, setOffset] = useState(0);
  const list = useLoad((api) => load(api, filter, { limit: PAGE_SIZE, offset }), [filter, offset]);
  const apply = (e: Event) => {
    e.preventDefault();
    setOffset(0);
    setFilter(draft);
  };
  return { draft, setDraft, filter, offset, setOffset, list, apply };
}

/** A list page's filter form: its fields, then the apply button. */
export function FilterForm(props: { onSubmit(e: Event): void; submitId?: string; children: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <form class="admin-filters" role="search" onSubmit={props.onSubmit}>
      {props.children}
      <div class="admin-filter-actions">
        <button type="submit" class="btn" id={props.submitId}>
          {t.admin.apply}
        </button>
      </div>
    </form>
  );
}

/** A paged list's body: its error, a spinner, "nothing here", or the rows; then the pager. */
export function PagedList<T>(props: { list: { data?: { data: T[]; total: number }; error?: unknown }; offset: number; onPage(offset: number): void; children: (rows: T[]) => ComponentChildren }) {
  const { t } = useI18n();
  const { list } = props;
  return (
    <>
      <AdminErrorNotice error={list.error} />
      {!list.data ? !list.error && <Loading /> : list.data.data.length === 0 ? <p class="muted">{t.admin.empty}</p> : props.children(list.data.data)}
      {list.data && <Pager offset={props.offset} total={list.data.total} onChange={props.onPage} />}
    </>
  );
}

export function Pager(props: { offset: number; total: number; limit?: number; onChange(offset: number): void }) {
  const { t, lang } = useI18n();
  const limit = props.limit ?? PAGE_SIZE;
  if (props.total === 0) return null;
  const from = props.offset + 1;
  const to = Math.min(props.offset + limit, props.total);
  return (
    <nav class="pager" aria-label={t.admin.pages}>
      <button type="button" class="btn btn-small" disabled={props.offset === 0} onClick={() => props.onChange(Math.max(0, props.offset - limit))}>
        {t.admin.prev}
      </button>
      <span aria-live="polite">{fmt(t.admin.range, { from: integer(from, lang), to: integer(to, lang), total: integer(props.total, lang) })}</span>
      <button type="button" class="btn btn-small" disabled={to >= props.total} onClick={() => props.onChange(props.offset + limit)}>
        {t.admin.next}
      </button>
    </nav>
  );
}

/** Bars per day: the same chart as the buyer's dashboard. */
export function DayBars(props: { title: string; days: { date: string; amount: string; count: string }[] }) {
  const { t, lang } = useI18n();
  const total = usd(String(props.days.reduce((sum, d) => sum + usdNumber(d.amount), 0).toFixed(9)));
  return (
    <BarChart
      height={140}
      top={12}
      bottom={18}
      label={fmt(t.admin.overview.chartLabel, { title: props.title, days: props.days.length, total })}
      bars={props.days.map((day) => ({
        key: day.date,
        value: usdNumber(day.amount),
        tip: fmt(t.admin.overview.dayTip, { date: dateOnly(day.date, lang), amount: usd(day.amount), n: day.count }),
      }))}
      first={monthDay(props.days[0]?.date, lang)}
      summary={total}
      last={monthDay(props.days[props.days.length - 1]?.date, lang)}
    />
  );
}

/** A status as a colored badge, in the page's language where the dictionary knows it. */
export function StatusBadge(props: { status: string }) {
  const { t } = useI18n();
  const tone = ['active', 'paid'].includes(props.status) ? 'badge-active' : ['created', 'approved', 'pending'].includes(props.status) ? 'badge-pending' : 'badge-frozen';
  return <span class={`badge ${tone}`} data-status={props.status}>{statusName(props.status, t)}</span>;
}

/** The price period, translated. */
export function periodName(period: string, t: Dict): string {
  return period === 'peak' ? t.common.peak : period === 'off_peak' ? t.common.offPeak : period;
}

/** A new secret key, shown once with a copy button. */
export function NewKeyBox(props: { secret: string }) {
  const { t } = useI18n();
  return (
    <div class="key-box" id="new-key">
      <label for="new-key-value">{t.admin.newKeyTitle}</label>
      <div class="key-row">
        <input id="new-key-value" class="mono" readOnly value={props.secret} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <CopyButton text={props.secret} label={t.admin.newKeyTitle} />
      </div>
      <Notice tone="warning">
        <p>{t.admin.newKeyWarn}</p>
      </Notice>
    </div>
  );
}
