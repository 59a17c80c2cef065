// Deterministic replies: every output word is one simulator token, drawn from a fixed word list by
// a PRNG seeded with the prompt's hash, so the same prompt always gets the same reply and usage
// is exact.

import { contentText, countSimTokens, splitPieces } from "./tokenizer.ts";
import { MAX_OUTPUT_TOKENS, type ChatRequest, type ToolDef } from "./validate.ts";

export const DEFAULT_CONTENT_TOKENS = 24;
export const DEFAULT_REASONING_TOKENS = 12;

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
  id: string;
  name: string;
  /** Tokens the function name costs (emitted in one delta). */
  nameTokens: number;
  /** Argument pieces, one token each; joined they are the arguments JSON (unless truncated). */
  args: string[];
}

export interface Completion {
  /** Reasoning pieces (one token each); undefined when thinking is disabled. */
  reasoning: string[] | undefined;
  /** Content pieces (one token each). */
  content: string[];
  toolCall: ToolCallOut | undefined;
  finishReason: FinishReason;
  completionTokens: number;
  reasoningTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls" | InterruptReason;

/** The finish reasons DeepSeek ends an answer with before it is done (injected by /_control/next). */
export const INTERRUPT_REASONS = ["content_filter", "insufficient_system_resource"] as const;
export type InterruptReason = (typeof INTERRUPT_REASONS)[number];

/**
 * The answer as DeepSeek ends it early: generation stops after half its tokens (reasoning first,
 * a tool call dropped) with that finish reason, and usage counts what was generated.
 */
export function interrupt(c: Completion, reason: InterruptReason): Completion {
  const keep = Math.floor(c.completionTokens / 2);
  const reasoning = c.reasoning?.slice(0, keep);
  const reasoningTokens = reasoning?.length ?? 0;
  const content = c.content.slice(0, Math.max(0, keep - reasoningTokens));
  return { reasoning, content, toolCall: undefined, finishReason: reason, completionTokens: reasoningTokens + content.length, reasoningTokens };
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

export interface Directives {
  tokens: number | undefined;
  think: number | undefined;
}

/** `#tokens=N` (content tokens) and `#think=N` (reasoning tokens) in the last user message. */
export function readDirectives(text: string): Directives {
  const t = /#tokens=(\d+)/.exec(text);
  const k = /#think=(\d+)/.exec(text);
  return {
    tokens: t ? Math.min(Number(t[1]), MAX_OUTPUT_TOKENS) : undefined,
    think: k ? Math.min(Number(k[1]), MAX_OUTPUT_TOKENS) : undefined,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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

/** Which tool (if any) this request calls: tool_choice forces it, else the last user message asks. */
function chooseTool(req: ChatRequest, lastUserText: string): ToolDef | undefined {
  if (req.tools.length === 0 || req.toolChoice === "none") return undefined;
  const choice = req.toolChoice;
  if (typeof choice === "object") return req.tools.find((t) => t.name === choice.name);
  const last = req.messages[req.messages.length - 1];
  if (choice === "auto" && last?.role !== "user") return undefined; // answer tool results in prose
  const lower = lastUserText.toLowerCase();
  const named = req.tools.find((t) => lower.includes(`call ${t.name.toLowerCase()}`));
  if (named) return named;
  if (choice === "required" || lower.includes("use the tool")) return req.tools[0];
  return undefined;
}

function applyStop(pieces: string[], stop: readonly string[]): { pieces: string[]; stopped: boolean } {
  if (stop.length === 0) return { pieces, stopped: false };
  const text = pieces.join("");
  let cut = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  if (cut < 0) return { pieces, stopped: false };
  return { pieces: splitPieces(text.slice(0, cut)), stopped: true };
}

export function generateCompletion(req: ChatRequest, seed: number): Completion {
  let lastUserText = "";
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role === "user") {
      lastUserText = contentText(m.content);
      break;
    }
  }
  const dir = readDirectives(lastUserText);
  const budget = req.maxTokens ?? MAX_OUTPUT_TOKENS;

  let reasoning: string[] | undefined;
  let reasoningTokens = 0;
  if (req.thinking) {
    const want = dir.think ?? DEFAULT_REASONING_TOKENS;
    reasoningTokens = Math.min(want, budget);
    reasoning = prose(prng(seed ^ 0x5eed1234), reasoningTokens, false, true);
    if (want > budget) {
      return { reasoning, content: [], toolCall: undefined, finishReason: "length", completionTokens: budget, reasoningTokens };
    }
  }
  const remaining = budget - reasoningTokens;
  const rng = prng(seed);

  const tool = chooseTool(req, lastUserText);
  if (tool) {
    const nameTokens = countSimTokens(tool.name);
    const fullArgs = splitPieces(JSON.stringify(sampleObject(isRecord(tool.parameters) ? tool.parameters : {}, rng, 0)));
    if (nameTokens > remaining) {
      return { reasoning, content: [], toolCall: undefined, finishReason: "length", completionTokens: reasoningTokens, reasoningTokens };
    }
    const args = fullArgs.slice(0, remaining - nameTokens);
    const id = `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
    return {
      reasoning,
      content: [],
      toolCall: { id, name: tool.name, nameTokens, args },
      finishReason: args.length < fullArgs.length ? "length" : "tool_calls",
      completionTokens: reasoningTokens + nameTokens + args.length,
      reasoningTokens,
    };
  }

  const want = dir.tokens ?? DEFAULT_CONTENT_TOKENS;
  const leadingSpace = req.prefix !== undefined && req.prefix.length > 0 && !/\s$/.test(req.prefix);
  let pieces: string[];
  if (req.jsonMode) {
    const words = prose(rng, Math.max(1, want - 8), false, false).join("");
    pieces = splitPieces(JSON.stringify({ answer: words }));
  } else {
    pieces = prose(rng, Math.min(want, remaining), leadingSpace, req.prefix === undefined);
  }
  const { pieces: stopped, stopped: hitStop } = applyStop(pieces, req.stop);
  pieces = stopped;
  let finishReason: Completion["finishReason"] = "stop";
  if (!hitStop && (pieces.length > remaining || (!req.jsonMode && want > remaining))) {
    pieces = pieces.slice(0, remaining);
    finishReason = "length";
  }
  return {
    reasoning,
    content: pieces,
    toolCall: undefined,
    finishReason,
    completionTokens: reasoningTokens + pieces.length,
    reasoningTokens,
  };
}
