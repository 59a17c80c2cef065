import type { ServerToolKind } from '../../db/schema';
import { Err } from '../../errors';
import type { ServerToolCalls, Usage } from '../catalog/price-book';
import type { CatalogService, ResolvedModel } from '../catalog/service';
import type { DeclaredServerTool } from './protocols/server-tools';

// DeepSeek's server-side tools in the relay core: refused unless the price book has a per-call
// price for them; then held at their worst case (max_calls per request × the dearer period's
// price; files: the files sent) and billed from DeepSeek's usage (`server_tool_use`) like tokens.

const KIND_NAMES: Record<ServerToolKind, string> = { web_search: 'web search', read_url: 'URL reading', file_parse: 'file parsing' };

/** The hold for a request's server tools, in nano-USD; a 400 naming the first tool the price book does not allow. */
export function serverToolHold(catalog: CatalogService, declared: readonly DeclaredServerTool[], model: ResolvedModel): number {
  let hold = 0;
  for (const tool of declared) {
    const price = catalog.toolPrice(tool.kind, model.publicModel);
    if (!price) throw Err.serverToolDisabled(tool.name, KIND_NAMES[tool.kind], tool.param);
    if (tool.files !== undefined && tool.files > price.maxCalls) throw Err.serverToolFiles(price.maxCalls, tool.files, tool.param);
    hold += (tool.files ?? price.maxCalls) * Math.max(price.peakCallNano, price.offPeakCallNano);
  }
  return hold;
}

/** Files are parsed once DeepSeek took the request, and its usage does not count them: the request's own count is billed. */
export function withParsedFiles(usage: Usage, declared: readonly DeclaredServerTool[]): Usage {
  const files = declared.find((tool) => tool.kind === 'file_parse')?.files;
  return files ? { ...usage, serverTools: { ...usage.serverTools, file_parse: files } } : usage;
}

/**
 * The calls of a stream that ended before DeepSeek's usage: on a protocol whose stream shows them
 * (Messages' server_tool_use blocks, `seen`), those; on the others one per declared search or URL
 * tool once any answer arrived (the service runs them before the model answers), else none.
 */
export function estimatedServerTools(declared: readonly DeclaredServerTool[], seen: ServerToolCalls | undefined, answered: boolean): ServerToolCalls | undefined {
  const calls: ServerToolCalls = {};
  for (const tool of declared) {
    if (tool.kind === 'file_parse') continue;
    const count = seen ? (seen[tool.kind] ?? 0) : answered ? 1 : 0;
    if (count > 0) calls[tool.kind] = count;
  }
  return Object.keys(calls).length > 0 ? calls : undefined;
}
