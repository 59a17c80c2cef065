// What the simulated model does with tools: which client tools it calls (and with what
// arguments, sampled from their schemas), DeepSeek's call ids, and the searches and URL reads
// the service runs for DeepSeek's server tools, billed per call.

import { isRecord, type ServerToolKind, type SimRequest, type ToolDef } from "./request.ts";
import { countSimTokens, splitPieces } from "./tokenizer.ts";
import { prng, word } from "./words.ts";

/** Most URLs one answer reads with deepseek_read_url. */
export const MAX_URL_READS = 5;

export interface ToolCallOut {
  /** DeepSeek's form: call_<two-digit index>_<24 base62 characters>. */
  id: string;
  name: string;
  /** Tokens the function name costs (emitted in one delta). */
  nameTokens: number;
  /** Argument pieces, one token each; joined they are the arguments JSON (or a custom tool's text). */
  args: string[];
  custom: boolean;
}

export interface SearchResult {
  title: string;
  url: string;
  text: string;
}

/** A search or URL read the service ran for the model: billed per call, not in tokens. */
export interface ServerCall {
  id: string;
  kind: ServerToolKind;
  /** The declared tool name (web_search for Anthropic's web_search_2025… tools). */
  name: string;
  input: Record<string, string>;
  results: SearchResult[];
}

/** A tool call /_control/next makes the next request answer with. */
export interface ForcedCall {
  name?: string;
  arguments?: unknown;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** DeepSeek's tool-call id: call_00_… for the first call of an answer, call_01_… for the next. */
export function toolCallId(seed: number, index: number): string {
  const rng = prng(seed ^ Math.imul(index + 1, 0x9e3779b1) ^ 0xca11);
  let tail = "";
  for (let i = 0; i < 24; i++) tail += BASE62[rng() % 62];
  return `call_${String(index).padStart(2, "0")}_${tail}`;
}

function sampleValue(schema: unknown, rng: () => number, depth: number): unknown {
  if (!isRecord(schema)) return word(rng);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case "integer":
    case "number":
      return 1 + (rng() % 100);
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return depth < 3 ? sampleObject(schema, rng, depth + 1) : {};
    default:
      return word(rng);
  }
}

function sampleObject(schema: Record<string, unknown>, rng: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (isRecord(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties)) out[key] = sampleValue(sub, rng, depth);
  }
  return out;
}

/** What apply_patch is called with: a small patch in Codex's format. */
function samplePatch(rng: () => number): string {
  return `*** Begin Patch\n*** Add File: notes/${word(rng)}.txt\n+${word(rng)} ${word(rng)}\n*** End Patch\n`;
}

/**
 * Which tools this request calls. tool_choice forces one; otherwise only a request whose last
 * message is the user's calls tools: each tool named as "call <name>" in the user's text (in the
 * order named), else the first tool for "use the tool" or tool_choice "required".
 */
export function chooseTools(req: SimRequest, lastUserText: string): ToolDef[] {
  if (req.tools.length === 0 || req.toolChoice === "none") return [];
  const choice = req.toolChoice;
  if (typeof choice === "object") return req.tools.filter((t) => t.name === choice.name).slice(0, 1);
  const last = req.messages[req.messages.length - 1];
  if (choice === "auto" && last?.role !== "user") return []; // answer tool results in prose
  const lower = lastUserText.toLowerCase();
  const named = req.tools
    .map((t) => ({ t, at: lower.indexOf(`call ${t.name.toLowerCase()}`) }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((x) => x.t);
  if (named.length > 0) return named;
  if (choice === "required" || lower.includes("use the tool")) return [req.tools[0]!];
  return [];
}

/** The calls of an answer, arguments whole: the chosen tools, or those /_control/next forced. */
export function toolCallsFor(req: SimRequest, tools: readonly ToolDef[], forced: readonly ForcedCall[] | undefined, rng: () => number, seed: number): ToolCallOut[] {
  const picks = forced
    ? forced.map((f) => ({ tool: req.tools.find((t) => t.name === f.name) ?? req.tools[0]!, args: f.arguments }))
    : tools.map((tool) => ({ tool, args: undefined as unknown }));
  return picks.map(({ tool, args }, i) => {
    let text: string;
    if (typeof args === "string") text = args;
    else if (args !== undefined) text = JSON.stringify(args);
    else if (tool.custom) text = samplePatch(rng);
    else text = JSON.stringify(sampleObject(isRecord(tool.parameters) ? tool.parameters : {}, rng, 0));
    return { id: toolCallId(seed, i), name: tool.name, nameTokens: countSimTokens(tool.name), args: splitPieces(text), custom: tool.custom === true };
  });
}

const URL_RE = /https?:\/\/[^\s"'<>()[\]{}]+/g;

/**
 * The searches and URL reads the service runs before the model answers a user message: with
 * a web search tool, `#searches=N` of them (1 by default); with the URL reader, one per link in
 * the user's text (at most MAX_URL_READS).
 */
export function serverCallsFor(req: SimRequest, text: string, searches: number | undefined, seed: number): ServerCall[] {
  const last = req.messages[req.messages.length - 1];
  if (req.serverTools.length === 0 || req.toolChoice === "none" || last?.role !== "user") return [];
  const rng = prng(seed ^ 0x5ea4c4);
  const calls: ServerCall[] = [];
  for (const tool of req.serverTools) {
    if (tool.kind === "web_search") {
      for (let i = 0; i < (searches ?? 1); i++) {
        const query = `${word(rng)} ${word(rng)} ${word(rng)}`;
        const results = [0, 1].map(() => {
          const a = word(rng);
          const b = word(rng);
          return { title: `${a[0]!.toUpperCase()}${a.slice(1)} ${b}`, url: `https://example.com/${a}-${b}`, text: `${a} ${b} ${word(rng)}` };
        });
        calls.push({ id: toolCallId(seed, calls.length), kind: "web_search", name: tool.name, input: { query }, results });
      }
    } else {
      for (const url of [...new Set(text.match(URL_RE) ?? [])].slice(0, MAX_URL_READS)) {
        const results = [{ title: `${word(rng)} ${word(rng)}`, url, text: `${word(rng)} ${word(rng)} ${word(rng)}` }];
        calls.push({ id: toolCallId(seed, calls.length), kind: "read_url", name: tool.name, input: { url }, results });
      }
    }
  }
  return calls;
}

/**
 * The per-call usage of DeepSeek's server tools, as every protocol's usage reports it in
 * `server_tool_use`; undefined when the request declared none.
 */
export function serverToolUse(req: SimRequest, calls: readonly ServerCall[]): { web_search_requests: number; web_fetch_requests: number } | undefined {
  if (req.serverTools.length === 0) return undefined;
  return {
    web_search_requests: calls.filter((s) => s.kind === "web_search").length,
    web_fetch_requests: calls.filter((s) => s.kind === "read_url").length,
  };
}
