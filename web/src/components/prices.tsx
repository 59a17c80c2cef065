import type { ModelList, Period, PublicModel, Schedule } from '../api/types';
import { useI18n } from '../i18n';
import type { Dict } from '../i18n/en';
import { fmt, integer, usd } from '../lib/format';

/** One model's prices: rows are the three token kinds, columns the two periods. */
export function ModelPrices(props: { model: PublicModel; current: Period }) {
  const { t, lang } = useI18n();
  const { model, current } = props;
  const p = model.per_million_tokens;
  const rows: [string, keyof typeof p.peak][] = [
    [t.common.cacheHit, 'cache_hit_usd'],
    [t.common.cacheMiss, 'cache_miss_usd'],
    [t.common.output, 'output_usd'],
  ];
  const head = (period: Period, label: string) => (
    <th scope="col" class={period === current ? 'is-current' : undefined}>
      {label}
      {period === current && <span class="badge">{t.common.now}</span>}
    </th>
  );
  return (
    <section class="card model-card" aria-labelledby={`model-${model.id}`}>
      <h3 id={`model-${model.id}`}>{model.name ?? model.id}</h3>
      <p class="model-id">
        <code>{model.id}</code>
      </p>
      <div class="table-wrap">
        <table class="prices">
          <caption class="visually-hidden">
            {model.name ?? model.id}: {t.common.perMillion}
          </caption>
          <thead>
            <tr>
              <th scope="col">{t.common.priceKind}</th>
              {head('peak', t.common.peak)}
              {head('off_peak', t.common.offPeak)}
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, field]) => (
              <tr key={field}>
                <th scope="row">{label}</th>
                <td class={current === 'peak' ? 'is-current' : undefined}>{usd(p.peak[field])}</td>
                <td class={current === 'off_peak' ? 'is-current' : undefined}>{usd(p.off_peak[field])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">{t.common.perMillion}</p>
      {model.max_output_tokens ? <p class="muted small">{fmt(t.home.maxOutput, { n: integer(model.max_output_tokens, lang) })}</p> : null}
      {model.aliases && model.aliases.length > 0 && (
        <p class="muted small">{fmt(t.home.aliases, { list: model.aliases.join(', ') })}</p>
      )}
    </section>
  );
}

function dayRange(days: number[], t: Dict): string {
  const names = t.home.weekdays as Record<string, string>;
  const name = (d: number) => names[`d${d}`] ?? String(d);
  const sorted = [...days].sort((a, b) => a - b);
  const contiguous = sorted.every((d, i) => i === 0 || d === (sorted[i - 1] ?? 0) + 1);
  if (sorted.length > 2 && contiguous) return `${name(sorted[0] ?? 1)}–${name(sorted[sorted.length - 1] ?? 1)}`;
  return sorted.map(name).join(', ');
}

/** "Mon–Fri 09:00–12:00, 14:00–18:00": windows grouped by their days. */
function describeSchedule(schedule: Schedule, t: Dict): string {
  const groups = new Map<string, { days: number[]; times: string[] }>();
  for (const w of schedule.peak_windows) {
    const k = [...w.days].sort().join(',');
    const g = groups.get(k) ?? { days: w.days, times: [] };
    g.times.push(`${w.start}–${w.end}`);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => `${dayRange(g.days, t)} ${g.times.join(', ')}`).join('; ');
}

export function PriceSection(props: { models: ModelList }) {
  const { t } = useI18n();
  const { models } = props;
  return (
    <>
      <p class={`period-now period-${models.current_period}`}>
        {models.current_period === 'peak' ? t.common.nowPeak : t.common.nowOffPeak}
      </p>
      <div class="grid grid-2">
        {models.data.map((m) => (
          <ModelPrices key={m.id} model={m} current={models.current_period} />
        ))}
      </div>
      {models.schedule && models.schedule.peak_windows.length > 0 && (
        <>
          <h3>{t.home.scheduleTitle}</h3>
          <p>{fmt(t.home.schedule, { windows: describeSchedule(models.schedule, t), zone: models.schedule.time_zone })}</p>
        </>
      )}
    </>
  );
}
