// DeepSeek API simulator: DeepSeek's paths and wire formats (chat completions, Anthropic
// Messages, Responses, FIM; models, balance, errors, prefix cache, keep-alives), deterministic
// replies, and a test-only control API under /_control. Used by `tollgate demo`,
// `tollgate simulate-upstream`, tests and benchmarks.
//
// Routes match by path suffix, so the simulator also works when mounted under a prefix.

import { messagesProtocol } from "./deepseek/anthropic.ts";
import { chatProtocol } from "./deepseek/chat.ts";
import { fimProtocol } from "./deepseek/fim.ts";
import { responsesProtocol } from "./deepseek/responses.ts";
import { FaultQueue, parseFaultRule, RequestLog } from "./deepseek/control.ts";
import { authError, errorResponse, METHOD_NOT_ALLOWED, NOT_FOUND, type SimError } from "./deepseek/errors.ts";
import { bearerKey, parseJson, serve, type Protocol, type SimState } from "./deepseek/pipeline.ts";
import { PrefixCache } from "./deepseek/prefix-cache.ts";
import type { SimRequest } from "./deepseek/request.ts";
import { JSON_HEADERS } from "./deepseek/respond.ts";

export { countSimTokens, simTokenize, countPromptTokens, MESSAGE_OVERHEAD_TOKENS } from "./deepseek/tokenizer.ts";
export { DEFAULT_CONTENT_TOKENS, DEFAULT_REASONING_TOKENS, INTERRUPT_REASONS, WORDS } from "./deepseek/generate.ts";
export { MAX_OUTPUT_TOKENS, MODEL_ALIASES, THINKING_LOGPROBS, REASONING_CONTENT_MISSING, TOOL_MESSAGES_MISSING } from "./deepseek/validate.ts";
export { THINKING_TOOL_CHOICE } from "./deepseek/request.ts";
export { INVALID_USER_ID, THINKING_BLOCK_MISSING, mapMessagesModel } from "./deepseek/anthropic.ts";
export { REASONING_TEXT_MISSING } from "./deepseek/responses.ts";
export { FIM_MAX_TOKENS, FIM_THINKING } from "./deepseek/fim.ts";
export { FIM_OVERHEAD_TOKENS, scanFim } from "./deepseek/tokenizer.ts";

export interface DeepSeekSimulatorOptions {
  /** Accepted bearer keys; empty/undefined = accept any non-empty bearer key. */
  keys?: string[];
  /** Streaming pace (also the non-stream generation time); 0/undefined = no delay. */
  tokensPerSecond?: number;
  /** Default queue delay before inference starts (0 default). */
  queueMs?: number;
  /** While queued, send keep-alives this often (default 1000). */
  keepAliveIntervalMs?: number;
  /** Served models (default ['deepseek-flash', 'deepseek-v4-pro']). */
  models?: string[];
}

export interface DeepSeekSimulator {
  fetch(req: Request): Promise<Response>;
  reset(): void;
}

export const DEFAULT_MODELS: readonly string[] = ["deepseek-flash", "deepseek-v4-pro"];

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.length;
  const q = url.indexOf("?", start);
  if (q >= 0) end = q;
  const h = url.indexOf("#", start);
  if (h >= 0 && h < end) end = h;
  let path = url.slice(start, end);
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return path;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: JSON_HEADERS });
}

export function createDeepSeekSimulator(opts: DeepSeekSimulatorOptions = {}): DeepSeekSimulator {
  const keys = opts.keys && opts.keys.length > 0 ? new Set(opts.keys) : undefined;
  const modelList = opts.models && opts.models.length > 0 ? [...opts.models] : [...DEFAULT_MODELS];
  const models: ReadonlySet<string> = new Set(modelList);
  const tokenIntervalMs = opts.tokensPerSecond && opts.tokensPerSecond > 0 ? 1000 / opts.tokensPerSecond : 0;
  const defaultQueueMs = Math.max(0, opts.queueMs ?? 0);
  const keepAliveMs = Math.max(1, opts.keepAliveIntervalMs ?? 1000);
  const modelsBody = JSON.stringify({ object: "list", data: modelList.map((id) => ({ id, object: "model", owned_by: "deepseek" })) });

  const state: SimState = {
    keys,
    models,
    faults: new FaultQueue(),
    log: new RequestLog(1000),
    cache: new PrefixCache(),
    balances: new Map(),
    tokenIntervalMs,
    defaultQueueMs,
    keepAliveMs,
  };
  const { faults, log, cache, balances } = state;
  const chat = chatProtocol(false);
  const betaChat = chatProtocol(true);

  function reset(): void {
    faults.clear();
    log.clear();
    cache.clear();
    balances.clear();
  }

  /** The caller's key, or the 401 to answer. */
  function authenticate(req: Request): { key: string } | { error: SimError } {
    const key = bearerKey(req);
    if (key === undefined || (keys !== undefined && !keys.has(key))) return { error: authError(key ?? "") };
    return { key };
  }

  /** The protocol a POST path speaks, if any. */
  function protocolFor(path: string): Protocol<SimRequest> | undefined {
    if (path.endsWith("/anthropic/v1/messages") || path.endsWith("/anthropic/messages")) return messagesProtocol as Protocol<SimRequest>;
    if (path.endsWith("/beta/chat/completions")) return betaChat as Protocol<SimRequest>;
    if (path.endsWith("/beta/completions")) return fimProtocol as Protocol<SimRequest>;
    if (path.endsWith("/responses")) return responsesProtocol as Protocol<SimRequest>;
    if (path.endsWith("/chat/completions")) return chat as Protocol<SimRequest>;
    return undefined;
  }

  function balance(key: string): Response {
    const { available, total } = balances.get(key) ?? { available: true, total: "100.00" };
    return json({
      is_available: available,
      balance_infos: [{ currency: "USD", total_balance: total, granted_balance: "0.00", topped_up_balance: total }],
    });
  }

  async function control(req: Request, path: string): Promise<Response> {
    const action = path.slice(path.lastIndexOf("/_control/") + "/_control/".length);
    if (action === "requests") {
      if (req.method !== "GET") return errorResponse(METHOD_NOT_ALLOWED);
      return json({ data: log.list() });
    }
    if (req.method !== "POST") return errorResponse(METHOD_NOT_ALLOWED);
    if (action === "reset") {
      reset();
      return json({ ok: true });
    }
    const text = await req.text();
    const parsed = parseJson(text || "{}");
    if (!parsed.ok) return json({ error: { message: `invalid JSON: ${parsed.message}` } }, 400);
    const body = parsed.value;
    if (action === "next") {
      const rule = parseFaultRule(body);
      if (typeof rule === "string") return json({ error: { message: rule } }, 400);
      faults.add(rule);
      return json({ ok: true, pending: faults.pending });
    }
    if (action === "balance") {
      const b = body as Record<string, unknown> | null;
      const total = b?.total_balance;
      const totalOk = total === undefined || (typeof total === "string" && /^\d+(\.\d{1,2})?$/.test(total));
      if (!b || typeof b.key !== "string" || (b.available !== undefined && typeof b.available !== "boolean") || !totalOk || (b.available === undefined && total === undefined)) {
        return json({ error: { message: 'body must be {"key": string, "available"?: boolean, "total_balance"?: "12.34"} with at least one of the two' } }, 400);
      }
      // A balance above zero is usable unless said otherwise; "available" alone keeps the old amounts.
      const available = typeof b.available === "boolean" ? b.available : Number(total) > 0;
      const amount = typeof total === "string" ? Number(total).toFixed(2) : available ? "100.00" : "0.00";
      balances.set(b.key, { available, total: amount });
      return json({ ok: true });
    }
    return errorResponse(NOT_FOUND);
  }

  async function handle(req: Request): Promise<Response> {
    const path = pathOf(req.url);
    if (path.includes("/_control/")) return control(req, path);

    const protocol = protocolFor(path);
    if (protocol) {
      if (req.method !== "POST") {
        log.record(req, path, null);
        return errorResponse(METHOD_NOT_ALLOWED);
      }
      return serve(state, protocol, req, path);
    }

    const isModels = path.endsWith("/models");
    const isBalance = path.endsWith("/user/balance");
    log.record(req, path, null);
    if (!isModels && !isBalance) return errorResponse(NOT_FOUND);
    if (req.method !== "GET") return errorResponse(METHOD_NOT_ALLOWED);
    const auth = authenticate(req);
    if ("error" in auth) return errorResponse(auth.error);
    return isModels ? new Response(modelsBody, { headers: JSON_HEADERS }) : balance(auth.key);
  }

  return {
    async fetch(req: Request): Promise<Response> {
      try {
        return await handle(req);
      } catch (e) {
        return errorResponse({ status: 500, message: `Server Error: ${(e as Error).message}`, type: "server_error", code: "server_error" });
      }
    },
    reset,
  };
}

export function startDeepSeekSimulator(opts: DeepSeekSimulatorOptions & { port?: number; hostname?: string } = {}): {
  url: string;
  port: number;
  stop(): Promise<void>;
  sim: DeepSeekSimulator;
} {
  const sim = createDeepSeekSimulator(opts);
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Bun.serve({
    port: opts.port ?? 0,
    hostname,
    idleTimeout: 255,
    fetch: (req) => sim.fetch(req),
  });
  const port = server.port ?? opts.port ?? 0;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    url: `http://${host}:${port}`,
    port,
    sim,
    async stop() {
      await server.stop(true);
    },
  };
}
