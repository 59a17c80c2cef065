import type { ServerToolKind } from '../../../db/schema';
import { isRecord } from '../transform';

// DeepSeek's server-side tools, as each protocol's request declares them: the service searches the
// web, reads URLs or parses files itself and bills each call on top of the tokens. The relay core
// refuses the ones the price book has no per-call price for and holds the others (server-tools.ts).

/** A server-side tool a request asks DeepSeek to run. */
export interface DeclaredServerTool {
  kind: ServerToolKind;
  /** what the request called it (a tool type, or the content type of a file), for the refusal */
  name: string;
  /** where in the body, for the refusal's `param` */
  param: string;
  /** for file parsing: the files the request sends, each parsed once */
  files?: number;
}

/** DeepSeek's own server tools, declared by type on chat, Messages and Responses. */
const DEEPSEEK_TOOL_TYPES: Readonly<Record<string, ServerToolKind>> = { deepseek_web_search: 'web_search', deepseek_read_url: 'read_url' };

/** Messages also takes Anthropic's versioned server tools: web_search_20250305, web_search_20260209, web_fetch_… */
function messagesToolKind(type: string): ServerToolKind | undefined {
  if (type.startsWith('web_search_')) return 'web_search';
  if (type.startsWith('web_fetch_')) return 'read_url';
  return DEEPSEEK_TOOL_TYPES[type];
}

/** One entry per kind (the first declaration names it): a request is held once per tool, whatever the repeats. */
function declaredTools(tools: unknown, kindOf: (type: string) => ServerToolKind | undefined): DeclaredServerTool[] {
  if (!Array.isArray(tools)) return [];
  const found: DeclaredServerTool[] = [];
  tools.forEach((tool, i) => {
    const type = isRecord(tool) && typeof tool.type === 'string' ? tool.type : undefined;
    const kind = type === undefined ? undefined : kindOf(type);
    if (kind && !found.some((f) => f.kind === kind)) found.push({ kind, name: type!, param: `tools.${i}` });
  });
  return found;
}

/** Counts the parts of a content list (and of the lists nested in its parts) whose type is `fileType`. */
function countFiles(content: unknown, fileType: string, nested: string): number {
  if (!Array.isArray(content)) return 0;
  let files = 0;
  for (const part of content) {
    if (!isRecord(part)) continue;
    if (part.type === fileType) files++;
    else files += countFiles(part[nested], fileType, nested);
  }
  return files;
}

function withFiles(found: DeclaredServerTool[], files: number, fileType: string, param: string): DeclaredServerTool[] {
  return files > 0 ? [...found, { kind: 'file_parse', name: fileType, param, files }] : found;
}

const messagesOf = (body: Record<string, unknown>, field: string): unknown[] => (Array.isArray(body[field]) ? (body[field] as unknown[]) : []);

/** Chat: DeepSeek's two tool types, and `file` content parts. */
export function chatServerTools(body: Record<string, unknown>): DeclaredServerTool[] {
  const files = messagesOf(body, 'messages').reduce<number>((n, m) => n + (isRecord(m) ? countFiles(m.content, 'file', 'content') : 0), 0);
  return withFiles(declaredTools(body.tools, (type) => DEEPSEEK_TOOL_TYPES[type]), files, 'file', 'messages');
}

/** Messages: Anthropic's web search and fetch tools and DeepSeek's two; `document` blocks (also inside tool results). */
export function messagesServerTools(body: Record<string, unknown>): DeclaredServerTool[] {
  const files = messagesOf(body, 'messages').reduce<number>((n, m) => n + (isRecord(m) ? countFiles(m.content, 'document', 'content') : 0), 0);
  return withFiles(declaredTools(body.tools, messagesToolKind), files, 'document', 'messages');
}

/** Responses: DeepSeek's two tool types; `input_file` parts of input messages and of tool outputs. */
export function responsesServerTools(body: Record<string, unknown>): DeclaredServerTool[] {
  const files = messagesOf(body, 'input').reduce<number>((n, item) => (isRecord(item) ? n + countFiles(item.content, 'input_file', 'content') + countFiles(item.output, 'input_file', 'content') : n), 0);
  return withFiles(declaredTools(body.tools, (type) => DEEPSEEK_TOOL_TYPES[type]), files, 'input_file', 'input');
}
