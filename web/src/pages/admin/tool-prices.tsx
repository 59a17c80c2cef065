import { useState } from 'preact/hooks';
import type { ToolKind, ToolPrice } from '../../api/admin';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { fmt, integer, usd, usdInput } from '../../lib/format';
import { Field, value } from './fields';
import { ActionResult, AdminErrorNotice, SaveRow, useAction, useConfirm, useLoad } from './shared';

// DeepSeek's server-side tools in the price book (/admin/api/tool-prices): which are allowed, at
// what price per call, for every model or one; without a price a tool is refused.

const TOOLS: ToolKind[] = ['web_search', 'read_url', 'file_parse'];
const ALL = '*';

export function ToolPrices(props: { models: string[] }) {
  const { t, lang } = useI18n();
  const c = t.admin.catalog;
  const prices = useLoad((api) => api.toolPrices(), []);
  const remove = useAction();
  const confirm = useConfirm();
  const modelName = (model: string) => (model === ALL ? c.toolModelAll : model);
  const onRemove = (p: ToolPrice) => confirm.ask(c.toolRemoveConfirm, () => void remove.run((api) => api.removeToolPrice(p.tool, p.model)).then((r) => r && prices.reload()));
  return (
    <section class="card" aria-labelledby="tools-title" id="tool-prices">
      <h2 id="tools-title">{c.toolsTitle}</h2>
      <p class="help">{c.toolsHelp}</p>
      <AdminErrorNotice error={prices.error} />
      <ActionResult error={remove.error} done={null} />
      {!prices.data ? (
        !prices.error && <Loading />
      ) : prices.data.data.length === 0 ? (
        <p class="muted" id="tool-prices-none">
          {c.toolNone}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="admin-table stack stack-compact" id="tool-prices-table">
            <thead>
              <tr>
                <th scope="col">{c.colTool}</th>
                <th scope="col">{c.toolModel}</th>
                <th scope="col" class="num">{c.toolPeak}</th>
                <th scope="col" class="num">{c.toolOffPeak}</th>
                <th scope="col" class="num">{c.toolMaxCalls}</th>
                <th scope="col">
                  <span class="visually-hidden">{c.toolRemove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {prices.data.data.map((p) => (
                <tr key={`${p.tool}:${p.model}`} data-tool={p.tool} data-model={p.model}>
                  <th scope="row">{c.toolNames[p.tool]}</th>
                  <td data-label={c.toolModel}>{p.model === ALL ? modelName(p.model) : <code>{p.model}</code>}</td>
                  <td class="num" data-label={c.toolPeak}>
                    {usd(p.peak_usd_per_call)}
                  </td>
                  <td class="num" data-label={c.toolOffPeak}>
                    {usd(p.off_peak_usd_per_call)}
                  </td>
                  <td class="num" data-label={c.toolMaxCalls}>
                    {integer(p.max_calls_per_request, lang)}
                  </td>
                  <td>
                    <button type="button" class="btn btn-small" onClick={() => onRemove(p)}>
                      {c.toolRemove}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ToolPriceForm models={props.models} onSaved={prices.reload} />
      {confirm.dialog}
    </section>
  );
}

function ToolPriceForm(props: { models: string[]; onSaved(): void }) {
  const { t } = useI18n();
  const c = t.admin.catalog;
  const [f, setF] = useState({ tool: 'web_search' as ToolKind, model: ALL, peak: '0.00075', offPeak: '0.00075', maxCalls: '10' });
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await action.run(
      (api) => api.setToolPrice(f.tool, { model: f.model, peak_usd_per_call: usdInput(f.peak), off_peak_usd_per_call: usdInput(f.offPeak), max_calls_per_request: Number.parseInt(f.maxCalls, 10) }),
      (p) => fmt(c.toolSaved, { tool: c.toolNames[p.tool] }),
    );
    if (saved) props.onSaved();
  };
  return (
    <form class="admin-subform" id="tool-price-form" onSubmit={submit} aria-labelledby="tool-price-form-title">
      <h3 id="tool-price-form-title">{c.toolAdd}</h3>
      <div class="admin-grid">
        <Field id="tool-price-tool" label={c.colTool}>
          <select id="tool-price-tool" value={f.tool} onChange={(e) => setF({ ...f, tool: value(e) as ToolKind })}>
            {TOOLS.map((tool) => (
              <option key={tool} value={tool}>
                {c.toolNames[tool]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="tool-price-model" label={c.toolModel}>
          <select id="tool-price-model" value={f.model} onChange={(e) => setF({ ...f, model: value(e) })}>
            <option value={ALL}>{c.toolModelAll}</option>
            {props.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </Field>
        <Field id="tool-price-peak" label={c.toolPeak}>
          <input id="tool-price-peak" inputMode="decimal" value={f.peak} onInput={(e) => setF({ ...f, peak: value(e) })} />
        </Field>
        <Field id="tool-price-off-peak" label={c.toolOffPeak}>
          <input id="tool-price-off-peak" inputMode="decimal" value={f.offPeak} onInput={(e) => setF({ ...f, offPeak: value(e) })} />
        </Field>
        <Field id="tool-price-max" label={c.toolMaxCalls}>
          <input id="tool-price-max" inputMode="numeric" value={f.maxCalls} onInput={(e) => setF({ ...f, maxCalls: value(e) })} />
        </Field>
      </div>
      <SaveRow action={action} id="tool-price" submitId="tool-price-save" />
    </form>
  );
}
