// Delivers rendered replies: at once, paced, queued with keep-alives, cut off abruptly, or
// failing mid-stream with the protocol's error event.

/** A rendered stream: its SSE events and the output tokens each one carries. */
export interface StreamReply {
  events: string[];
  /** Output tokens per event; events that carry some are paced by tokensPerSecond. */
  tokens: number[];
  /** The protocol's error event for a stream that fails after `sentEvents` events carrying `sentTokens` output tokens. */
  failEvent(sentTokens: number, sentEvents: number): string;
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
  /** End the connection abruptly after this many events. */
  cutAfterChunks: number | undefined;
  /** After this many events, send the protocol's error event and end the stream. */
  failAfterChunks: number | undefined;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
} as const;
export const JSON_HEADERS = { "content-type": "application/json" } as const;

export function deliverStream(reply: StreamReply, plan: StreamPlan, signal: AbortSignal): Response {
  const { events, tokens } = reply;
  const stopAfter = plan.cutAfterChunks ?? plan.failAfterChunks;
  if (plan.queueMs <= 0 && plan.tokenIntervalMs <= 0 && stopAfter === undefined) {
    return new Response(events.join(""), { headers: SSE_HEADERS });
  }
  const pump = new Pump(async (p) => {
    if (plan.queueMs > 0) await keepAlive(p, plan.queueMs, plan.keepAliveMs, ": keep-alive\n\n");
    let due = performance.now();
    let batch = "";
    let sentTokens = 0;
    // With a cut or a failure, at most K events go out and never the last one.
    const limit = stopAfter === undefined ? events.length : Math.min(stopAfter, events.length - 1);
    for (let i = 0; i < limit && !p.closed; i++) {
      if (plan.tokenIntervalMs > 0 && tokens[i]! > 0) {
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
      sentTokens += tokens[i]!;
    }
    if (plan.cutAfterChunks === undefined && plan.failAfterChunks !== undefined) batch += reply.failEvent(sentTokens, limit);
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
