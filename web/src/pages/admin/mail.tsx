import type { MailRow } from '../../api/admin';
import { Notice } from '../../components/ui';
import { useI18n } from '../../i18n';
import { dateTime, fmt } from '../../lib/format';
import { Field, value } from './fields';
import { ActionResult, FilterForm, PagedList, useAction, useFilteredList } from './shared';

// The mail outbox: sent, waiting (with why) and failed mails with the SMTP server's answer; any
// of them can be sent again.

function MailStatus(props: { row: MailRow }) {
  const { t } = useI18n();
  const m = t.admin.mail;
  const tone = props.row.status === 'sent' ? 'badge-active' : props.row.status === 'failed' ? 'badge-frozen' : 'badge-pending';
  return (
    <span class={`badge ${tone}`} data-status={props.row.status}>
      {m.statuses[props.row.status]}
    </span>
  );
}

export default function Mail() {
  const { t, lang } = useI18n();
  const m = t.admin.mail;
  const { draft, setDraft, offset, setOffset, list, apply } = useFilteredList({ status: '', q: '' }, (api, filter, page) => api.mail({ ...filter, ...page }));
  const resend = useAction();
  const info = list.data;
  return (
    <>
      <h1>{t.admin.nav.mail}</h1>
      {info && !info.enabled && (
        <Notice tone="warning" id="mail-off">
          <p>{m.off}</p>
        </Notice>
      )}
      {info?.enabled && (
        <p class="muted" id="mail-on">
          {fmt(m.on, { server: info.server ?? '', from: info.from ?? '' })}{' '}
          {fmt(m.counts, { sent: info.counts.sent, pending: info.counts.pending + info.counts.sending, failed: info.counts.failed })}
        </p>
      )}
      <FilterForm onSubmit={apply}>
        <Field id="mail-status" label={m.status}>
          <select id="mail-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: value(e) })}>
            <option value="">{t.admin.any}</option>
            {(['pending', 'sent', 'failed'] as const).map((s) => (
              <option key={s} value={s}>
                {m.statuses[s]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="mail-q" label={t.admin.search} help={m.searchHelp}>
          <input id="mail-q" value={draft.q} onInput={(e) => setDraft({ ...draft, q: value(e) })} aria-describedby="mail-q-help" />
        </Field>
      </FilterForm>
      <ActionResult error={resend.error} done={resend.done} id="mail-resend" />
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => (
          <ul class="admin-mail" id="mail-list">
            {rows.map((row) => (
              <li key={row.id} class="card" data-mail={row.id}>
                <p>
                  <MailStatus row={row} /> <strong>{m.kinds[row.kind]}</strong>
                  {row.resend && <span class="small muted"> ({m.copy})</span>} · <span class="admin-wrap">{row.to}</span> · {row.lang}
                </p>
                {row.subject && <p class="small">{row.subject}</p>}
                <p class="small muted">
                  {fmt(m.created, { time: dateTime(row.created_at, lang) })}
                  {row.sent_at && ` · ${fmt(m.sent, { time: dateTime(row.sent_at, lang) })}`}
                  {row.next_attempt_at && row.status === 'pending' && ` · ${fmt(m.next, { time: dateTime(row.next_attempt_at, lang) })}`}
                  {` · ${fmt(m.attempts, { n: row.attempts })}`}
                  {row.order_id && (
                    <>
                      {' · '}
                      <a href={`/admin/orders/${encodeURIComponent(row.order_id)}`}>{row.order_id}</a>
                    </>
                  )}
                </p>
                {row.smtp_response && (
                  <p class="small">
                    {m.answer}: <code class="admin-wrap">{row.smtp_response}</code>
                  </p>
                )}
                {info?.enabled && row.status !== 'sending' && (
                  <button
                    type="button"
                    class="btn btn-small"
                    data-resend={row.id}
                    disabled={resend.busy}
                    onClick={() => void resend.run((api) => api.resendMail(row.id), () => m.queued).then((r) => r && list.reload())}
                  >
                    {row.status === 'sent' ? m.resend : m.retry}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </PagedList>
    </>
  );
}
