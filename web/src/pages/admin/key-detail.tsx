import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AdminApi, Key, Plan } from '../../api/admin';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { dateTime, fmt, usd, usdInput } from '../../lib/format';
import { KeyCredits } from './key-credits';
import { LedgerTable } from './ledger-table';
import { Field, LimitField, value } from './fields';
import { ActionResult, AdminErrorNotice, NewKeyBox, PAGE_SIZE, Pager, StatusBadge, useAction, useConfirm, useLoad } from './shared';

/** ISO → the value a datetime-local input wants (local time, minutes). */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export default function KeyDetail(props: { id: string }) {
  const { t, lang } = useI18n();
  const k = t.admin.keys;
  const loaded = useLoad((api) => api.key(props.id), [props.id]);
  const plans = useLoad((api) => api.plans(), []);
  const [ledgerOffset, setLedgerOffset] = useState(0);
  const ledger = useLoad((api) => api.keyLedger(props.id, { limit: PAGE_SIZE, offset: ledgerOffset }), [props.id, ledgerOffset]);
  const [secret, setSecret] = useState<string | null>(null);
  const confirm = useConfirm();
  const status = useAction();
  const key = loaded.data;
  if (!key) return loaded.error ? <AdminErrorNotice error={loaded.error} /> : <Loading />;
  const update = (next: Key) => loaded.setData(next);

  const toggle = () => {
    const enable = key.status === 'disabled';
    const run = () => status.run((api) => api.updateKey(key.id, { status: enable ? 'active' : 'disabled' })).then((k2) => k2 && update(k2));
    if (enable) void run();
    else confirm.ask(k.disableConfirm, () => void run());
  };
  const rotate = () =>
    confirm.ask(k.rotateConfirm, () =>
      void status.run((api) => api.rotateKey(key.id), () => null).then((r) => {
        if (!r) return;
        update(r.data);
        setSecret(r.key);
      }),
    );

  return (
    <>
      <p>
        <a href="/admin/keys">← {t.admin.nav.keys}</a>
      </p>
      <h1>{fmt(k.detailTitle, { hint: key.key_hint })}</h1>
      {secret && <NewKeyBox secret={secret} />}
      <section class="card">
        <dl class="facts admin-facts" id="key-facts">
          <dt>{k.id}</dt>
          <dd>
            <code>{key.id}</code>
          </dd>
          <dt>{k.status}</dt>
          <dd>
            <StatusBadge status={key.status} />
            {key.status_reason && <span class="small muted"> {key.status_reason}</span>}
          </dd>
          <dt>{k.plan}</dt>
          <dd>{key.plan_id}</dd>
          <dt>{k.budget}</dt>
          <dd id="key-budget">{usd(key.budget_usd)}</dd>
          <dt>{k.spent}</dt>
          <dd id="key-spent">{usd(key.spent_usd)}</dd>
          <dt>{k.remaining}</dt>
          <dd id="key-remaining">{usd(key.remaining_usd)}</dd>
          <dt>{k.expires}</dt>
          <dd>{key.expires_at ? dateTime(key.expires_at, lang) : k.never}</dd>
          <dt>{k.email}</dt>
          <dd class="admin-wrap">{key.email ?? '—'}</dd>
          <dt>{k.order}</dt>
          <dd>{key.order_id ? <a href={`/admin/orders/${encodeURIComponent(key.order_id)}`}>{key.order_id}</a> : '—'}</dd>
          <dt>{k.created}</dt>
          <dd>{dateTime(key.created_at, lang)}</dd>
          <dt>{k.lastUsed}</dt>
          <dd>{dateTime(key.last_used_at, lang)}</dd>
        </dl>
        <div class="actions">
          <button type="button" id="key-toggle" class={`btn ${key.status === 'disabled' ? '' : 'btn-danger-outline'}`} disabled={status.busy} onClick={toggle}>
            {key.status === 'disabled' ? k.enable : k.disable}
          </button>
          <button type="button" id="key-rotate" class="btn btn-danger-outline" disabled={status.busy} onClick={rotate}>
            {k.rotate}
          </button>
        </div>
        <ActionResult error={status.error} done={secret ? null : status.done} id="key-status" />
      </section>
      <div class="admin-cards">
        <TopUp keyData={key} onDone={update} />
        <AmountForm
          id="key-budget-form"
          title={k.setBudget}
          label={k.budget}
          initial={usdInput(key.budget_usd)}
          save={(api, v) => api.updateKey(key.id, { budget_usd: v })}
          onDone={update}
        />
        <PlanForm keyData={key} plans={plans.data?.data.map((p) => p.id) ?? []} onDone={update} />
        <ExpiryForm keyData={key} onDone={update} />
        <LimitsForm keyData={key} plan={plans.data?.data.find((p) => p.id === key.plan_id)} onDone={update} />
      </div>
      <KeyCredits id={key.id} refresh={key.budget_usd} />
      <section class="card">
        <h2>{k.ledger}</h2>
        <AdminErrorNotice error={ledger.error} />
        {ledger.data && <LedgerTable rows={ledger.data.data} id="key-ledger" />}
        {ledger.data && <Pager offset={ledgerOffset} total={ledger.data.total} onChange={setLedgerOffset} />}
      </section>
      {confirm.dialog}
    </>
  );
}

function AmountForm(props: { id: string; title: string; label: string; initial: string; submitLabel?: string; save(api: AdminApi, v: string): Promise<Key>; onDone(k: Key): void; done?: (k: Key) => string }) {
  const { t } = useI18n();
  const [amount, setAmount] = useState(props.initial);
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const next = await action.run((api) => props.save(api, amount.trim()), props.done);
    if (next) props.onDone(next);
  };
  return (
    <form class="card admin-form" onSubmit={submit} id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <Field id={`${props.id}-amount`} label={props.label}>
        <input id={`${props.id}-amount`} inputMode="decimal" required value={amount} onInput={(e) => setAmount(value(e))} />
      </Field>
      <button type="submit" class="btn btn-primary" id={`${props.id}-submit`} disabled={action.busy || !amount.trim()}>
        {props.submitLabel ?? t.admin.save}
      </button>
      <ActionResult error={action.error} done={action.done} id={props.id} />
    </form>
  );
}

function TopUp(props: { keyData: Key; onDone(k: Key): void }) {
  const { t } = useI18n();
  const k = t.admin.keys;
  return (
    <AmountForm
      id="key-topup"
      title={k.topup}
      label={k.amount}
      initial=""
      submitLabel={k.topup}
      save={(api, v) => api.topUp(props.keyData.id, v)}
      onDone={props.onDone}
      done={(next) => fmt(k.topupDone, { budget: usd(next.budget_usd) })}
    />
  );
}

/** One card of the key's settings: its fields, Save, and the result line; onDone gets the key as saved. */
function KeyForm(props: { name: string; title: string; save(api: AdminApi): Promise<Key>; onDone(k: Key): void; children: ComponentChildren }) {
  const { t } = useI18n();
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const next = await action.run(props.save);
    if (next) props.onDone(next);
  };
  return (
    <form class="card admin-form" onSubmit={submit} aria-labelledby={`${props.name}-title`}>
      <h2 id={`${props.name}-title`}>{props.title}</h2>
      {props.children}
      <button type="submit" class="btn btn-primary" disabled={action.busy}>
        {t.admin.save}
      </button>
      <ActionResult error={action.error} done={action.done} />
    </form>
  );
}

function PlanForm(props: { keyData: Key; plans: string[]; onDone(k: Key): void }) {
  const { t } = useI18n();
  const [plan, setPlan] = useState(props.keyData.plan_id);
  useEffect(() => setPlan(props.keyData.plan_id), [props.keyData.plan_id]);
  const options = props.plans.includes(plan) ? props.plans : [plan, ...props.plans];
  return (
    <KeyForm name="key-plan" title={t.admin.keys.changePlan} save={(api) => api.updateKey(props.keyData.id, { plan_id: plan })} onDone={props.onDone}>
      <Field id="key-plan" label={t.admin.keys.plan}>
        <select id="key-plan" value={plan} onChange={(e) => setPlan(value(e))}>
          {options.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
    </KeyForm>
  );
}

function ExpiryForm(props: { keyData: Key; onDone(k: Key): void }) {
  const { t } = useI18n();
  const k = t.admin.keys;
  const [at, setAt] = useState(toLocalInput(props.keyData.expires_at));
  return (
    <KeyForm name="key-expiry" title={k.setExpiry} save={(api) => api.updateKey(props.keyData.id, { expires_at: at ? new Date(at).toISOString() : null })} onDone={props.onDone}>
      <Field id="key-expiry" label={k.expires} help={k.expiryHelp}>
        <input id="key-expiry" type="datetime-local" value={at} onInput={(e) => setAt(value(e))} aria-describedby="key-expiry-help" />
      </Field>
    </KeyForm>
  );
}

function LimitsForm(props: { keyData: Key; plan: Plan | undefined; onDone(k: Key): void }) {
  const { t } = useI18n();
  const k = t.admin.keys;
  const key = props.keyData;
  const [form, setForm] = useState({
    rpm: key.rpm === null ? '' : String(key.rpm),
    concurrency: key.concurrency === null ? '' : String(key.concurrency),
    reasoning: key.show_reasoning === null ? '' : String(key.show_reasoning),
    note: key.note ?? '',
  });
  const num = (s: string) => (s.trim() === '' ? null : Number.parseInt(s, 10));
  const save = (api: AdminApi) =>
    api.updateKey(key.id, {
      rpm: num(form.rpm),
      concurrency: num(form.concurrency),
      show_reasoning: form.reasoning === '' ? null : form.reasoning === 'true',
      note: form.note,
    });
  return (
    <KeyForm name="key-limits" title={k.limits} save={save} onDone={props.onDone}>
      <LimitField id="key-rpm" label={k.rpm} planValue={props.plan?.rpm} value={form.rpm} onInput={(v) => setForm({ ...form, rpm: v })} />
      <LimitField id="key-concurrency" label={k.concurrency} planValue={props.plan?.max_concurrency} value={form.concurrency} onInput={(v) => setForm({ ...form, concurrency: v })} />
      <Field id="key-reasoning" label={k.showReasoning}>
        <select id="key-reasoning" value={form.reasoning} onChange={(e) => setForm({ ...form, reasoning: value(e) })}>
          <option value="">{k.planDefault}</option>
          <option value="true">{t.admin.yes}</option>
          <option value="false">{t.admin.no}</option>
        </select>
      </Field>
      <Field id="key-note" label={k.note}>
        <input id="key-note" value={form.note} onInput={(e) => setForm({ ...form, note: value(e) })} />
      </Field>
    </KeyForm>
  );
}
