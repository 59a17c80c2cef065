import { useState } from 'preact/hooks';
import type { Upstream } from '../../api/admin';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { dateTime, fmt, integer, usd } from '../../lib/format';
import { Field, value } from './fields';
import { ActionResult, AdminErrorNotice, useAction, useConfirm, useLoad } from './shared';

export default function Upstreams() {
  const { t, lang } = useI18n();
  const u = t.admin.upstreams;
  const list = useLoad((api) => api.upstreams(), []);
  const action = useAction();
  const confirm = useConfirm();
  const [form, setForm] = useState({ key: '', label: '' });
  const act = (run: Parameters<typeof action.run>[0]) => void action.run(run).then((r) => r && list.reload());
  const add = async (e: Event) => {
    e.preventDefault();
    const r = await action.run((api) => api.addUpstream(form.key.trim(), form.label.trim() || undefined));
    if (r) {
      setForm({ key: '', label: '' });
      list.reload();
    }
  };
  const balance = (up: Upstream) =>
    up.balance ? (
      <>
        <span class={up.balance.low ? 'admin-low' : undefined}>
          {up.balance.currency === 'USD' ? usd(up.balance.total) : `${up.balance.total} ${up.balance.currency}`}
        </span>
        {up.balance.low && <span class="tag admin-low-tag">{u.low}</span>}
        <div class="small muted">{fmt(u.checkedAt, { time: dateTime(up.balance.checked_at, lang) })}</div>
      </>
    ) : (
      <span class="muted">{u.notChecked}</span>
    );
  return (
    <>
      <h1>{t.admin.nav.upstreams}</h1>
      <AdminErrorNotice error={list.error} />
      <ActionResult error={action.error} done={action.done} />
      {!list.data ? (
        !list.error && <Loading />
      ) : (
        <>
          <p class="muted">{fmt(u.lowWarning, { amount: usd(list.data.low_balance_warning_usd) })}</p>
          <div class="table-wrap">
            <table class="admin-table stack stack-compact" id="upstreams-table">
              <thead>
                <tr>
                  <th scope="col">{u.colLabel}</th>
                  <th scope="col">{u.colState}</th>
                  <th scope="col" class="num">{u.colInFlight}</th>
                  <th scope="col">{u.colBalance}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t.admin.edit}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((up) => (
                  <tr key={up.id}>
                    <th scope="row">
                      {up.label ?? up.id}
                      <div class="small muted">
                        <code>{up.key_hint}</code> · {u.sources[up.source] ?? up.source}
                      </div>
                    </th>
                    <td data-label={u.colState}>
                      <span>
                        <span class={`badge ${up.state === 'active' ? 'badge-active' : 'badge-frozen'}`}>{u.states[up.state] ?? up.state}</span>
                        {up.reason && <span class="small muted admin-block">{up.reason}</span>}
                      </span>
                    </td>
                    <td class="num" data-label={u.colInFlight}>
                      {integer(up.in_flight, lang)}
                    </td>
                    <td data-label={u.colBalance}>
                      <span>{balance(up)}</span>
                    </td>
                    <td class="admin-row-actions">
                      <button type="button" class="btn btn-small" disabled={action.busy} onClick={() => act((api) => api.checkUpstream(up.id))}>
                        {u.check}
                      </button>
                      {up.state !== 'active' && (
                        <button type="button" class="btn btn-small" disabled={action.busy} onClick={() => act((api) => api.restoreUpstream(up.id))}>
                          {u.restore}
                        </button>
                      )}
                      {up.source === 'admin' && up.state !== 'removed' && (
                        <button
                          type="button"
                          class="btn btn-small btn-danger-outline"
                          disabled={action.busy}
                          onClick={() => confirm.ask(u.removeConfirm, () => act((api) => api.removeUpstream(up.id)))}
                        >
                          {u.remove}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <form class="card admin-form" onSubmit={add} aria-labelledby="upstream-add-title">
        <h2 id="upstream-add-title">{u.add}</h2>
        <div class="admin-grid">
          <Field id="upstream-key" label={u.key}>
            <input id="upstream-key" type="password" autocomplete="off" spellcheck={false} required value={form.key} onInput={(e) => setForm({ ...form, key: value(e) })} />
          </Field>
          <Field id="upstream-label" label={u.label}>
            <input id="upstream-label" value={form.label} onInput={(e) => setForm({ ...form, label: value(e) })} />
          </Field>
        </div>
        <button type="submit" class="btn btn-primary" disabled={action.busy || !form.key.trim()}>
          {u.add}
        </button>
      </form>
      {confirm.dialog}
    </>
  );
}
