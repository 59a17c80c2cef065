// the one CSV rule, shared with the console's ledger export
import { csvCell } from '../../../../server/lib/csv';
import type { ServerToolCalls, UsageRequest } from '../../api/types';
import { useI18n } from '../../i18n';
import { downloadFile } from '../../lib/download';
import { dateTime, fmt, integer, usd } from '../../lib/format';
import { Money } from '../ui';

/** All of a request's server-side tool calls (web searches, URL reads, files parsed). */
export const toolCallCount = (calls: ServerToolCalls | undefined) => (calls ? calls.web_search + calls.read_url + calls.file_parse : 0);

const CSV_COLUMNS: (keyof UsageRequest)[] = [
  'started_at',
  'request_id',
  'protocol',
  'model',
  'stream',
  'status',
  'finish_reason',
  'prompt_cache_hit_tokens',
  'prompt_cache_miss_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cost_usd',
  'basis',
  'period',
  'duration_ms',
];

function requestsCsv(rows: UsageRequest[]): string {
  const lines = [[...CSV_COLUMNS, 'server_tool_calls', 'server_tool_cost_usd'].join(',')];
  for (const row of rows) lines.push([...CSV_COLUMNS.map((c) => csvCell(row[c])), csvCell(toolCallCount(row.server_tool_calls)), csvCell(row.server_tool_cost_usd)].join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function RequestsTable(props: { rows: UsageRequest[] }) {
  const { t, lang } = useI18n();
  const d = t.dashboard;
  const { rows } = props;
  if (rows.length === 0) return <p class="muted">{d.recentEmpty}</p>;
  const estimated = rows.some((r) => r.basis === 'estimated');
  return (
    <>
      <p class="actions">
        <button
          type="button"
          class="btn btn-small"
          id="csv-export"
          onClick={() => downloadFile(`usage-${new Date().toISOString().slice(0, 10)}.csv`, new Blob([requestsCsv(rows)], { type: 'text/csv;charset=utf-8' }))}
        >
          {d.csv}
        </button>
      </p>
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="recent-title">
        <table class="requests stack stack-compact" id="requests-table">
          <thead>
            <tr>
              <th scope="col">{d.colTime}</th>
              <th scope="col">{d.colProtocol}</th>
              <th scope="col">{d.colModel}</th>
              <th scope="col" class="num">
                {d.colTokens}
              </th>
              <th scope="col" class="num">
                {d.colCost}
              </th>
              <th scope="col">{d.colStatus}</th>
              <th scope="col" class="num">
                {d.colDuration}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.request_id} data-request-id={r.request_id}>
                <td class="nowrap" data-label={d.colTime}>
                  {dateTime(r.started_at, lang)}
                </td>
                <td class="nowrap" data-label={d.colProtocol} data-protocol={r.protocol}>
                  {t.common.protocols[r.protocol] ?? r.protocol}
                </td>
                <td data-label={d.colModel}>
                  {/* one box beside the label on a phone card, not two spread apart */}
                  <span>
                    <code>{r.model}</code>
                    {r.stream && <span class="tag">{d.streamed}</span>}
                  </span>
                </td>
                <td class="num nowrap" data-label={d.colTokens}>
                  {integer(r.prompt_cache_hit_tokens, lang)} / {integer(r.prompt_cache_miss_tokens, lang)} / {integer(r.completion_tokens, lang)}
                </td>
                <td class="num nowrap cost" data-label={d.colCost}>
                  <span>
                    <Money value={r.cost_usd} />
                    {r.basis === 'estimated' && <span class="tag">{d.estimated}</span>}
                    {toolCallCount(r.server_tool_calls) > 0 && <span class="tag">{fmt(t.common.toolCalls, { n: toolCallCount(r.server_tool_calls) })}</span>}
                  </span>
                </td>
                <td class="nowrap" data-label={d.colStatus}>
                  {r.status}
                  {r.finish_reason ? ` · ${r.finish_reason}` : ''}
                </td>
                <td class="num nowrap" data-label={d.colDuration}>
                  {(r.duration_ms / 1000).toFixed(1)} s
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {estimated && <p class="muted small">{d.estimatedNote}</p>}
    </>
  );
}
