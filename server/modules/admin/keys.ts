import { Elysia } from 'elysia';
import type { Tx } from '../../backend';
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
  const keyOr404 = async (id: string, tx?: Tx) => {
    const row = await metering.keyById(id, tx);
    if (!row) throw Err.adminNotFound('key', id);
    return row;
  };

  return new Elysia({ name: 'admin-keys', prefix: '/admin/api' })
    .get(
      '/keys',
      async ({ query }) => {
        const q = query.q?.trim();
        const whole = q && looksLikeApiKey(q, deps.config.keyPrefix) ? hashApiKey(q) : undefined;
        const { rows, total } = await store.keys({ q, keyHash: whole, status: query.status, planId: query.plan_id }, pageOf(query));
        return { data: rows.map(view), total };
      },
      { query: KeysQuery, response: KeyList, detail: detail('Keys, searched by key hint, email, order id or key id') },
    )
    .post(
      '/keys',
      async ({ body, request, server }) => {
        const input = {
          planId: body.plan_id,
          budgetNano: body.budget_usd === undefined ? undefined : usdField('budget_usd', body.budget_usd),
          email: body.email?.trim().toLowerCase() || null,
          note: body.note ?? null,
          rpmOverride: body.rpm ?? null,
          concurrencyOverride: body.concurrency ?? null,
          expiresDays: body.expires_days ?? null,
        };
        return deps.backend.uow.run(async (tx) => {
          const { key, row } = await metering.createKey(input, tx);
          const data = view(row);
          await ctx.audit({ request, server }, 'key.create', row.id, null, data, tx);
          return { key, data };
        });
      },
      { body: KeyCreateBody, response: KeyIssued, detail: detail('Issues a key; the secret is shown once') },
    )
    .get('/keys/:id', async ({ params }) => view(await keyOr404(params.id)), { params: IdParams, response: KeyView, detail: detail('One key') })
    .patch(
      '/keys/:id',
      async ({ params, body, request, server }) =>
        deps.backend.uow.run(async (tx) => {
          const before = await keyOr404(params.id, tx);
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
          const data = view(await metering.updateKey(before.id, patch, tx));
          await ctx.audit({ request, server }, 'key.update', before.id, view(before), data, tx);
          return data;
        }),
      { params: IdParams, body: KeyPatchBody, response: KeyView, detail: detail('Changes budget, plan, expiry, status, note, limits or the reasoning setting') },
    )
    .post(
      '/keys/:id/topup',
      async ({ params, body, request, server }) =>
        deps.backend.uow.run(async (tx) => {
          const before = await keyOr404(params.id, tx);
          const amount = usdField('amount_usd', body.amount_usd);
          if (amount <= 0) throw Err.invalidField('amount_usd', 'must be more than 0');
          const data = view(await metering.topUp(before.id, amount, tx));
          await ctx.audit({ request, server }, 'key.topup', before.id, view(before), { ...data, amount_usd: body.amount_usd }, tx);
          return data;
        }),
      { params: IdParams, body: TopUpBody, response: KeyView, detail: detail("Adds to the key's budget") },
    )
    .post(
      '/keys/:id/rotate',
      async ({ params, request, server }) =>
        deps.backend.uow.run(async (tx) => {
          const before = await keyOr404(params.id, tx);
          const { key, row } = await metering.rotateSecret(before.id, tx);
          const data = view(row);
          await ctx.audit({ request, server }, 'key.rotate', before.id, { key_hint: before.keyHint }, { key_hint: row.keyHint }, tx);
          return { key, data };
        }),
      { params: IdParams, response: KeyIssued, detail: detail('A new secret for the same key; the old one stops working') },
    )
    .get('/keys/:id/credits', async ({ params }) => ({ data: (await metering.creditsOf((await keyOr404(params.id)).id)).map(creditView) }), {
      params: IdParams,
      response: CreditList,
      detail: detail("What each paid order put on the key (its purchase and every top-up), newest first"),
    })
    .get(
      '/keys/:id/ledger',
      async ({ params, query }) => {
        const key = await keyOr404(params.id);
        const { rows, total } = await store.ledger({ keyId: key.id }, pageOf(query));
        return { data: rows.map(ledgerView), total };
      },
      { params: IdParams, query: t.Object(PageQuery), response: LedgerList, detail: detail("The key's ledger rows, newest first") },
    );
}
