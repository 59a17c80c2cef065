import { Elysia } from 'elysia';
import { Err } from '../../errors';
import { refusedView } from '../metering/refusals';
import { detail, type AdminContext } from './context';
import { IdParams, KeyRefusals, RefusalList, RefusalsQuery } from './model';

// Refused requests in the console: per key, UTC day and reason (the ledger page), and one key's
// totals and days (its page). Counts still in memory are included (see metering/refusals.ts).

const REASONS_NOTE =
  'Reasons: budget_exhausted and budget_too_low (402), key_expired (402), model_not_allowed (403), model_not_found (404), rate_limited and concurrency_limited (429), upstream_rejected (DeepSeek refused it; that request also has a ledger row at no cost), bad_request (400). Refused requests cost nothing and are not ledger rows.';

export function refusalRoutes(ctx: AdminContext) {
  const { metering } = ctx.deps;
  return new Elysia({ name: 'admin-refusals', prefix: '/admin/api' })
    .get(
      '/refusals',
      async ({ query }) => {
        const filter = { keyId: query.key_id || undefined, fromDate: query.from, toDate: query.to };
        const rows = await metering.refusals.rows(filter, query.limit ?? 100);
        const hints = new Map<string, string | null>();
        for (const row of rows) if (!hints.has(row.keyId)) hints.set(row.keyId, (await metering.keyById(row.keyId))?.keyHint ?? null);
        return {
          data: rows.map((r) => ({ key_id: r.keyId, key_hint: hints.get(r.keyId) ?? null, date: r.date, reason: r.reason, count: r.count })),
          refused: refusedView(await metering.refusals.totals(filter)),
        };
      },
      { query: RefusalsQuery, response: RefusalList, detail: detail('Refused requests per key, UTC day and reason, newest day first, with their totals', REASONS_NOTE) },
    )
    .get(
      '/keys/:id/refusals',
      async ({ params }) => {
        if (!(await metering.keyById(params.id))) throw Err.adminNotFound('key', params.id);
        const days = await metering.refusals.daily(params.id, 30);
        return {
          refused: refusedView(await metering.refusals.totals({ keyId: params.id })),
          by_day: [...days].map(([date, totals]) => ({ date, refused: refusedView(totals) })),
        };
      },
      { params: IdParams, response: KeyRefusals, detail: detail("A key's refused requests: in all, and per day over the last 30 days", REASONS_NOTE) },
    );
}
