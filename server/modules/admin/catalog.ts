import { Elysia } from 'elysia';
import type { Period } from '../../db/schema';
import { Err } from '../../errors';
import { formatUsd, usdPerMillionToNanoPerToken } from '../../lib/money';
import type { PeriodPrices } from '../catalog/store';
import { pricesPerMillion } from '../catalog/views';
import { defined, detail, usdField, timeField, type AdminContext } from './context';
import {
  IdParams,
  ModelCreateBody,
  ModelList,
  ModelPatchBody,
  ModelView,
  PlanCreateBody,
  PlanList,
  PlanPatchBody,
  PlanView,
  PreviewBody,
  PreviewView,
  ScheduleBody,
  ScheduleView,
} from './model';
import { modelView, planView } from './views';


type PriceSetIn = { cache_hit_usd: string; cache_miss_usd: string; output_usd: string };

/** USD per 1M tokens → nano-USD per token; 400 when finer than 0.001 USD per 1M tokens. */
function pricesIn(prices: Partial<Record<Period, PriceSetIn>>): PeriodPrices[] {
  return (Object.entries(prices) as [Period, PriceSetIn | undefined][]).flatMap(([period, p]) => {
    if (!p) return [];
    const one = (field: keyof PriceSetIn) => {
      try {
        return usdPerMillionToNanoPerToken(p[field]);
      } catch (error) {
        throw Err.invalidField(`prices.${period}.${field}`, error instanceof Error ? error.message : 'not a price');
      }
    };
    return [{ period, cacheHitNano: one('cache_hit_usd'), cacheMissNano: one('cache_miss_usd'), outputNano: one('output_usd') }];
  });
}

export function catalogRoutes(ctx: AdminContext) {
  const { deps } = ctx;
  const { catalog } = deps;
  const schedule = () => {
    const s = catalog.schedule();
    return { time_zone: s.timeZone, peak_windows: s.peakWindows, holidays: s.holidays, current_period: catalog.periodAt(new Date(ctx.now())) };
  };
  const planOr404 = (id: string) => {
    const plan = catalog.plan(id);
    if (!plan) throw Err.adminNotFound('plan', id);
    return plan;
  };
  const modelOr404 = (id: string) => {
    const model = catalog.models({ includeRetired: true }).find((m) => m.id === id);
    if (!model) throw Err.adminNotFound('model', id);
    return model;
  };

  return new Elysia({ name: 'admin-catalog', prefix: '/admin/api' })
    .get('/plans', () => ({ data: catalog.plans({ includeRetired: true }).map(planView) }), { response: PlanList, detail: detail('Every plan, retired ones too') })
    .post(
      '/plans',
      async ({ body, request, server }) => {
        const plan = await catalog.createPlan({
          id: body.id,
          name: body.name,
          description: body.description ?? '',
          nameZh: body.name_zh ?? '',
          descriptionZh: body.description_zh ?? '',
          priceNano: usdField('price_usd', body.price_usd),
          budgetNano: usdField('budget_usd', body.budget_usd),
          models: body.models,
          rpm: body.rpm,
          maxConcurrency: body.max_concurrency,
          validityDays: body.validity_days,
          sortOrder: body.sort_order ?? catalog.plans({ includeRetired: true }).length + 1,
        });
        const data = planView(plan);
        await ctx.audit({ request, server }, 'plan.create', plan.id, null, data);
        return data;
      },
      { body: PlanCreateBody, response: PlanView, detail: detail('Adds a plan') },
    )
    .patch(
      '/plans/:id',
      async ({ params, body, request, server }) => {
        const before = planOr404(params.id);
        const plan = await catalog.updatePlan(
          before.id,
          defined({
            name: body.name,
            description: body.description,
            nameZh: body.name_zh,
            descriptionZh: body.description_zh,
            priceNano: body.price_usd === undefined ? undefined : usdField('price_usd', body.price_usd),
            budgetNano: body.budget_usd === undefined ? undefined : usdField('budget_usd', body.budget_usd),
            models: body.models,
            rpm: body.rpm,
            maxConcurrency: body.max_concurrency,
            validityDays: body.validity_days,
            sortOrder: body.sort_order,
            retired: body.retired,
          }),
        );
        const data = planView(plan);
        await ctx.audit({ request, server }, body.retired === true && !before.retired ? 'plan.retire' : 'plan.update', plan.id, planView(before), data);
        return data;
      },
      { params: IdParams, body: PlanPatchBody, response: PlanView, detail: detail('Edits or retires a plan (keys that have it keep working)') },
    )
    .get('/models', () => ({ data: catalog.models({ includeRetired: true }).map((m) => modelView(m, catalog)) }), { response: ModelList, detail: detail('Every model with aliases and prices') })
    .post(
      '/models',
      async ({ body, request, server }) => {
        const model = await catalog.createModel({
          id: body.id,
          name: body.name,
          upstreamModel: body.upstream_model,
          thinking: body.thinking ?? null,
          maxOutputTokens: body.max_output_tokens,
          prices: pricesIn(body.prices),
        });
        const data = modelView(model, catalog);
        await ctx.audit({ request, server }, 'model.create', model.id, null, data);
        return data;
      },
      { body: ModelCreateBody, response: ModelView, detail: detail('Adds a public model with its prices (USD per 1M tokens)') },
    )
    .patch(
      '/models/:id',
      async ({ params, body, request, server }) => {
        const before = modelView(modelOr404(params.id), catalog);
        const model = await catalog.updateModel(params.id, {
          name: body.name,
          upstreamModel: body.upstream_model,
          thinking: body.thinking,
          maxOutputTokens: body.max_output_tokens,
          retired: body.retired,
          prices: body.prices ? pricesIn(body.prices) : undefined,
          aliases: body.aliases?.map((a) => ({ alias: a.alias, thinking: a.thinking ?? null })),
        });
        const data = modelView(model, catalog);
        await ctx.audit({ request, server }, body.prices ? 'model.prices' : 'model.update', model.id, before, data);
        return data;
      },
      { params: IdParams, body: ModelPatchBody, response: ModelView, detail: detail("Edits a model, its prices or its aliases; the next request is priced at the new prices") },
    )
    .get('/price-schedule', schedule, { response: ScheduleView, detail: detail('Peak windows, time zone and holidays') })
    .put(
      '/price-schedule',
      async ({ body, request, server }) => {
        const before = schedule();
        await catalog.setSchedule({ timeZone: body.time_zone, peakWindows: body.peak_windows, holidays: body.holidays });
        const data = schedule();
        await ctx.audit({ request, server }, 'price_schedule.update', 'price_schedule', before, data);
        return data;
      },
      { body: ScheduleBody, response: ScheduleView, detail: detail('Replaces the price schedule') },
    )
    .post(
      '/price-preview',
      ({ body }) => {
        const resolved = catalog.resolveModel(body.model);
        if (!resolved) throw Err.invalidField('model', `unknown model "${body.model}"`);
        const at = body.at === undefined ? new Date(ctx.now()) : new Date(timeField('at', body.at));
        const priced = catalog.cost(
          { cacheHitTokens: body.cache_hit_tokens, cacheMissTokens: body.cache_miss_tokens, outputTokens: body.output_tokens, reasoningTokens: 0 },
          resolved.publicModel,
          at,
        );
        return {
          period: priced.period,
          cost_usd: formatUsd(priced.costNano),
          prices: pricesPerMillion(priced.prices),
        };
      },
      { body: PreviewBody, response: PreviewView, detail: detail('What a request would cost (prices per 1M tokens)') },
    );
}
