import type { Usage } from '../../api/types';
import { statusName, useI18n } from '../../i18n';
import { dateTime, fmt, integer, percent, usd, usdNumber } from '../../lib/format';

/** A ring showing the share of the budget that is left. */
function Gauge(props: { remaining: number; budget: number; label: string }) {
  const ratio = props.budget > 0 ? Math.min(1, Math.max(0, props.remaining / props.budget)) : 0;
  const r = 52;
  const circumference = 2 * Math.PI * r;
  const tone = ratio < 0.1 ? 'low' : ratio < 0.3 ? 'mid' : 'ok';
  return (
    <svg class={`gauge gauge-${tone}`} viewBox="0 0 120 120" width="120" height="120" role="img" aria-label={props.label}>
      <circle class="gauge-track" cx="60" cy="60" r={r} fill="none" stroke-width="12" />
      <circle
        class="gauge-value"
        cx="60"
        cy="60"
        r={r}
        fill="none"
        stroke-width="12"
        stroke-linecap="round"
        stroke-dasharray={`${(circumference * ratio).toFixed(2)} ${circumference.toFixed(2)}`}
        transform="rotate(-90 60 60)"
      />
      <text x="60" y="66" text-anchor="middle" class="gauge-text">
        {Math.round(ratio * 100)}%
      </text>
    </svg>
  );
}

export function UsageSummary(props: { usage: Usage }) {
  const { t, lang } = useI18n();
  const u = props.usage;
  const d = t.dashboard;
  const status = statusName(u.status, t);
  const input = u.tokens.cache_hit + u.tokens.cache_miss;
  const spentLine = fmt(d.spentOf, { spent: usd(u.spent_usd), budget: usd(u.budget_usd) });
  return (
    <div class="grid grid-2 summary">
      <section class="card balance" aria-labelledby="balance-title">
        <Gauge remaining={usdNumber(u.remaining_usd)} budget={usdNumber(u.budget_usd)} label={`${d.remaining}: ${usd(u.remaining_usd)}. ${spentLine}`} />
        <div>
          <h2 id="balance-title" class="label">
            {d.remaining}
          </h2>
          <p class="big" id="remaining">
            {usd(u.remaining_usd)}
          </p>
          <p class="muted" id="spent">
            {spentLine}
          </p>
        </div>
        <dl class="facts wide">
          <dt>{d.plan}</dt>
          <dd id="usage-plan">
            {u.plan_name} <code class="small">{u.plan_id}</code>
          </dd>
          <dt>{d.models}</dt>
          <dd id="usage-models">
            {u.models.map((m) => (
              <code key={m} class="model-chip">
                {m}
              </code>
            ))}
          </dd>
          <dt>{d.rate}</dt>
          <dd id="usage-rpm">{u.rpm === 0 ? t.common.unlimited : fmt(t.common.perMinute, { n: integer(u.rpm, lang) })}</dd>
          <dt>{d.concurrency}</dt>
          <dd id="usage-concurrency">{u.max_concurrency === 0 ? t.common.unlimited : fmt(t.common.atOnce, { n: integer(u.max_concurrency, lang) })}</dd>
          <dt>{d.status}</dt>
          <dd>
            <span class={`badge badge-${u.status}`}>{status}</span>
          </dd>
          <dt>{d.expires}</dt>
          <dd>{u.expires_at ? dateTime(u.expires_at, lang) : d.never}</dd>
          <dt>{d.key}</dt>
          <dd>
            <code>{u.key_hint}</code>
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title" class="label">
          {d.requests}
        </h2>
        <p class="big" id="request-count">
          {integer(u.requests, lang)}
        </p>
        <h3 class="label">{d.tokensTitle}</h3>
        <dl class="facts wide">
          <dt>{d.cacheHit}</dt>
          <dd>{integer(u.tokens.cache_hit, lang)}</dd>
          <dt>{d.cacheMiss}</dt>
          <dd>{integer(u.tokens.cache_miss, lang)}</dd>
          <dt>{d.output}</dt>
          <dd>{integer(u.tokens.output, lang)}</dd>
          <dt>{d.reasoning}</dt>
          <dd>{integer(u.tokens.reasoning, lang)}</dd>
          <dt>{d.cacheHitRate}</dt>
          <dd>{input > 0 ? percent(u.tokens.cache_hit / input, lang) : t.common.dash}</dd>
        </dl>
      </section>
    </div>
  );
}
