import type { Refused, RefusalReason } from '../api/types';
import { useI18n } from '../i18n';
import { fmt, integer } from '../lib/format';

/** The reasons in the order they are listed. */
export const REFUSAL_REASONS: RefusalReason[] = [
  'budget_exhausted',
  'budget_too_low',
  'key_expired',
  'model_not_allowed',
  'model_not_found',
  'rate_limited',
  'concurrency_limited',
  'upstream_rejected',
  'bad_request',
];

/** A reason in the page's language; one this page does not know, as the API wrote it. */
export function reasonName(reason: string, reasons: Record<string, string>): string {
  return reasons[reason] ?? reason;
}

/** Refused requests by reason, in words: the buyer's dashboard and the console's key page. */
export function RefusedList(props: { refused: Refused | undefined; id: string }) {
  const { t, lang } = useI18n();
  const r = t.refused;
  const refused = props.refused ?? { total: 0, by_reason: {} };
  if (refused.total === 0)
    return (
      <p class="muted" id={props.id} data-total="0">
        {r.none}
      </p>
    );
  const reasons = r.reasons as Record<string, string>;
  const known = REFUSAL_REASONS.filter((reason) => (refused.by_reason[reason] ?? 0) > 0);
  const other = Object.keys(refused.by_reason).filter((reason) => !REFUSAL_REASONS.includes(reason as RefusalReason));
  return (
    <div id={props.id} data-total={refused.total}>
      <p class="big">{fmt(r.total, { n: integer(refused.total, lang) })}</p>
      <dl class="facts wide refused-reasons">
        {[...known, ...other].map((reason) => (
          <div key={reason} class="refused-row" data-reason={reason}>
            <dt>{reasonName(reason, reasons)}</dt>
            <dd class="num">{integer(refused.by_reason[reason as RefusalReason] ?? 0, lang)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
