import { useEffect, useState } from 'preact/hooks';
import type { PeakWindow, Preview } from '../../api/admin';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { fmt, usd } from '../../lib/format';
import { Field, value } from './fields';
import { ActionResult, AdminErrorNotice, periodName, SaveRow, useAction, useLoad } from './shared';

const DAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export function Schedule(props: { models: string[] }) {
  const { t } = useI18n();
  const c = t.admin.catalog;
  const loaded = useLoad((api) => api.schedule(), []);
  const [zone, setZone] = useState('');
  const [windows, setWindows] = useState<PeakWindow[]>([]);
  const [holidays, setHolidays] = useState('');
  const action = useAction();
  useEffect(() => {
    if (!loaded.data) return;
    setZone(loaded.data.time_zone);
    setWindows(loaded.data.peak_windows);
    setHolidays(loaded.data.holidays.join('\n'));
  }, [loaded.data]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await action.run((api) =>
      api.saveSchedule({ time_zone: zone.trim(), peak_windows: windows, holidays: holidays.split(/\s+/).filter(Boolean) }),
    );
    if (saved) loaded.setData(saved);
  };
  const setWindow = (i: number, next: PeakWindow) => setWindows(windows.map((w, j) => (j === i ? next : w)));
  const weekday = (d: number) => (t.home.weekdays as Record<string, string>)[`d${d}`] ?? String(d);
  return (
    <>
      <section class="card" aria-labelledby="schedule-title">
        <h2 id="schedule-title">{c.scheduleTitle}</h2>
        <AdminErrorNotice error={loaded.error} />
        {!loaded.data ? (
          !loaded.error && <Loading />
        ) : (
          <form onSubmit={submit} id="schedule-form">
            <p class="muted">{loaded.data.current_period === 'peak' ? t.common.nowPeak : t.common.nowOffPeak}</p>
            <Field id="schedule-zone" label={c.timeZone} help={c.timeZoneHelp}>
              <input id="schedule-zone" value={zone} onInput={(e) => setZone(value(e))} aria-describedby="schedule-zone-help" />
            </Field>
            <fieldset class="admin-fieldset">
              <legend>{c.peakWindows}</legend>
              {windows.map((w, i) => (
                <div class="admin-window" key={i}>
                  <fieldset class="admin-days">
                    <legend class="visually-hidden">{c.days}</legend>
                    {DAYS.map((d) => (
                      <label key={d} class="admin-day">
                        <input
                          type="checkbox"
                          checked={w.days.includes(d)}
                          onChange={(e) =>
                            setWindow(i, { ...w, days: (e.currentTarget as HTMLInputElement).checked ? [...w.days, d].sort() : w.days.filter((x) => x !== d) })
                          }
                        />
                        {weekday(d)}
                      </label>
                    ))}
                  </fieldset>
                  <label>
                    {c.start}
                    <input type="time" value={w.start} onInput={(e) => setWindow(i, { ...w, start: value(e) })} />
                  </label>
                  <label>
                    {c.end}
                    <input type="time" value={w.end} onInput={(e) => setWindow(i, { ...w, end: value(e) })} />
                  </label>
                  <button type="button" class="btn btn-small" onClick={() => setWindows(windows.filter((_, j) => j !== i))}>
                    {c.removeWindow}
                  </button>
                </div>
              ))}
              <button type="button" class="btn btn-small" onClick={() => setWindows([...windows, { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' }])}>
                {c.addWindow}
              </button>
            </fieldset>
            <Field id="schedule-holidays" label={c.holidays} help={c.holidaysHelp}>
              <textarea id="schedule-holidays" rows={4} class="mono" value={holidays} onInput={(e) => setHolidays(value(e))} aria-describedby="schedule-holidays-help" />
            </Field>
            <SaveRow action={action} />
          </form>
        )}
      </section>
      <PricePreview models={props.models} />
    </>
  );
}

function PricePreview(props: { models: string[] }) {
  const { t } = useI18n();
  const c = t.admin.catalog;
  const [f, setF] = useState({ model: '', hit: '0', miss: '1000', out: '1000', at: '' });
  const [result, setResult] = useState<Preview | null>(null);
  const action = useAction();
  const model = f.model || props.models[0] || '';
  const n = (s: string) => Math.max(0, Number.parseInt(s, 10) || 0);
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await action.run(
      (api) =>
        api.preview({ model, cache_hit_tokens: n(f.hit), cache_miss_tokens: n(f.miss), output_tokens: n(f.out), at: f.at ? new Date(f.at).toISOString() : undefined }),
      () => null,
    );
    setResult(r ?? null);
  };
  const set = (name: keyof typeof f) => (e: Event) => setF({ ...f, [name]: value(e) });
  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">{c.previewTitle}</h2>
      <p class="muted">{c.previewLead}</p>
      <form onSubmit={submit} id="preview-form">
        <div class="admin-grid">
          <Field id="preview-model" label={c.model}>
            <select id="preview-model" value={model} onChange={set('model')}>
              {props.models.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          <Field id="preview-hit" label={t.common.cacheHit}>
            <input id="preview-hit" inputMode="numeric" value={f.hit} onInput={set('hit')} />
          </Field>
          <Field id="preview-miss" label={t.common.cacheMiss}>
            <input id="preview-miss" inputMode="numeric" value={f.miss} onInput={set('miss')} />
          </Field>
          <Field id="preview-out" label={t.common.output}>
            <input id="preview-out" inputMode="numeric" value={f.out} onInput={set('out')} />
          </Field>
          <Field id="preview-at" label={c.at} help={c.atHelp}>
            <input id="preview-at" type="datetime-local" value={f.at} onInput={set('at')} aria-describedby="preview-at-help" />
          </Field>
        </div>
        <button type="submit" class="btn btn-primary" id="preview-submit" disabled={action.busy || !model}>
          {c.preview}
        </button>
      </form>
      <ActionResult error={action.error} done={null} />
      {result && (
        <p class="big" id="preview-result" role="status">
          {fmt(c.previewResult, { cost: usd(result.cost_usd), period: periodName(result.period, t) })}
        </p>
      )}
    </section>
  );
}
