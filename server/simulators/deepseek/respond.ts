// Renders completions in DeepSeek's wire format and delivers them: at once, paced, queued with
// keep-alives, or cut off abruptly.

import type { Completion } from "./generate.ts";
import type { TokenLogprob } from "./logprobs.ts";

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  prompt_cache_hit_tokens: number;
  prompt_cache_miss_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

export function makeUsage(promptTokens: number, hitTokens: number, c: Completion): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: c.completionTokens,
    total_tokens: promptTokens + c.completionTokens,
    prompt_tokens_details: { cached_tokens: hitTokens },
    prompt_cache_hit_tokens: hitTokens,
    prompt_cache_miss_tokens: promptTokens - hitTokens,
    completion_tokens_details: { reasoning_tokens: c.reasoningTokens },
  };
}

/** The non-streaming `chat.completion` body; with logprobs, one entry per content token. */
export function renderCompletion(meta: ResponseMeta, c: Completion, usage: Usage, logprobs?: TokenLogprob[]): string {
  const message: Record<string, unknown> = { role: "assistant", content: c.content.join("") };
  if (c.reasoning) message.reasoning_content = c.reasoning.join("");
  if (c.toolCall) {
    const t = c.toolCall;
    message.tool_calls = [{ index: 0, id: t.id, type: "function", function: { name: t.name, arguments: t.args.join("") } }];
  }
  return JSON.stringify({
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    system_fingerprint: meta.fingerprint,
    choices: [{ index: 0, message, logprobs: logprobs ? { content: logprobs } : null, finish_reason: c.finishReason }],
    usage,
  });
}

export const DONE_EVENT = "data: [DONE]\n\n";

/**
 * The SSE events of a streamed completion: the role chunk, one chunk per token (the tool-call
 * header chunk carries the function name), the final chunk (empty content, finish_reason, usage),
 * then `data: [DONE]`. Events 1 .. length-3 are the token chunks.
 */
export function renderStream(meta: ResponseMeta, c: Completion, usage: Usage, includeUsage: boolean, logprobs?: TokenLogprob[]): string[] {
  const thinking = c.reasoning !== undefined;
  const head =
    `data: {"id":${JSON.stringify(meta.id)},"object":"chat.completion.chunk","created":${meta.created},` +
    `"model":${JSON.stringify(meta.model)},"system_fingerprint":${JSON.stringify(meta.fingerprint)},` +
    `"choices":[{"index":0,"delta":`;
  const tail = `,"logprobs":null,"finish_reason":null}]${includeUsage ? ',"usage":null' : ""}}\n\n`;
  const events: string[] = [];
  events.push(head + (thinking ? `{"role":"assistant","content":null,"reasoning_content":""}` : `{"role":"assistant","content":""}`) + tail);
  if (c.reasoning) {
    for (const p of c.reasoning) events.push(`${head}{"content":null,"reasoning_content":${JSON.stringify(p)}}${tail}`);
  }
  if (thinking) {
    for (const p of c.content) events.push(`${head}{"content":${JSON.stringify(p)},"reasoning_content":null}${tail}`);
  } else if (logprobs) {
    // each content chunk carries the log probabilities of its own token
    const usageTail = includeUsage ? ',"usage":null' : "";
    c.content.forEach((p, i) => events.push(`${head}{"content":${JSON.stringify(p)}},"logprobs":${JSON.stringify({ content: [logprobs[i]] })},"finish_reason":null}]${usageTail}}\n\n`));
  } else {
    for (const p of c.content) events.push(`${head}{"content":${JSON.stringify(p)}}${tail}`);
  }
  if (c.toolCall) {
    const t = c.toolCall;
    events.push(
      `${head}{"tool_calls":[{"index":0,"id":${JSON.stringify(t.id)},"type":"function","function":{"name":${JSON.stringify(t.name)},"arguments":""}}]}${tail}`,
    );
    for (const p of t.args) events.push(`${head}{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(p)}}}]}${tail}`);
  }
  events.push(
    head +
      (thinking ? `{"content":"","reasoning_content":null}` : `{"content":""}`) +
      `,"logprobs":null,"finish_reason":${JSON.stringify(c.finishReason)}}],"usage":${JSON.stringify(usage)}}\n\n`,
  );
  events.push(DONE_EVENT);
  return events;
}

const encoder = new TextEncoder();

/** A response body written by an async producer, stopped early if the client goes away. */
class Pump {
  closed = false;
  readonly stream: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;

  constructor(run: (p: Pump) => Promise<void>, signal: AbortSignal) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
        run(this).then(
          () => this.finish(),
          () => this.finish(),
        );
      },
      cancel: () => this.stop(),
    });
    if (signal.aborted) this.abort();
    else signal.addEventListener("abort", () => this.abort(), { once: true });
  }

  write(s: string): void {
    if (this.closed || !this.controller || s.length === 0) return;
    try {
      this.controller.enqueue(encoder.encode(s));
    } catch {
      this.stop();
    }
  }

  sleep(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The request was aborted: stop producing and end the body (for in-process callers). */
  private abort(): void {
    if (this.closed) return;
    this.stop();
    try {
      this.controller?.close();
    } catch {
      /* cancelled or already closed */
    }
  }

  /** Ends the connection abruptly: no terminating chunk, the client sees a reset. */
  cut(): void {
    if (this.closed) return;
    this.stop();
    try {
      this.controller?.error(undefined);
    } catch {
      /* already closed */
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.controller?.close();
    } catch {
      /* already closed */
    }
  }
}

/** Writes `text` now and then every intervalMs until ms have passed. */
async function keepAlive(p: Pump, ms: number, intervalMs: number, text: string): Promise<void> {
  const start = performance.now();
  const end = start + ms;
  const interval = Math.max(1, intervalMs);
  p.write(text);
  let next = start + interval;
  while (!p.closed) {
    const now = performance.now();
    if (now >= end) return;
    const until = Math.min(next, end);
    await p.sleep(until - now);
    if (until === next && next < end) {
      p.write(text);
      next += interval;
    }
  }
}

export interface StreamPlan {
  queueMs: number;
  keepAliveMs: number;
  /** Delay per token chunk (from tokensPerSecond); 0 = as fast as possible. */
  tokenIntervalMs: number;
  /** End the connection abruptly after this many data chunks. */
  cutAfterChunks: number | undefined;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
} as const;
export const JSON_HEADERS = { "content-type": "application/json" } as const;

export function deliverStream(events: string[], plan: StreamPlan, signal: AbortSignal): Response {
  if (plan.queueMs <= 0 && plan.tokenIntervalMs <= 0 && plan.cutAfterChunks === undefined) {
    return new Response(events.join(""), { headers: SSE_HEADERS });
  }
  const lastToken = events.length - 3;
  const pump = new Pump(async (p) => {
    if (plan.queueMs > 0) await keepAlive(p, plan.queueMs, plan.keepAliveMs, ": keep-alive\n\n");
    let due = performance.now();
    let batch = "";
    // With a cut, at most K data chunks go out and never [DONE].
    const limit = plan.cutAfterChunks === undefined ? events.length : Math.min(plan.cutAfterChunks, events.length - 1);
    for (let i = 0; i < limit && !p.closed; i++) {
      if (plan.tokenIntervalMs > 0 && i >= 1 && i <= lastToken) {
        due += plan.tokenIntervalMs;
        const wait = due - performance.now();
        if (wait >= 1) {
          p.write(batch);
          batch = "";
          await p.sleep(wait);
          if (p.closed) return;
        }
      }
      batch += events[i];
    }
    p.write(batch);
    if (plan.cutAfterChunks !== undefined) {
      // Let the written chunks reach the client before the reset.
      await p.sleep(20);
      p.cut();
    }
  }, signal);
  return new Response(pump.stream, { headers: SSE_HEADERS });
}

/**
 * A JSON body after waitMs. With blankLines, the headers go out at once and a blank line is
 * written now and every keepAliveMs while waiting (DeepSeek's queue keep-alive for non-stream).
 */
export async function deliverJson(
  body: string,
  waitMs: number,
  blankLines: boolean,
  keepAliveMs: number,
  signal: AbortSignal,
): Promise<Response> {
  if (waitMs <= 0) return new Response(body, { headers: JSON_HEADERS });
  if (!blankLines) {
    await sleepUnlessAborted(waitMs, signal);
    return new Response(body, { headers: JSON_HEADERS });
  }
  const pump = new Pump(async (p) => {
    await keepAlive(p, waitMs, keepAliveMs, "\n");
    p.write(body);
  }, signal);
  return new Response(pump.stream, { headers: JSON_HEADERS });
}

/** Sleeps ms, or less if the signal aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
