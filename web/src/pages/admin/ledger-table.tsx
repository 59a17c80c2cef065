import type { LedgerRow } from '../../api/admin';
import { useI18n } from '../../i18n';
import { toolCallCount } from '../../components/dashboard/requests-table';
import { dateTime, fmt, integer, usd } from '../../lib/format';
import { periodName } from './shared';

/** Ledger rows: the same columns in the key detail and the ledger page. */
export function LedgerTable(props: { rows: LedgerRow[]; id?: string; showKey?: boolean }) {
  const { t, lang } = useI18n();
  const l = t.admin.ledger;
  if (props.rows.length === 0) return <p class="muted">{t.admin.empty}</p>;
  return (
    <div class="table-wrap">
      <table class="requests admin-table stack stack-compact" id={props.id}>
        <thead>
          <tr>
            <th scope="col">{l.colTime}</th>
            {props.showKey && <th scope="col">{l.colKey}</th>}
            <th scope="col">{l.colProtocol}</th>
            <th scope="col">{l.colModel}</th>
            <th scope="col">{l.colPeriod}</th>
            <th scope="col" class="num">
              {l.colTokens}
            </th>
            <th scope="col" class="num">
              {l.colCost}
            </th>
            <th scope="col">{l.colStatus}</th>
            <th scope="col" class="num">
              {l.colDuration}
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.id}>
              <td class="admin-date" data-label={l.colTime}>{dateTime(r.started_at, lang)}</td>
              {props.showKey && (
                <td data-label={l.colKey}>
                  <a href={`/admin/keys/${encodeURIComponent(r.key_id)}`}>
                    <code>{r.key_id}</code>
                  </a>
                </td>
              )}
              <td data-label={l.colProtocol} data-protocol={r.protocol}>
                {t.common.protocols[r.protocol] ?? r.protocol}
              </td>
              <td data-label={l.colModel}>
                <span>
                  <code>{r.model}</code>
                  {r.stream && <span class="tag">{t.dashboard.streamed}</span>}
                </span>
              </td>
              <td data-label={l.colPeriod}>{periodName(r.period, t)}</td>
              <td class="num nowrap" data-label={l.colTokens}>
                {integer(r.prompt_cache_hit_tokens, lang)} / {integer(r.prompt_cache_miss_tokens, lang)} / {integer(r.completion_tokens, lang)}
              </td>
              <td class="num cost" data-label={l.colCost}>
                <span>
                  {usd(r.cost_usd)}
                  {toolCallCount(r.server_tool_calls) > 0 && <span class="tag">{fmt(t.common.toolCalls, { n: toolCallCount(r.server_tool_calls) })}</span>}
                </span>
              </td>
              <td data-label={l.colStatus}>
                <span>
                  {r.status}
                  {r.basis === 'estimated' && <span class="tag">{l.estimated}</span>}
                </span>
              </td>
              <td class="num" data-label={l.colDuration}>
                {r.duration_ms === null ? '—' : `${integer(r.duration_ms, lang)} ms`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
