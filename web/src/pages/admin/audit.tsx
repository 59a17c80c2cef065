
import { useI18n } from '../../i18n';
import { dateTime } from '../../lib/format';
import { Field, value } from './fields';
import { FilterForm, PagedList, useFilteredList } from './shared';

/** before/after as the fields that changed, or the whole value when it isn't an object. */
function changes(before: unknown, after: unknown): { name: string; from: string; to: string }[] {
  const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(before) && !isObj(after)) return before === after ? [] : [{ name: '', from: show(before ?? undefined), to: show(after ?? undefined) }];
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  const names = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return names.filter((n) => JSON.stringify(b[n]) !== JSON.stringify(a[n])).map((n) => ({ name: n, from: show(b[n]), to: show(a[n]) }));
}

export default function Audit() {
  const { t, lang } = useI18n();
  const a = t.admin.audit;
  const { draft, setDraft, offset, setOffset, list, apply } = useFilteredList({ action: '', target: '' }, (api, filter, page) => api.audit({ ...filter, ...page }));
  // the actions the log holds, as the server lists them with every page
  const actions = list.data?.actions ?? [];
  return (
    <>
      <h1>{t.admin.nav.audit}</h1>
      <FilterForm onSubmit={apply}>
        <Field id="audit-action" label={a.action}>
          <select id="audit-action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: value(e) })}>
            <option value="">{t.admin.any}</option>
            {[...new Set([...actions, draft.action].filter(Boolean))].sort().map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </Field>
        <Field id="audit-target" label={a.target}>
          <input id="audit-target" value={draft.target} onInput={(e) => setDraft({ ...draft, target: value(e) })} />
        </Field>
      </FilterForm>
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => (
          <div class="table-wrap">
            <table class="admin-table stack" id="audit-table">
              <thead>
                <tr>
                  <th scope="col">{a.colTime}</th>
                  <th scope="col">{a.colAction}</th>
                  <th scope="col">{a.colTarget}</th>
                  <th scope="col">{a.colChange}</th>
                  <th scope="col">{a.colIp}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id}>
                    <td class="admin-date" data-label={a.colTime}>{dateTime(row.at, lang)}</td>
                    <td data-label={a.colAction}>
                      <code>{row.action}</code>
                      <div class="small muted">{row.actor}</div>
                    </td>
                    <td class="admin-wrap" data-label={a.colTarget}>
                      {row.target ?? '—'}
                    </td>
                    <td data-label={a.colChange}>
                      <ul class="admin-changes">
                        {changes(row.before, row.after).map((c) => (
                          <li key={c.name}>
                            {c.name && <code>{c.name}</code>} <del aria-label={a.before}>{c.from}</del> → <ins aria-label={a.after}>{c.to}</ins>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td class="nowrap" data-label={a.colIp}>
                      {row.ip ?? '—'}
                    </td>
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
