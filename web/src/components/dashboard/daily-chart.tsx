import type { UsageDay } from '../../api/types';
import { useI18n } from '../../i18n';
import { BarChart } from '../bar-chart';
import { dateOnly, fmt, integer, monthDay, sumUsd, usd, usdNumber } from '../../lib/format';

const DAY_MS = 86_400_000;

/** The last `days` UTC dates, oldest first, with zeros where the API had no row. */
function fillDays(data: UsageDay[], days: number, now = Date.now()): UsageDay[] {
  const byDate = new Map(data.map((d) => [d.date, d]));
  const out: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(now - i * DAY_MS).toISOString().slice(0, 10);
    out.push(byDate.get(date) ?? { date, requests: 0, cost_usd: '0.000000000', tokens: { cache_hit: 0, cache_miss: 0, output: 0, reasoning: 0 } });
  }
  return out;
}

/** Spend per day as bars, one <title> per bar for the exact numbers. */
export function DailyChart(props: { data: UsageDay[] }) {
  const { t, lang } = useI18n();
  const d = t.dashboard;
  const days = fillDays(props.data, 30);
  const requests = days.reduce((n, day) => n + day.requests, 0);
  if (requests === 0) return <p class="muted">{d.dailyEmpty}</p>;
  const total = usd(sumUsd(days.map((day) => day.cost_usd)));
  return (
    <BarChart
      height={160}
      top={16}
      bottom={22}
      label={fmt(d.dailyLabel, { total, requests: integer(requests, lang) })}
      bars={days.map((day) => ({
        key: day.date,
        value: usdNumber(day.cost_usd),
        tip: fmt(d.dayTip, { date: dateOnly(day.date, lang), cost: usd(day.cost_usd), requests: integer(day.requests, lang) }),
      }))}
      first={monthDay(days[0]?.date, lang)}
      summary={fmt(d.dailyTotal, { total, requests: integer(requests, lang) })}
      last={monthDay(days[days.length - 1]?.date, lang)}
    />
  );
}
