import type { UsageDay } from '../../api/types';
import { useI18n } from '../../i18n';
import { dateOnly, fmt, integer, sumUsd, usd, usdNumber } from '../../lib/format';

const DAY_MS = 86_400_000;

/** The last `days` UTC dates, oldest first, with zeros where the API had no row. */
export function fillDays(data: UsageDay[], days: number, now = Date.now()): UsageDay[] {
  const byDate = new Map(data.map((d) => [d.date, d]));
  const out: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(now - i * DAY_MS).toISOString().slice(0, 10);
    out.push(byDate.get(date) ?? { date, requests: 0, cost_usd: '0.000000000', tokens: { cache_hit: 0, cache_miss: 0, output: 0, reasoning: 0 } });
  }
  return out;
}

/** Spend per day as bars: hand-drawn SVG, one <title> per bar for the exact numbers. */
export function DailyChart(props: { data: UsageDay[] }) {
  const { t, lang } = useI18n();
  const d = t.dashboard;
  const days = fillDays(props.data, 30);
  const costs = days.map((day) => usdNumber(day.cost_usd));
  const max = Math.max(...costs);
  const requests = days.reduce((n, day) => n + day.requests, 0);
  if (requests === 0) return <p class="muted">{d.dailyEmpty}</p>;
  const total = usd(sumUsd(days.map((day) => day.cost_usd)));
  const width = 600;
  const height = 160;
  const top = 16;
  const bottom = 22;
  const slot = width / days.length;
  const plot = height - top - bottom;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        preserveAspectRatio="none"
        role="img"
        aria-label={fmt(d.dailyLabel, { total, requests: integer(requests, lang) })}
      >
        <line x1="0" x2={width} y1={top + plot} y2={top + plot} class="chart-axis" />
        <line x1="0" x2={width} y1={top} y2={top} class="chart-grid" />
        {days.map((day, i) => {
          const value = costs[i] ?? 0;
          const h = max > 0 ? Math.max(value > 0 ? 2 : 0, (value / max) * plot) : 0;
          return (
            <rect key={day.date} class="chart-bar" x={i * slot + slot * 0.15} y={top + plot - h} width={slot * 0.7} height={h} rx="2">
              <title>{fmt(d.dayTip, { date: dateOnly(day.date, lang), cost: usd(day.cost_usd), requests: integer(day.requests, lang) })}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="chart-caption">
        <span>{dateOnly(days[0]?.date, lang)}</span>
        <span>{fmt(d.dailyTotal, { total, requests: integer(requests, lang) })}</span>
        <span>{dateOnly(days[days.length - 1]?.date, lang)}</span>
      </figcaption>
    </figure>
  );
}
