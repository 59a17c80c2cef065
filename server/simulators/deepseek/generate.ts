// Deterministic replies: every output word is one simulator token, drawn from a fixed word list by
// a PRNG seeded with the prompt's hash, so the same prompt always gets the same reply and usage
// is exact.

import { MAX_OUTPUT_TOKENS, type SimRequest } from "./request.ts";
import { contentText, splitPieces } from "./tokenizer.ts";
import { chooseTools, serverCallsFor, toolCallsFor, type ForcedCall, type ServerCall, type ToolCallOut } from "./tools.ts";
import { prng, word } from "./words.ts";

export { prng, WORDS } from "./words.ts";
export { serverToolUse, type ForcedCall, type ServerCall, type ToolCallOut } from "./tools.ts";

export const DEFAULT_CONTENT_TOKENS = 24;
export const DEFAULT_REASONING_TOKENS = 12;

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

/** The answer to a request. `forced` (from /_control/next) replaces the model's choice of tool calls. */
export function generateCompletion(req: SimRequest, seed: number, forced?: readonly ForcedCall[]): Completion {
  const lastUserText = lastUserMessageText(req.messages);
  const dir = readDirectives(lastUserText);
  const budget = req.maxTokens ?? MAX_OUTPUT_TOKENS;

  let reasoning: string[] | undefined;
  let reasoningTokens = 0;
  const nothing = { serverCalls: [] as ServerCall[], content: [] as string[], toolCalls: [] as ToolCallOut[], stopSequence: undefined };
  if (req.thinking) {
    const want = dir.think ?? DEFAULT_REASONING_TOKENS;
    reasoningTokens = Math.min(want, budget);
    reasoning = prose(prng(seed ^ 0x5eed1234), reasoningTokens, false, true);
    if (want > budget) return { ...nothing, reasoning, finishReason: "length", completionTokens: budget, reasoningTokens };
  }
  let remaining = budget - reasoningTokens;
  const rng = prng(seed);

  const chosen = forced ? [] : chooseTools(req, lastUserText);
  if (forced || chosen.length > 0) {
    const toolCalls: ToolCallOut[] = [];
    let finishReason: FinishReason = "tool_calls";
    for (const call of toolCallsFor(req, chosen, forced, rng, seed)) {
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
    return { ...nothing, reasoning, toolCalls, finishReason, completionTokens: reasoningTokens + toolTokens, reasoningTokens };
  }

  const serverCalls = serverCallsFor(req, lastUserText, dir.searches, seed);
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
