// The way every protocol's request goes through the simulator: record it, authenticate, apply
// the injected faults, read the body, look up the prefix cache, generate, render, deliver. A
// protocol only says how to read its body and how to render the answer.

import type { FaultQueue, RequestLog } from "./control.ts";
import { authError, deserializeError, errorResponse, injectedError, INSUFFICIENT_BALANCE } from "./errors.ts";
import { generateCompletion, interrupt, type Completion } from "./generate.ts";
import type { PrefixCache } from "./prefix-cache.ts";
import { isRecord, type ParseResult, type SimRequest } from "./request.ts";
import { deliverJson, deliverStream, sleepUnlessAborted, type StreamReply } from "./respond.ts";
import { answerKey, scanPrompt, type PrefixProbe, type PromptScan } from "./tokenizer.ts";

export interface SimState {
  /** Accepted keys; undefined = any non-empty key. */
  keys: ReadonlySet<string> | undefined;
  models: ReadonlySet<string>;
  faults: FaultQueue;
  log: RequestLog;
  cache: PrefixCache;
  /** Per key: DeepSeek's balance answer; a key not in it has 100.00 USD. */
  balances: Map<string, { available: boolean; total: string }>;
  tokenIntervalMs: number;
  defaultQueueMs: number;
  keepAliveMs: number;
}

/** One answered request, as a protocol renders it. */
export interface Exchange<R extends SimRequest> {
  req: R;
  completion: Completion;
  promptTokens: number;
  hitTokens: number;
  /** The prompt's hash: seeds anything else that must be deterministic (logprobs). */
  seed: number;
  /** A UUID, as DeepSeek's ids are. */
  id: string;
  /** Unix seconds. */
  created: number;
  fingerprint: string;
}

export interface Protocol<R extends SimRequest> {
  /** The caller's key; Bearer by default. */
  key?(req: Request): string | undefined;
  /** What fault matching needs, read leniently from the raw body: stream flag and offered tool names. */
  peek(body: Record<string, unknown>): { stream: boolean; tools: string[] };
  parse(body: unknown, models: ReadonlySet<string>): ParseResult<R>;
  /** The prompt's tokens; by default those of `req.messages`. */
  scan?(req: R, probe: PrefixProbe): PromptScan;
  /** Whether a later prompt can repeat the answer as an assistant message (a cache unit ends there). */
  answerRepeats: boolean;
  render(x: Exchange<R>): { json: string } | StreamReply;
}

const FINGERPRINTS: Record<string, string> = {
  "deepseek-flash": "fp_5e1d7fe6f2_prod1017",
  "deepseek-v4-pro": "fp_b2d9c7a4e1_prod0813",
};

export function bearerKey(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  if (!h) return undefined;
  const m = /^Bearer\s+(\S.*)$/i.exec(h.trim());
  return m ? m[1]!.trim() : undefined;
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Names of the tools a raw body offers (`name` or `function.name` of each entry). */
export function offeredToolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  const names: string[] = [];
  for (const t of tools) {
    if (!isRecord(t)) continue;
    const name = isRecord(t.function) ? t.function.name : t.name;
    if (typeof name === "string") names.push(name);
  }
  return names;
}

export async function serve<R extends SimRequest>(state: SimState, protocol: Protocol<R>, req: Request, path: string): Promise<Response> {
  const text = await req.text();
  const parsed = parseJson(text);
  state.log.record(req, path, parsed.ok ? parsed.value : text);

  const key = (protocol.key ?? bearerKey)(req);
  if (key === undefined || (state.keys !== undefined && !state.keys.has(key))) return errorResponse(authError(key ?? ""));

  const raw = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
  const f = state.faults.take({ key, ...protocol.peek(raw) });
  if (f?.stallMs) await sleepUnlessAborted(f.stallMs, req.signal);
  if (f?.status !== undefined) return errorResponse(injectedError(f.status, key, f.message));
  if (state.balances.get(key)?.available === false) return errorResponse(INSUFFICIENT_BALANCE);
  if (!parsed.ok) return errorResponse(deserializeError(parsed.message));

  const result = protocol.parse(parsed.value, state.models);
  if (!result.ok) return errorResponse(result.error);
  const r = result.req;

  // A hit is the longest stored unit this prompt repeats whole.
  const units = state.cache.bucket(r.userId);
  let hitTokens = 0;
  const probe: PrefixProbe = (unit, tokens) => {
    if (units.has(unit)) hitTokens = tokens;
  };
  const scan = protocol.scan ? protocol.scan(r, probe) : scanPrompt(r.messages, probe);
  const generated = generateCompletion(r, scan.seed, f?.toolCalls);
  const completion = f?.finishReason ? interrupt(generated, f.finishReason) : generated;
  // Units at the end of the input and, when a later prompt can repeat it, of the output.
  const stored: number[] = [scan.key];
  if (!completion.reasoning && protocol.answerRepeats) {
    const toolCalls = completion.toolCalls.map((t) => ({ function: { name: t.name, arguments: t.args.join("") } }));
    stored.push(answerKey(scan, { content: completion.content.join(""), tool_calls: toolCalls.length > 0 ? toolCalls : undefined }));
  }
  state.cache.store(r.userId, stored);

  const reply = protocol.render({
    req: r,
    completion,
    promptTokens: scan.tokens,
    hitTokens,
    seed: scan.seed,
    id: crypto.randomUUID(),
    created: Math.floor(Date.now() / 1000),
    fingerprint: FINGERPRINTS[r.model] ?? "fp_3a5770e1b4_prod1017",
  });
  const queueMs = f?.queueMs ?? state.defaultQueueMs;
  if ("events" in reply) {
    const plan = { queueMs, keepAliveMs: state.keepAliveMs, tokenIntervalMs: state.tokenIntervalMs, cutAfterChunks: f?.cutAfterChunks, failAfterChunks: f?.failAfterChunks };
    return deliverStream(reply, plan, req.signal);
  }
  const genMs = completion.completionTokens * state.tokenIntervalMs;
  return deliverJson(reply.json, queueMs + genMs, queueMs > 0, state.keepAliveMs, req.signal);
}
