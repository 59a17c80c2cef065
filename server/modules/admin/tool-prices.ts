import { Elysia, t } from 'elysia';
import type { ServerToolKind } from '../../db/schema';
import { Err } from '../../errors';
import { formatUsd } from '../../lib/money';
import type { ToolPrice } from '../catalog/price-book';
import { ALL_MODELS, MAX_TOOL_CALLS_PER_REQUEST } from '../catalog/service';
import { detail, usdField, type AdminContext } from './context';
import { UsdIn } from './model';

// DeepSeek's server-side tools in the price book: a tool with no price that applies to a model is
// refused (400); a price per call (peak and off-peak) for one model or every model ('*') allows
// it, held at max_calls_per_request calls and billed from DeepSeek's usage. Every change is audited.

const Tool = t.Union([t.Literal('web_search'), t.Literal('read_url'), t.Literal('file_parse')], {
  description: 'web_search (web search tools), read_url (URL reading), file_parse (files sent for parsing: documents, input_file and file parts)',
});
const Usd = t.String({ pattern: '^\\d+\\.\\d{9}$', examples: ['0.000750000'] });

const ToolPriceView = t.Object({
  tool: Tool,
  model: t.String({ description: "a public model, or '*' for every model (a model's own price wins)", examples: ['*'] }),
  peak_usd_per_call: Usd,
  off_peak_usd_per_call: Usd,
  max_calls_per_request: t.Integer({ description: 'the most calls of this tool one request is held for and billed' }),
});
const ToolPriceList = t.Object({ data: t.Array(ToolPriceView) });
const ToolPriceBody = t.Object({
  model: t.Optional(t.String({ minLength: 1, description: "a public model; '*' (the default) for every model" })),
  peak_usd_per_call: UsdIn,
  off_peak_usd_per_call: UsdIn,
  max_calls_per_request: t.Integer({ minimum: 1, maximum: MAX_TOOL_CALLS_PER_REQUEST }),
});
const ToolParams = t.Object({ tool: Tool });
const ModelQuery = t.Object({ model: t.Optional(t.String({ minLength: 1, description: "the price's model; '*' (the default) for the price for every model" })) });

export function toolPriceView(price: ToolPrice) {
  return {
    tool: price.tool,
    model: price.modelId,
    peak_usd_per_call: formatUsd(price.peakCallNano),
    off_peak_usd_per_call: formatUsd(price.offPeakCallNano),
    max_calls_per_request: price.maxCalls,
  };
}

export function toolPriceRoutes(ctx: AdminContext) {
  const { catalog } = ctx.deps;
  const current = (tool: ServerToolKind, model: string) => catalog.toolPrices().find((p) => p.tool === tool && p.modelId === model);

  return new Elysia({ name: 'admin-tool-prices', prefix: '/admin/api' })
    .get('/tool-prices', () => ({ data: catalog.toolPrices().map(toolPriceView) }), {
      response: ToolPriceList,
      detail: detail("DeepSeek's server-side tools and their per-call prices", 'A tool without a price that applies to the requested model is refused with a 400 naming it.'),
    })
    .put(
      '/tool-prices/:tool',
      async ({ params, body, request, server }) => {
        const model = body.model ?? ALL_MODELS;
        const before = current(params.tool, model);
        const price = await catalog.setToolPrice({
          tool: params.tool,
          modelId: model,
          peakCallNano: usdField('peak_usd_per_call', body.peak_usd_per_call),
          offPeakCallNano: usdField('off_peak_usd_per_call', body.off_peak_usd_per_call),
          maxCalls: body.max_calls_per_request,
        });
        const data = toolPriceView(price);
        await ctx.audit({ request, server }, 'tool_price.set', `${params.tool}:${model}`, before ? toolPriceView(before) : null, data);
        return data;
      },
      {
        params: ToolParams,
        body: ToolPriceBody,
        response: ToolPriceView,
        detail: detail('Allows a server tool at a price per call', 'For one model or every model; from the next request on, each call is held (max_calls_per_request of them) and billed from the usage DeepSeek reports.'),
      },
    )
    .delete(
      '/tool-prices/:tool',
      async ({ params, query, request, server }) => {
        const model = query.model ?? ALL_MODELS;
        const before = current(params.tool, model);
        if (!before) throw Err.adminNotFound('tool price', `${params.tool}:${model}`);
        await catalog.removeToolPrice(params.tool, model);
        await ctx.audit({ request, server }, 'tool_price.remove', `${params.tool}:${model}`, toolPriceView(before), null);
        return { data: catalog.toolPrices().map(toolPriceView) };
      },
      { params: ToolParams, query: ModelQuery, response: ToolPriceList, detail: detail("Removes a server tool's price: without one that applies, the tool is refused again") },
    );
}
