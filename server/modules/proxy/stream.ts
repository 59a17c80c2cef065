import { Err, type GatewayError } from '../../errors';
import type { Lang } from '../../lib/i18n';
import { SseSplitter, type SseEvent } from '../../lib/sse';
import { transformChunk, type ChunkFacts, type TransformOptions } from './transform';

const encoder = new TextEncoder();

export interface StreamEnd {
  /** how the stream ended: DeepSeek finished it, the client left, or it broke */
  outcome: 'complete' | 'client_gone' | 'upstream_error' | 'timeout';
  facts: ChunkFacts;
  firstByteAt: number | null;
}

export interface StreamHooks {
  /** Settles the request and returns the final comment to send before [DONE] (or after an error). */
  settle(end: StreamEnd): Promise<string>;
  now(): number;
}

/**
 * Pipes DeepSeek's SSE body to the client chunk by chunk, transformed, never buffering the whole
 * answer. Exactly one call to hooks.settle happens, whichever way the stream ends.
 */
export function transformStream(upstream: Response, abort: AbortController, idleMs: number, opts: TransformOptions, lang: Lang, hooks: StreamHooks): ReadableStream<Uint8Array> {
  const reader = upstream.body!.getReader();
  const splitter = new SseSplitter();
  const facts: ChunkFacts = { usage: null, finishReason: null, content: '', reasoning: '', error: null };
  let firstByteAt: number | null = null;
  let ended = false;
  let pendingText = '';
  let timedOut = false;
  const idle = setTimeout(() => {
    timedOut = true;
    abort.abort(new DOMException('upstream idle time-out', 'TimeoutError'));
  }, idleMs);

  const end = (outcome: StreamEnd['outcome']): Promise<string> => {
    ended = true;
    clearTimeout(idle);
    return hooks.settle({ outcome, facts, firstByteAt });
  };

  const errorEvent = (error: GatewayError) => `data: ${JSON.stringify({ ...error.toBody(lang), choices: [] })}\n\n`;

  async function fail(out: ReadableStreamDefaultController<Uint8Array>, outcome: 'upstream_error' | 'timeout', error: GatewayError) {
    if (pendingText) out.enqueue(encoder.encode(pendingText));
    pendingText = '';
    const comment = await end(outcome);
    out.enqueue(encoder.encode(errorEvent(error) + comment));
    out.close();
  }

  async function handle(event: SseEvent, out: ReadableStreamDefaultController<Uint8Array>): Promise<string | null> {
    if (event.data === null) return `${event.comments.join('\n')}\n\n`;
    if (event.data === '[DONE]') {
      // What is already transformed goes out before waiting for the ledger commit.
      if (pendingText) out.enqueue(encoder.encode(pendingText));
      pendingText = '';
      const comment = await end('complete');
      return `${comment}data: [DONE]\n\n`;
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      return `data: ${event.data}\n\n`;
    }
    if (!transformChunk(chunk, opts, facts)) return '';
    if (facts.error) {
      await fail(out, 'upstream_error', Err.upstreamError());
      return null;
    }
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  return new ReadableStream<Uint8Array>({
    async pull(out) {
      for (;;) {
        if (ended) return;
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch {
          if (!ended) await fail(out, timedOut ? 'timeout' : 'upstream_error', timedOut ? Err.upstreamTimeout() : Err.upstreamError());
          return;
        }
        if (ended) return;
        const events = read.done ? splitter.end() : splitter.push(read.value);
        if (!read.done) idle.refresh();
        firstByteAt ??= hooks.now();
        pendingText = '';
        for (const event of events) {
          const piece = await handle(event, out);
          if (piece === null) return;
          pendingText += piece;
        }
        let text = pendingText;
        pendingText = '';
        if (read.done && !ended) {
          // DeepSeek closed without [DONE]: complete if its usage arrived, else the stream was cut.
          if (text) out.enqueue(encoder.encode(text));
          text = '';
          if (facts.usage) text = `${await end('complete')}data: [DONE]\n\n`;
          else {
            await fail(out, 'upstream_error', Err.upstreamError());
            return;
          }
        }
        if (text) out.enqueue(encoder.encode(text));
        if (ended) {
          out.close();
          return;
        }
        if (text) return;
      }
    },
    async cancel() {
      if (ended) return;
      abort.abort();
      await end('client_gone');
    },
  });
}
