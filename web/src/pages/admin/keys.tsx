import { useState } from 'preact/hooks';
import type { NewKey, Plan } from '../../api/admin';

import { statusName, useI18n } from '../../i18n';
import { dateTime, usd } from '../../lib/format';
import type { SectionProps } from './index';
import KeyDetail from './key-detail';
import { Field, intOrUndefined, LimitField, value } from './fields';
import { ActionResult, FilterForm, NewKeyBox, PagedList, StatusBadge, useAction, useFilteredList, useLoad } from './shared';

const KEY_STATUSES = ['active', 'disabled', 'expired', 'exhausted', 'frozen'];

export default function Keys(props: SectionProps) {
  if (props.sub) return <KeyDetail id={props.sub} />;
  return <KeyList />;
}

function KeyList() {
  const { t, lang } = useI18n();
  const k = t.admin.keys;
  const { draft, setDraft, offset, setOffset, list, apply } = useFilteredList({ q: '', status: '', plan_id: '' }, (api, filter, page) => api.keys({ ...filter, ...page }));
  const [creating, setCreating] = useState(false);
  const plans = useLoad((api) => api.plans(), []);
  return (
    <>
      <div class="admin-head">
        <h1>{t.admin.nav.keys}</h1>
        <button type="button" class="btn btn-primary" id="key-create-open" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {k.create}
        </button>
      </div>
      {creating && <CreateKey plans={plans.data?.data ?? []} onCreated={() => list.reload()} />}
      <FilterForm onSubmit={apply} submitId="keys-search">
        <Field id="keys-q" label={t.admin.search} help={k.searchHelp}>
          <input id="keys-q" type="search" value={draft.q} onInput={(e) => setDraft({ ...draft, q: value(e) })} aria-describedby="keys-q-help" />
        </Field>
        <Field id="keys-status" label={k.status}>
          <select id="keys-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: value(e) })}>
            <option value="">{t.admin.any}</option>
            {KEY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusName(s, t)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="keys-plan" label={k.plan}>
          <select id="keys-plan" value={draft.plan_id} onChange={(e) => setDraft({ ...draft, plan_id: value(e) })}>
            <option value="">{t.admin.any}</option>
            {(plans.data?.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </Field>
      </FilterForm>
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => (
          <div class="table-wrap">
            <table class="admin-table stack stack-compact" id="keys-table">
              <thead>
                <tr>
                  <th scope="col">{k.colKey}</th>
                  <th scope="col">{k.colPlan}</th>
                  <th scope="col">{k.colStatus}</th>
                  <th scope="col" class="num">
                    {k.colRemaining}
                  </th>
                  <th scope="col">{k.colEmail}</th>
                  <th scope="col">{k.colCreated}</th>
                  <th scope="col">{k.colLastUsed}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((key) => (
                  <tr key={key.id} data-key-id={key.id}>
                    <td data-label={k.colKey}>
                      <a href={`/admin/keys/${encodeURIComponent(key.id)}`}>
                        <code>{key.key_hint}</code>
                      </a>
                    </td>
                    <td data-label={k.colPlan}>{key.plan_id}</td>
                    <td data-label={k.colStatus}>
                      <StatusBadge status={key.status} />
                    </td>
                    <td class="num" data-label={k.colRemaining}>
                      {usd(key.remaining_usd)}
                    </td>
                    <td class="admin-wrap" data-label={k.colEmail}>
                      {key.email ?? '—'}
                    </td>
                    <td class="admin-date" data-label={k.colCreated}>{dateTime(key.created_at, lang)}</td>
                    <td class="admin-date" data-label={k.colLastUsed}>{dateTime(key.last_used_at, lang)}</td>
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

function CreateKey(props: { plans: Plan[]; onCreated(): void }) {
  const { t } = useI18n();
  const k = t.admin.keys;
  const [form, setForm] = useState({ plan_id: '', budget_usd: '', email: '', note: '', rpm: '', concurrency: '', expires_days: '' });
  const [created, setCreated] = useState<NewKey | null>(null);
  const action = useAction();
  const set = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: value(e) });
  const planId = form.plan_id || props.plans.find((p) => !p.retired)?.id || '';
  const plan = props.plans.find((p) => p.id === planId);
  const submit = async (e: Event) => {
    e.preventDefault();
    const result = await action.run(
      (api) =>
        api.createKey({
          plan_id: planId,
          budget_usd: form.budget_usd.trim() || undefined,
          email: form.email.trim() || undefined,
          note: form.note.trim() || undefined,
          rpm: intOrUndefined(form.rpm),
          concurrency: intOrUndefined(form.concurrency),
          expires_days: intOrUndefined(form.expires_days),
        }),
      () => null,
    );
    if (result) {
      setCreated(result);
      props.onCreated();
    }
  };
  return (
    <section class="card admin-form" aria-labelledby="key-create-title">
      <h2 id="key-create-title">{k.create}</h2>
      {created ? (
        <>
          <NewKeyBox secret={created.key} />
          <p>
            <a href={`/admin/keys/${encodeURIComponent(created.data.id)}`}>{k.manage}</a>
          </p>
        </>
      ) : (
        <form onSubmit={submit}>
          <div class="admin-grid">
            <Field id="new-key-plan" label={k.plan}>
              <select id="new-key-plan" value={planId} onChange={set('plan_id')}>
                {props.plans
                  .filter((p) => !p.retired)
                  .map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
              </select>
            </Field>
            <Field id="new-key-budget" label={k.budget} help={k.budgetHelp}>
              <input id="new-key-budget" inputMode="decimal" value={form.budget_usd} onInput={set('budget_usd')} aria-describedby="new-key-budget-help" />
            </Field>
            <Field id="new-key-email" label={k.email}>
              <input id="new-key-email" type="email" value={form.email} onInput={set('email')} />
            </Field>
            <Field id="new-key-note" label={k.note}>
              <input id="new-key-note" value={form.note} onInput={set('note')} />
            </Field>
            <LimitField id="new-key-rpm" label={k.rpm} planValue={plan?.rpm} value={form.rpm} onInput={(v) => setForm({ ...form, rpm: v })} />
            <LimitField id="new-key-concurrency" label={k.concurrency} planValue={plan?.max_concurrency} value={form.concurrency} onInput={(v) => setForm({ ...form, concurrency: v })} />
            <Field id="new-key-days" label={k.expiresDays} help={k.expiryHelp}>
              <input id="new-key-days" inputMode="numeric" value={form.expires_days} onInput={set('expires_days')} />
            </Field>
          </div>
          <ActionResult error={action.error} done={action.done} />
          <button type="submit" class="btn btn-primary" id="new-key-submit" disabled={action.busy || !planId}>
            {t.admin.create}
          </button>
        </form>
      )}
    </section>
  );
}
