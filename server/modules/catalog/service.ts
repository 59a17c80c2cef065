import type { Period, ServerToolKind, Thinking } from '../../db/schema';
import { uniqueOr } from '../../db/unique-violation';
import { Err } from '../../errors';
import type { InvalidationBus } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import { billedCalls, costOf, isValidSchedule, periodAt, type PriceSchedule, type ServerToolCalls, type TokenPrices, type ToolPrice, type Usage } from './price-book';
import type { AliasRow, CatalogRows, CatalogStore, ModelRow, NewModelRow, NewPlanRow, PeriodPrices, PlanRow } from './store';

export interface ModelEdit {
  name?: string;
  upstreamModel?: string;
  thinking?: Thinking | null;
  maxOutputTokens?: number;
  retired?: boolean;
  prices?: PeriodPrices[];
  aliases?: { alias: string; thinking: Thinking | null }[];
}

export interface ResolvedModel {
  /** the public id buyers see, e.g. deepseek-v4-flash */
  publicModel: string;
  upstreamModel: string;
  /** forced thinking mode (from an alias or the model), or null to leave the request's choice */
  thinking: Thinking | null;
  maxOutputTokens: number;
}

export interface PricedUsage {
  /** tokens and server-tool calls together */
  costNano: number;
  period: Period;
  prices: TokenPrices;
  /** the part of costNano that the server-tool calls cost */
  serverToolCostNano: number;
}

/** Most calls of one server tool a price may hold a request for. */
export const MAX_TOOL_CALLS_PER_REQUEST = 1000;
/** Every model: the model id of a server tool's global price. */
export const ALL_MODELS = '*';

interface Snapshot {
  plans: Map<string, PlanRow>;
  models: Map<string, ModelRow>;
  aliases: AliasRow[];
  resolved: Map<string, ResolvedModel>;
  prices: Map<string, TokenPrices>;
  /** server tools' per-call prices by tool and model id ('*': every model) */
  toolPrices: Map<string, ToolPrice>;
  schedule: PriceSchedule;
}

/**
 * Plans, public models and the price book. Read on every request, so they are a snapshot in
 * memory, read synchronously. The snapshot is loaded from the store (load(), at start) and read
 * again whenever the catalog changes: after this service's own writes (which resolve once the new
 * snapshot is in place) and when the 'catalog' topic says another instance or a hand-made edit
 * changed it (invalidate()); until the new one is read, the old one answers.
 */
export function createCatalogService(deps: { store: CatalogStore; bus: InvalidationBus; log?: Logger }) {
  const { store, bus } = deps;
  let snapshot: Snapshot | null = null;
  /** moves on every change: a snapshot read before a change is read again */
  let generation = 0;
  let reading: Promise<void> | null = null;
  // Peak windows are whole minutes, so the period of a minute is computed once.
  let periodCache = { minute: -1, period: 'off_peak' as Period };
  const periodOf = (at: Date): Period => {
    const minute = Math.floor(at.getTime() / 60_000);
    if (minute !== periodCache.minute) periodCache = { minute, period: periodAt(load().schedule, at) };
    return periodCache.period;
  };

  async function readUntilCurrent(): Promise<void> {
    for (;;) {
      const readAt = generation;
      const rows = await store.read();
      if (readAt !== generation) continue; // changed while it was read
      snapshot = build(rows);
      periodCache = { minute: -1, period: 'off_peak' };
      return;
    }
  }

  /** Resolves once the snapshot reflects every change announced so far. */
  function fresh(): Promise<void> {
    reading ??= readUntilCurrent().finally(() => {
      reading = null;
    });
    return reading;
  }

  /** Something in the catalog tables changed: read them again (the old snapshot answers meanwhile). */
  function invalidate(): Promise<void> {
    generation++;
    const next = fresh();
    next.catch((error: unknown) => deps.log?.error('the catalog could not be read again', { error: String(error) }));
    return next;
  }
  bus.subscribe('catalog', () => void invalidate());

  /** After this service's own write: every instance reads it again; resolves once this one has. */
  async function changed(): Promise<void> {
    await bus.publish('catalog');
    await fresh();
  }

  function load(): Snapshot {
    if (!snapshot) throw new Error('the catalog is not loaded yet (await catalog.load() at start)');
    return snapshot;
  }

  function build(rows: CatalogRows): Snapshot {
    const modelRows = rows.models;
    const models = new Map(modelRows.map((m) => [m.id, m]));
    const resolved = new Map<string, ResolvedModel>();
    for (const m of modelRows) {
      if (m.retired) continue;
      resolved.set(m.id, { publicModel: m.id, upstreamModel: m.upstreamModel, thinking: m.thinking, maxOutputTokens: m.maxOutputTokens });
    }
    const aliases = rows.aliases;
    for (const a of aliases) {
      const m = models.get(a.modelId);
      if (!m || m.retired || resolved.has(a.alias)) continue;
      resolved.set(a.alias, { publicModel: m.id, upstreamModel: m.upstreamModel, thinking: a.thinking ?? m.thinking, maxOutputTokens: m.maxOutputTokens });
    }
    const prices = new Map(
      rows.prices.map((p) => [priceKey(p.modelId, p.period), { cacheHitNano: p.cacheHitNano, cacheMissNano: p.cacheMissNano, outputNano: p.outputNano }]),
    );
    const toolPrices = new Map(rows.toolPrices.map((p) => [priceKey(p.modelId, p.tool), p]));
    return { plans: new Map(rows.plans.map((p) => [p.id, p])), models, aliases, resolved, prices, toolPrices, schedule: rows.schedule };
  }

  function pricesFor(modelId: string, period: Period): TokenPrices {
    const prices = load().prices.get(priceKey(modelId, period));
    if (!prices) throw new Error(`no ${period} prices for model ${modelId}`);
    return prices;
  }

  /** The per-call price of a server tool for a model: its own, else the one for every model; undefined: refused. */
  function toolPrice(tool: ServerToolKind, modelId: string): ToolPrice | undefined {
    const { toolPrices } = load();
    return toolPrices.get(priceKey(modelId, tool)) ?? toolPrices.get(priceKey(ALL_MODELS, tool));
  }

  /** What the server-tool calls of a request cost in a period: each tool's calls (at most its max_calls) × its price. */
  function toolCost(calls: ServerToolCalls | undefined, modelId: string, period: Period): number {
    let cost = 0;
    for (const [tool, count] of Object.entries(calls ?? {}) as [ServerToolKind, number][]) {
      const price = toolPrice(tool, modelId);
      // a call the price book has no price for was never allowed through: nothing to bill it at
      if (!price || !count) continue;
      cost += billedCalls(count, price) * (period === 'peak' ? price.peakCallNano : price.offPeakCallNano);
    }
    return cost;
  }

  function checkPlanModels(ids: string[]): void {
    if (ids.length === 0) throw Err.invalidField('models', 'a plan needs at least one model');
    const unknown = ids.filter((m) => !load().models.has(m));
    if (unknown.length > 0) throw Err.invalidField('models', `unknown model ${unknown.join(', ')}`);
  }

  return {
    /** Reads the snapshot (at start, before anything asks the catalog). */
    load: (): Promise<void> => (snapshot ? Promise.resolve() : fresh()),
    async seedDefaults(): Promise<boolean> {
      const seeded = await store.seedDefaults();
      if (seeded) await changed();
      else await fresh();
      return seeded;
    },
    /** Call after a write to the catalog tables made outside this service (a hand-run SQL statement). */
    invalidate,
    // ---- the operator's edits (admin API): checked here, written by the store, then read again everywhere

    async createPlan(row: NewPlanRow): Promise<PlanRow> {
      if (load().plans.has(row.id)) throw Err.invalidField('id', `plan "${row.id}" already exists`);
      checkPlanModels(row.models);
      // the snapshot may not know a plan another request (or instance) created a moment ago
      const created = await uniqueOr(() => store.insertPlan(row), () => Err.invalidField('id', `plan "${row.id}" already exists`));
      await changed();
      return created;
    },
    async updatePlan(id: string, patch: Partial<NewPlanRow>): Promise<PlanRow> {
      if (!load().plans.has(id)) throw Err.adminNotFound('plan', id);
      if (patch.models) checkPlanModels(patch.models);
      const updated = await store.updatePlan(id, patch);
      await changed();
      return updated ?? load().plans.get(id)!;
    },
    async createModel(input: { id: string; name: string; upstreamModel: string; thinking: Thinking | null; maxOutputTokens: number; prices: PeriodPrices[] }): Promise<ModelRow> {
      const current = load();
      if (current.models.has(input.id) || current.resolved.has(input.id)) throw Err.invalidField('id', `the name "${input.id}" is already a model or an alias`);
      if (!hasBothPeriods(input.prices)) throw Err.invalidField('prices', 'give both peak and off_peak prices');
      const insert: NewModelRow = {
        id: input.id,
        displayName: input.name,
        upstreamModel: input.upstreamModel,
        thinking: input.thinking,
        maxOutputTokens: input.maxOutputTokens,
        sortOrder: current.models.size + 1,
      };
      await uniqueOr(() => store.saveModel({ insert, id: input.id, prices: input.prices }), () => Err.invalidField('id', `the name "${input.id}" is already a model or an alias`));
      await changed();
      return load().models.get(input.id)!;
    },
    async updateModel(id: string, edit: ModelEdit): Promise<ModelRow> {
      const current = load();
      if (!current.models.has(id)) throw Err.adminNotFound('model', id);
      if (edit.aliases) {
        const seen = new Set<string>();
        for (const a of edit.aliases) {
          const owner = current.aliases.find((row) => row.alias === a.alias)?.modelId;
          if (current.models.has(a.alias) || (owner !== undefined && owner !== id) || seen.has(a.alias)) {
            throw Err.invalidField('aliases', `"${a.alias}" is already a model or another model's alias`);
          }
          seen.add(a.alias);
        }
      }
      const patch: Partial<NewModelRow> = {
        ...(edit.name === undefined ? {} : { displayName: edit.name }),
        ...(edit.upstreamModel === undefined ? {} : { upstreamModel: edit.upstreamModel }),
        ...(edit.thinking === undefined ? {} : { thinking: edit.thinking }),
        ...(edit.maxOutputTokens === undefined ? {} : { maxOutputTokens: edit.maxOutputTokens }),
        ...(edit.retired === undefined ? {} : { retired: edit.retired }),
      };
      await store.saveModel({ id, patch, prices: edit.prices, aliases: edit.aliases });
      await changed();
      return load().models.get(id)!;
    },
    /** Replaces the peak windows, time zone and holidays; refuses a schedule that cannot be read. */
    async setSchedule(schedule: PriceSchedule): Promise<PriceSchedule> {
      const problem = isValidSchedule(schedule);
      if (problem) throw Err.invalidBody(problem);
      await store.setSchedule(schedule);
      await changed();
      return load().schedule;
    },
    /** Sets a server tool's per-call price for one model or every model ('*'): the tool is allowed from then on. */
    async setToolPrice(price: ToolPrice): Promise<ToolPrice> {
      if (price.modelId !== ALL_MODELS && !load().models.has(price.modelId)) throw Err.invalidField('model', `unknown model "${price.modelId}"`);
      if (!Number.isInteger(price.maxCalls) || price.maxCalls < 1 || price.maxCalls > MAX_TOOL_CALLS_PER_REQUEST) {
        throw Err.invalidField('max_calls_per_request', `a whole number from 1 to ${MAX_TOOL_CALLS_PER_REQUEST}`);
      }
      await store.saveToolPrice(price);
      await changed();
      return toolPrice(price.tool, price.modelId)!;
    },
    /** Removes a server tool's price for one model or every model: without a price that applies, the tool is refused again. */
    async removeToolPrice(tool: ServerToolKind, modelId: string): Promise<boolean> {
      const removed = await store.deleteToolPrice(tool, modelId);
      await changed();
      return removed;
    },
    toolPrices: (): ToolPrice[] => [...load().toolPrices.values()],
    toolPrice,

    /** The aliases of each model as stored, with their forced thinking mode. */
    aliasRows: () => load().aliases,

    plans: (opts: { includeRetired?: boolean } = {}) => [...load().plans.values()].filter((p) => opts.includeRetired || !p.retired),
    plan: (id: string): PlanRow | undefined => load().plans.get(id),
    models: (opts: { includeRetired?: boolean } = {}) => [...load().models.values()].filter((m) => opts.includeRetired || !m.retired),
    resolveModel: (name: string): ResolvedModel | undefined => load().resolved.get(name),
    aliasesByModel(): Map<string, string[]> {
      const out = new Map<string, string[]>();
      for (const [name, resolved] of load().resolved) {
        if (name === resolved.publicModel) continue;
        out.set(resolved.publicModel, [...(out.get(resolved.publicModel) ?? []), name]);
      }
      return out;
    },
    schedule: () => load().schedule,
    periodAt: periodOf,
    pricesFor,
    /** The highest of each price over all periods: what a hold must assume. */
    worstCasePrices(modelId: string): TokenPrices {
      const peak = pricesFor(modelId, 'peak');
      const offPeak = pricesFor(modelId, 'off_peak');
      return {
        cacheHitNano: Math.max(peak.cacheHitNano, offPeak.cacheHitNano),
        cacheMissNano: Math.max(peak.cacheMissNano, offPeak.cacheMissNano),
        outputNano: Math.max(peak.outputNano, offPeak.outputNano),
      };
    },
    /** Prices usage (tokens and server-tool calls) at the prices in force when the request completed. */
    cost(usage: Usage, modelId: string, completedAt: Date): PricedUsage {
      const period = periodOf(completedAt);
      const prices = pricesFor(modelId, period);
      const serverToolCostNano = toolCost(usage.serverTools, modelId, period);
      const costNano = costOf(usage, prices) + serverToolCostNano;
      if (!Number.isSafeInteger(costNano)) throw new RangeError(`cost out of the exact range: ${costNano}`);
      return { costNano, period, prices, serverToolCostNano };
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

function hasBothPeriods(prices: PeriodPrices[]): boolean {
  return prices.some((p) => p.period === 'peak') && prices.some((p) => p.period === 'off_peak');
}

function priceKey(modelId: string, period: Period | ServerToolKind): string {
  return `${modelId}\u0000${period}`;
}
