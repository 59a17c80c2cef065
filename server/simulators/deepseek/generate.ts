// Deterministic replies: every output word is one simulator token, drawn from a fixed word list by
// a PRNG seeded with the prompt's hash, so the same prompt always gets the same reply and usage
// is exact.

import { contentText, countSimTokens, splitPieces } from "./tokenizer.ts";
import { isRecord, MAX_OUTPUT_TOKENS, type ServerToolKind, type SimRequest, type ToolDef } from "./request.ts";

export const DEFAULT_CONTENT_TOKENS = 24;
export const DEFAULT_REASONING_TOKENS = 12;
/** Most URLs one answer reads with deepseek_read_url. */
export const MAX_URL_READS = 5;

export const WORDS: readonly string[] = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
  "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
  "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
  "yankee", "zulu", "amber", "river", "stone", "cloud", "maple", "cedar",
  "ocean", "meadow", "harbor", "lantern", "copper", "silver", "garden", "window",
  "bridge", "candle", "forest", "valley", "summit", "prairie", "canyon", "island",
  "orchard", "thunder", "breeze", "comet", "planet", "marble", "pepper", "velvet",
  "willow", "falcon", "otter", "badger", "raven", "tulip", "saffron", "glacier",
];

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

export interface Completion {
  /** Reasoning pieces (one token each); undefined when thinking is disabled. */
  reasoning: string[] | undefined;
  serverCalls: ServerCall[];
  /** Content pieces (one token each). */
  content: string[];
  toolCalls: ToolCallOut[];
  finishReason: FinishReason;
  /** The stop sequence that ended the content, if one did. */
  stopSequence: string | undefined;
  completionTokens: number;
  reasoningTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls" | InterruptReason;

/** The finish reasons an answer can be made to end with early through /_control/next. */
export const INTERRUPT_REASONS = ["length", "content_filter", "insufficient_system_resource"] as const;
export type InterruptReason = (typeof INTERRUPT_REASONS)[number];

/** A tool call /_control/next makes the next request answer with. */
export interface ForcedCall {
  name?: string;
  arguments?: unknown;
}

/** How many calls of that kind the service ran for this answer. */
export function countServerCalls(c: Completion, kind: ServerToolKind): number {
  return c.serverCalls.filter((s) => s.kind === kind).length;
}

/**
 * The first `keep` output tokens of a completion, in the order a stream sends them (reasoning,
 * content, tool calls: name then arguments); with `keepTools` false, tool calls are dropped.
 */
export function truncate(c: Completion, keep: number, finishReason: FinishReason, keepTools = true): Completion {
  const reasoning = c.reasoning?.slice(0, keep);
  let left = keep - (reasoning?.length ?? 0);
  const content = c.content.slice(0, Math.max(0, left));
  left -= content.length;
  const toolCalls: ToolCallOut[] = [];
  if (keepTools) {
    for (const t of c.toolCalls) {
      if (left < t.nameTokens) break;
      left -= t.nameTokens;
      const args = t.args.slice(0, Math.max(0, left));
      left -= args.length;
      toolCalls.push({ ...t, args });
    }
  }
  const reasoningTokens = reasoning?.length ?? 0;
  const toolTokens = toolCalls.reduce((n, t) => n + t.nameTokens + t.args.length, 0);
  return {
    reasoning,
    serverCalls: c.serverCalls,
    content,
    toolCalls,
    finishReason,
    stopSequence: undefined,
    completionTokens: reasoningTokens + content.length + toolTokens,
    reasoningTokens,
  };
}

/**
 * The answer as DeepSeek ends it early: generation stops after half its tokens (reasoning first,
 * tool calls dropped) with that finish reason, and usage counts what was generated.
 */
export function interrupt(c: Completion, reason: InterruptReason): Completion {
  return truncate(c, Math.floor(c.completionTokens / 2), reason, false);
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function word(rng: () => number): string {
  return WORDS[rng() % WORDS.length]!;
}

function prose(rng: () => number, n: number, leadingSpace: boolean, capitalize: boolean): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let w = word(rng);
    if (i === 0 && capitalize) w = w[0]!.toUpperCase() + w.slice(1);
    out[i] = i > 0 || leadingSpace ? ` ${w}` : w;
  }
  return out;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** DeepSeek's tool-call id: call_00_… for the first call of an answer, call_01_… for the next. */
export function toolCallId(seed: number, index: number): string {
  const rng = prng(seed ^ Math.imul(index + 1, 0x9e3779b1) ^ 0xca11);
  let tail = "";
  for (let i = 0; i < 24; i++) tail += BASE62[rng() % 62];
  return `call_${String(index).padStart(2, "0")}_${tail}`;
}

export interface Directives {
  tokens: number | undefined;
  think: number | undefined;
  searches: number | undefined;
}

/** `#tokens=N` (content tokens), `#think=N` (reasoning tokens) and `#searches=N` in the last user message. */
export function readDirectives(text: string): Directives {
  const t = /#tokens=(\d+)/.exec(text);
  const k = /#think=(\d+)/.exec(text);
  const s = /#searches=(\d+)/.exec(text);
  return {
    tokens: t ? Math.min(Number(t[1]), MAX_OUTPUT_TOKENS) : undefined,
    think: k ? Math.min(Number(k[1]), MAX_OUTPUT_TOKENS) : undefined,
    searches: s ? Math.min(Number(s[1]), 10) : undefined,
  };
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
function chooseTools(req: SimRequest, lastUserText: string): ToolDef[] {
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

function applyStop(pieces: string[], stop: readonly string[]): { pieces: string[]; stopSequence: string | undefined } {
  if (stop.length === 0) return { pieces, stopSequence: undefined };
  const text = pieces.join("");
  let cut = -1;
  let which: string | undefined;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) {
      cut = i;
      which = s;
    }
  }
  if (cut < 0) return { pieces, stopSequence: undefined };
  return { pieces: splitPieces(text.slice(0, cut)), stopSequence: which };
}

function lastUserMessageText(messages: readonly Record<string, unknown>[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === "user") return contentText(messages[i]!.content);
  }
  return "";
}

const URL_RE = /https?:\/\/[^\s"'<>()[\]{}]+/g;

/** The searches and URL reads the service runs before the model answers the user's message. */
function serverCallsFor(req: SimRequest, text: string, dir: Directives, rng: () => number, seed: number): ServerCall[] {
  const last = req.messages[req.messages.length - 1];
  if (req.serverTools.length === 0 || req.toolChoice === "none" || last?.role !== "user") return [];
  const calls: ServerCall[] = [];
  for (const tool of req.serverTools) {
    if (tool.kind === "web_search") {
      const n = dir.searches ?? 1;
      for (let i = 0; i < n; i++) {
        const query = `${word(rng)} ${word(rng)} ${word(rng)}`;
        const results = [0, 1].map(() => {
          const a = word(rng);
          const b = word(rng);
          return { title: `${a[0]!.toUpperCase()}${a.slice(1)} ${b}`, url: `https://example.com/${a}-${b}`, text: `${a} ${b} ${word(rng)}` };
        });
        calls.push({ id: toolCallId(seed, calls.length), kind: "web_search", name: tool.name, input: { query }, results });
      }
    } else {
      const urls = [...new Set(text.match(URL_RE) ?? [])].slice(0, MAX_URL_READS);
      for (const url of urls) {
        const results = [{ title: `${word(rng)} ${word(rng)}`, url, text: `${word(rng)} ${word(rng)} ${word(rng)}` }];
        calls.push({ id: toolCallId(seed, calls.length), kind: "read_url", name: tool.name, input: { url }, results });
      }
    }
  }
  return calls;
}

function toolCallsFor(
  req: SimRequest,
  tools: readonly ToolDef[],
  forced: readonly ForcedCall[] | undefined,
  rng: () => number,
  seed: number,
  firstIndex: number,
): { name: string; nameTokens: number; args: string[]; custom: boolean; id: string }[] {
  const picks = forced
    ? forced.map((f) => ({ tool: req.tools.find((t) => t.name === f.name) ?? req.tools[0]!, args: f.arguments }))
    : tools.map((tool) => ({ tool, args: undefined as unknown }));
  return picks.map(({ tool, args }, i) => {
    let text: string;
    if (typeof args === "string") text = args;
    else if (args !== undefined) text = JSON.stringify(args);
    else if (tool.custom) text = samplePatch(rng);
    else text = JSON.stringify(sampleObject(isRecord(tool.parameters) ? tool.parameters : {}, rng, 0));
    return { id: toolCallId(seed, firstIndex + i), name: tool.name, nameTokens: countSimTokens(tool.name), args: splitPieces(text), custom: tool.custom === true };
  });
}

/** The answer to a request. `forced` (from /_control/next) replaces the model's choice of tool calls. */
export function generateCompletion(req: SimRequest, seed: number, forced?: readonly ForcedCall[]): Completion {
  const lastUserText = lastUserMessageText(req.messages);
  const dir = readDirectives(lastUserText);
  const budget = req.maxTokens ?? MAX_OUTPUT_TOKENS;

  let reasoning: string[] | undefined;
  let reasoningTokens = 0;
  const base = { serverCalls: [] as ServerCall[], content: [] as string[], toolCalls: [] as ToolCallOut[], stopSequence: undefined };
  if (req.thinking) {
    const want = dir.think ?? DEFAULT_REASONING_TOKENS;
    reasoningTokens = Math.min(want, budget);
    reasoning = prose(prng(seed ^ 0x5eed1234), reasoningTokens, false, true);
    if (want > budget) return { ...base, reasoning, finishReason: "length", completionTokens: budget, reasoningTokens };
  }
  let remaining = budget - reasoningTokens;
  const rng = prng(seed);

  const chosen = forced ? [] : chooseTools(req, lastUserText);
  if (forced || chosen.length > 0) {
    const toolCalls: ToolCallOut[] = [];
    let finishReason: FinishReason = "tool_calls";
    for (const call of toolCallsFor(req, chosen, forced, rng, seed, 0)) {
      if (call.nameTokens > remaining) {
        finishReason = "length";
        break;
      }
      remaining -= call.nameTokens;
      const args = call.args.slice(0, remaining);
      remaining -= args.length;
      toolCalls.push({ ...call, args });
      if (args.length < call.args.length) {
        finishReason = "length";
        break;
      }
    }
    const toolTokens = toolCalls.reduce((n, t) => n + t.nameTokens + t.args.length, 0);
    return { ...base, reasoning, toolCalls, finishReason, completionTokens: reasoningTokens + toolTokens, reasoningTokens };
  }

  const serverCalls = serverCallsFor(req, lastUserText, dir, prng(seed ^ 0x5ea4c4), seed);
  const want = dir.tokens ?? DEFAULT_CONTENT_TOKENS;
  const leadingSpace = req.prefix !== undefined && req.prefix.length > 0 && !/\s$/.test(req.prefix);
  let pieces: string[];
  if (req.jsonMode) {
    const words = prose(rng, Math.max(1, want - 8), false, false).join("");
    pieces = splitPieces(JSON.stringify({ answer: words }));
  } else {
    pieces = prose(rng, Math.min(want, remaining), leadingSpace, req.prefix === undefined);
  }
  const { pieces: stopped, stopSequence } = applyStop(pieces, req.stop);
  pieces = stopped;
  let finishReason: FinishReason = "stop";
  if (stopSequence === undefined && (pieces.length > remaining || (!req.jsonMode && want > remaining))) {
    pieces = pieces.slice(0, remaining);
    finishReason = "length";
  }
  return { reasoning, serverCalls, content: pieces, toolCalls: [], finishReason, stopSequence, completionTokens: reasoningTokens + pieces.length, reasoningTokens };
}

/**
 * The per-call usage of DeepSeek's server tools, as every protocol's usage reports it in
 * `server_tool_use`; undefined when the request declared none.
 */
export function serverToolUse(req: SimRequest, c: Completion): { web_search_requests: number; web_fetch_requests: number } | undefined {
  if (req.serverTools.length === 0) return undefined;
  return { web_search_requests: countServerCalls(c, "web_search"), web_fetch_requests: countServerCalls(c, "read_url") };
}
