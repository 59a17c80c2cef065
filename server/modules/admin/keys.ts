import { Elysia } from 'elysia';
import { Err } from '../../errors';
import { hashApiKey, looksLikeApiKey } from '../../lib/keys';
import type { KeyPatch } from '../metering/service';
import { detail, pageOf, timeField, usdField, type AdminContext } from './context';
import { CreditList, IdParams, KeyCreateBody, KeyIssued, KeyList, KeyPatchBody, KeysQuery, KeyView, LedgerList, PageQuery, TopUpBody } from './model';
import { creditView, keyView, ledgerView } from './views';
import { t } from 'elysia';


export function keyRoutes(ctx: AdminContext) {
  const { deps, store } = ctx;
  const { metering } = deps;
  const view = (row: Parameters<typeof keyView>[0]) => keyView(row, ctx.now());
  const keyOr404 = (id: string) => {
    const row = metering.keyById(id);
    if (!row) throw Err.adminNotFound('key', id);
    return row;
  };

  return new Elysia({ name: 'admin-keys', prefix: '/admin/api' })
    .get(
      '/keys',
      ({ query }) => {
        const q = query.q?.trim();
        const whole = q && looksLikeApiKey(q, deps.config.keyPrefix) ? hashApiKey(q) : undefined;
        const { rows, total } = store.keys({ q, keyHash: whole, status: query.status, planId: query.plan_id }, pageOf(query));
        return { data: rows.map(view), total };
      },
      { query: KeysQuery, response: KeyList, detail: detail('Keys, searched by key hint, email, order id or key id') },
    )
    .post(
      '/keys',
      ({ body, request, server }) => {
        const { key, row } = metering.createKey({
          planId: body.plan_id,
          budgetNano: body.budget_usd === undefined ? undefined : usdField('budget_usd', body.budget_usd),
          email: body.email?.trim().toLowerCase() || null,
          note: body.note ?? null,
          rpmOverride: body.rpm ?? null,
          concurrencyOverride: body.concurrency ?? null,
          expiresDays: body.expires_days ?? null,
        });
        const data = view(row);
        ctx.audit({ request, server }, 'key.create', row.id, null, data);
        return { key, data };
      },
      { body: KeyCreateBody, response: KeyIssued, detail: detail('Issues a key; the secret is shown once') },
    )
    .get('/keys/:id', ({ params }) => view(keyOr404(params.id)), { params: IdParams, response: KeyView, detail: detail('One key') })
    .patch(
      '/keys/:id',
      ({ params, body, request, server }) => {
        const before = keyOr404(params.id);
        const patch: KeyPatch = {
          budgetNano: body.budget_usd === undefined ? undefined : usdField('budget_usd', body.budget_usd),
          planId: body.plan_id,
          expiresAt: body.expires_at === undefined ? undefined : body.expires_at === null ? null : timeField('expires_at', body.expires_at),
          status: body.status,
          note: body.note,
          rpmOverride: body.rpm,
          concurrencyOverride: body.concurrency,
          showReasoning: body.show_reasoning,
        };
        const after = metering.updateKey(before.id, patch);
        const data = view(after);
        ctx.audit({ request, server }, 'key.update', before.id, view(before), data);
        return data;
      },
      { params: IdParams, body: KeyPatchBody, response: KeyView, detail: detail('Changes budget, plan, expiry, status, note, limits or the reasoning setting') },
    )
    .post(
      '/keys/:id/topup',
      ({ params, body, request, server }) => {
        const before = keyOr404(params.id);
        const amount = usdField('amount_usd', body.amount_usd);
        if (amount <= 0) throw Err.invalidField('amount_usd', 'must be more than 0');
        const data = view(metering.topUp(before.id, amount));
        ctx.audit({ request, server }, 'key.topup', before.id, view(before), { ...data, amount_usd: body.amount_usd });
        return data;
      },
      { params: IdParams, body: TopUpBody, response: KeyView, detail: detail("Adds to the key's budget") },
    )
    .post(
      '/keys/:id/rotate',
      ({ params, request, server }) => {
        const before = keyOr404(params.id);
        const { key, row } = metering.rotateSecret(before.id);
        const data = view(row);
        ctx.audit({ request, server }, 'key.rotate', before.id, { key_hint: before.keyHint }, { key_hint: row.keyHint });
        return { key, data };
      },
      { params: IdParams, response: KeyIssued, detail: detail('A new secret for the same key; the old one stops working') },
    )
    .get('/keys/:id/credits', ({ params }) => ({ data: metering.creditsOf(keyOr404(params.id).id).map(creditView) }), {
      params: IdParams,
      response: CreditList,
      detail: detail("What each paid order put on the key (its purchase and every top-up), newest first"),
    })
    .get(
      '/keys/:id/ledger',
      ({ params, query }) => {
        const key = keyOr404(params.id);
        const { rows, total } = store.ledger({ keyId: key.id }, pageOf(query));
        return { data: rows.map(ledgerView), total };
      },
      { params: IdParams, query: t.Object(PageQuery), response: LedgerList, detail: detail("The key's ledger rows, newest first") },
    );
}
