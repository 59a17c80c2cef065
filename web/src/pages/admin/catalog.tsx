import { useState } from 'preact/hooks';
import type { Model, Plan, Prices, Thinking } from '../../api/admin';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { fmt, integer, usd, usdInput } from '../../lib/format';
import { Schedule } from './schedule';
import { MissingZh, missingZh } from './settings';
import { ToolPrices } from './tool-prices';
import { Field, value } from './fields';
import { ActionResult, AdminErrorNotice, SaveRow, useAction, useConfirm, useLoad } from './shared';

export default function Catalog() {
  const { t } = useI18n();
  const plans = useLoad((api) => api.plans(), []);
  const models = useLoad((api) => api.models(), []);
  return (
    <>
      <h1>{t.admin.nav.catalog}</h1>
      <Plans plans={plans.data?.data} error={plans.error} reload={plans.reload} />
      <section class="card" aria-labelledby="models-title">
        <h2 id="models-title">{t.admin.catalog.modelsTitle}</h2>
        <p class="help">{t.admin.catalog.pricesHelp}</p>
        <AdminErrorNotice error={models.error} />
        {!models.data ? !models.error && <Loading /> : models.data.data.map((m) => <ModelForm key={m.id} model={m} onSaved={models.reload} />)}
      </section>
      <ToolPrices models={models.data?.data.filter((m) => !m.retired).map((m) => m.id) ?? []} />
      <Schedule models={models.data?.data.map((m) => m.id) ?? []} />
    </>
  );
}

function Plans(props: { plans: Plan[] | undefined; error: unknown; reload(): void }) {
  const { t, lang } = useI18n();
  const c = t.admin.catalog;
  const [editing, setEditing] = useState<Plan | 'new' | null>(null);
  const confirm = useConfirm();
  const action = useAction();
  const setRetired = (plan: Plan, retired: boolean) => {
    const run = () => void action.run((api) => api.updatePlan(plan.id, { retired })).then((p) => p && props.reload());
    if (retired) confirm.ask(c.retireConfirm, run);
    else run();
  };
  return (
    <section class="card" aria-labelledby="plans-title">
      <div class="admin-head">
        <h2 id="plans-title">{c.plans}</h2>
        <button type="button" class="btn btn-small" id="plan-new" onClick={() => setEditing('new')}>
          {c.newPlan}
        </button>
      </div>
      <AdminErrorNotice error={props.error} />
      <ActionResult error={action.error} done={null} />
      {editing && (
        <PlanForm
          plan={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            props.reload();
          }}
        />
      )}
      {props.plans && (
        <div class="table-wrap">
          <table class="admin-table stack stack-compact" id="plans-table">
            <thead>
              <tr>
                <th scope="col">{c.name}</th>
                <th scope="col" class="num">{c.price}</th>
                <th scope="col" class="num">{c.budget}</th>
                <th scope="col">{c.models}</th>
                <th scope="col" class="num">{c.rpm}</th>
                <th scope="col" class="num">{c.validity}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.admin.edit}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.plans.map((p) => (
                <tr key={p.id} class={p.retired ? 'admin-retired' : undefined}>
                  <th scope="row">
                    {p.name} <code class="small">{p.id}</code>
                    {p.retired && <span class="tag">{c.retired}</span>}
                    {p.missing_zh && p.missing_zh.length > 0 && (
                      <span class="badge badge-pending admin-missing-zh" data-missing-zh={p.missing_zh.join(' ')} title={t.admin.settings.missingZhHelp}>
                        {t.admin.settings.missingZh}
                      </span>
                    )}
                  </th>
                  <td class="num" data-label={c.price}>
                    {usd(p.price_usd)}
                  </td>
                  <td class="num" data-label={c.budget}>
                    {usd(p.budget_usd)}
                  </td>
                  <td class="admin-wrap" data-label={c.models}>
                    {p.models.join(', ')}
                  </td>
                  <td class="num" data-label={c.rpm}>
                    {integer(p.rpm, lang)}
                  </td>
                  <td class="num" data-label={c.validity}>
                    {integer(p.validity_days, lang)}
                  </td>
                  <td class="admin-row-actions">
                    <button type="button" class="btn btn-small" onClick={() => setEditing(p)}>
                      {t.admin.edit}
                    </button>
                    <button type="button" class={`btn btn-small ${p.retired ? '' : 'btn-danger-outline'}`} data-retire={p.id} onClick={() => setRetired(p, !p.retired)}>
                      {p.retired ? c.unretire : c.retire}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm.dialog}
    </section>
  );
}

function PlanForm(props: { plan: Plan | null; onClose(): void; onSaved(): void }) {
  const { t } = useI18n();
  const c = t.admin.catalog;
  const p = props.plan;
  const [f, setF] = useState({
    id: p?.id ?? '',
    name: p?.name ?? '',
    description: p?.description ?? '',
    name_zh: p?.name_zh ?? '',
    description_zh: p?.description_zh ?? '',
    price_usd: p ? usdInput(p.price_usd) : '',
    budget_usd: p ? usdInput(p.budget_usd) : '',
    models: p?.models.join(', ') ?? '',
    rpm: String(p?.rpm ?? 60),
    max_concurrency: String(p?.max_concurrency ?? 4),
    validity_days: String(p?.validity_days ?? 30),
    sort_order: String(p?.sort_order ?? 0),
  });
  const action = useAction();
  const set = (name: keyof typeof f) => (e: Event) => setF({ ...f, [name]: value(e) });
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = {
      name: f.name.trim(),
      description: f.description,
      name_zh: f.name_zh.trim(),
      description_zh: f.description_zh,
      price_usd: f.price_usd.trim(),
      budget_usd: f.budget_usd.trim(),
      models: f.models.split(/[,\s]+/).filter(Boolean),
      rpm: Number.parseInt(f.rpm, 10),
      max_concurrency: Number.parseInt(f.max_concurrency, 10),
      validity_days: Number.parseInt(f.validity_days, 10),
      sort_order: Number.parseInt(f.sort_order, 10) || 0,
    };
    const saved = await action.run((api) => (p ? api.updatePlan(p.id, body) : api.createPlan({ id: f.id.trim(), ...body })));
    if (saved) props.onSaved();
  };
  const input = (name: keyof typeof f, label: string, extra: Record<string, string> = {}) => (
    <Field id={`plan-${name}`} label={label}>
      <input id={`plan-${name}`} value={f[name]} onInput={set(name)} {...extra} />
    </Field>
  );
  return (
    <form class="admin-subform" onSubmit={submit} aria-labelledby="plan-form-title">
      <h3 id="plan-form-title">{p ? fmt(c.editPlan, { id: p.id }) : c.newPlan}</h3>
      <div class="admin-grid">
        {!p && input('id', c.id, { required: 'true', pattern: '[a-z0-9-]+' })}
        {input('name', c.name, { required: 'true', lang: 'en' })}
        <div class="field">
          <label for="plan-name_zh">{c.nameZh}</label>
          <input id="plan-name_zh" lang="zh-CN" value={f.name_zh} onInput={set('name_zh')} aria-describedby={missingZh(f.name, f.name_zh) ? 'plan-name_zh-missing' : undefined} />
          {missingZh(f.name, f.name_zh) && <MissingZh id="plan-name_zh-missing" />}
        </div>
        {input('price_usd', c.price, { inputMode: 'decimal', required: 'true' })}
        {input('budget_usd', c.budget, { inputMode: 'decimal', required: 'true' })}
        {input('rpm', c.rpm, { inputMode: 'numeric' })}
        {input('max_concurrency', c.maxConcurrency, { inputMode: 'numeric' })}
        {input('validity_days', c.validity, { inputMode: 'numeric' })}
        {input('sort_order', c.sortOrder, { inputMode: 'numeric' })}
      </div>
      <Field id="plan-models" label={c.models} help={c.modelsHelp}>
        <input id="plan-models" value={f.models} onInput={set('models')} aria-describedby="plan-models-help" />
      </Field>
      <div class="admin-pair-fields">
        <Field id="plan-description" label={c.description}>
          <textarea id="plan-description" lang="en" rows={2} value={f.description} onInput={set('description')} />
        </Field>
        <div class="field">
          <label for="plan-description_zh">{c.descriptionZh}</label>
          <textarea
            id="plan-description_zh"
            lang="zh-CN"
            rows={2}
            value={f.description_zh}
            onInput={set('description_zh')}
            aria-describedby={missingZh(f.description, f.description_zh) ? 'plan-description_zh-missing' : undefined}
          />
          {missingZh(f.description, f.description_zh) && <MissingZh id="plan-description_zh-missing" />}
        </div>
      </div>
      <ActionResult error={action.error} done={null} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="plan-save" disabled={action.busy}>
          {t.admin.save}
        </button>
        <button type="button" class="btn" onClick={props.onClose}>
          {t.common.cancel}
        </button>
      </div>
    </form>
  );
}

const PRICE_KINDS: (keyof Prices)[] = ['cache_hit_usd', 'cache_miss_usd', 'output_usd'];
const PERIODS = ['peak', 'off_peak'] as const;

function ModelForm(props: { model: Model; onSaved(): void }) {
  const { t } = useI18n();
  const c = t.admin.catalog;
  const m = props.model;
  const [f, setF] = useState({ name: m.name, upstream_model: m.upstream_model, thinking: m.thinking ?? '', max_output_tokens: String(m.max_output_tokens), retired: m.retired });
  const trimAll = (p: Prices): Prices => ({ cache_hit_usd: usdInput(p.cache_hit_usd), cache_miss_usd: usdInput(p.cache_miss_usd), output_usd: usdInput(p.output_usd) });
  const [prices, setPrices] = useState(() => ({ peak: trimAll(m.prices.peak), off_peak: trimAll(m.prices.off_peak) }));
  const action = useAction();
  const kindLabel: Record<keyof Prices, string> = { cache_hit_usd: t.common.cacheHit, cache_miss_usd: t.common.cacheMiss, output_usd: t.common.output };
  const submit = async (e: Event) => {
    e.preventDefault();
    await action.run((api) =>
      api.updateModel(m.id, {
        name: f.name,
        upstream_model: f.upstream_model,
        thinking: (f.thinking || null) as Thinking,
        max_output_tokens: Number.parseInt(f.max_output_tokens, 10),
        retired: f.retired,
        prices,
      }),
    );
  };
  const base = `model-${m.id}`;
  return (
    <form class="admin-subform" id={base} onSubmit={submit} aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>
        <code>{m.id}</code> {m.retired && <span class="tag">{c.retired}</span>}
      </h3>
      <div class="admin-grid">
        <Field id={`${base}-name`} label={c.name}>
          <input id={`${base}-name`} value={f.name} onInput={(e) => setF({ ...f, name: value(e) })} />
        </Field>
        <Field id={`${base}-upstream`} label={c.upstreamModel}>
          <input id={`${base}-upstream`} value={f.upstream_model} onInput={(e) => setF({ ...f, upstream_model: value(e) })} />
        </Field>
        <Field id={`${base}-thinking`} label={c.thinking}>
          <select id={`${base}-thinking`} value={f.thinking} onChange={(e) => setF({ ...f, thinking: value(e) })}>
            <option value="">{c.thinkingDefault}</option>
            <option value="enabled">{c.thinkingOn}</option>
            <option value="disabled">{c.thinkingOff}</option>
          </select>
        </Field>
        <Field id={`${base}-max`} label={c.maxOutput}>
          <input id={`${base}-max`} inputMode="numeric" value={f.max_output_tokens} onInput={(e) => setF({ ...f, max_output_tokens: value(e) })} />
        </Field>
      </div>
      <div class="table-wrap">
        <table class="admin-prices">
          <caption class="visually-hidden">{t.common.perMillion}</caption>
          <thead>
            <tr>
              <th scope="col">{t.common.priceKind}</th>
              <th scope="col">{t.common.peak}</th>
              <th scope="col">{t.common.offPeak}</th>
            </tr>
          </thead>
          <tbody>
            {PRICE_KINDS.map((kind) => (
              <tr key={kind}>
                <th scope="row">{kindLabel[kind]}</th>
                {PERIODS.map((period) => (
                  <td key={period}>
                    <input
                      id={`${base}-${period}-${kind}`}
                      inputMode="decimal"
                      aria-label={`${kindLabel[kind]}, ${period === 'peak' ? t.common.peak : t.common.offPeak}`}
                      value={prices[period][kind]}
                      onInput={(e) => setPrices({ ...prices, [period]: { ...prices[period], [kind]: value(e) } })}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <label class="check">
        <input type="checkbox" checked={f.retired} onChange={(e) => setF({ ...f, retired: (e.currentTarget as HTMLInputElement).checked })} />
        {c.retireModel}
      </label>
      <SaveRow action={action} id={base} submitId={`${base}-save`} />
    </form>
  );
}
