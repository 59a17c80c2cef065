import { Err, type GatewayError } from '../../errors';
import type { Lang } from '../../lib/i18n';
import { SseSplitter } from '../../lib/sse';
import type { StopSignal } from '../../lib/stop-signal';
import type { StreamCodec, StreamFacts } from './protocols/adapter';
import { chatStreamCodec } from './protocols/openai-chat';
import type { TransformOptions } from './transform';

export interface StreamEnd {
  /** how the stream ended: DeepSeek finished it, the client left, it broke, or the gateway stopped */
  outcome: 'complete' | 'client_gone' | 'upstream_error' | 'timeout' | 'shutdown';
  facts: StreamFacts;
  firstByteAt: number | null;
}

export interface StreamHooks {
  /** Settles the request and returns the final comment to send before the protocol's closing (or after an error). */
  settle(end: StreamEnd): Promise<string>;
  now(): number;
  /** Fires when the gateway's shutdown grace is over: the stream ends with an error event. */
  shutdown?: StopSignal;
}

/** A chat stream through pipeStream (the chat adapter's codec). */
export function transformStream(upstream: Response, abort: AbortController, idleMs: number, opts: TransformOptions, lang: Lang, hooks: StreamHooks): ReadableStream<Uint8Array> {
  return pipeStream(upstream, abort, idleMs, chatStreamCodec(opts, lang), hooks);
}

/**
 * Pipes DeepSeek's SSE body to the client chunk by chunk, each event transformed by the
 * protocol's codec, never buffering the whole answer. A Bun "direct" stream writes straight to
 * the socket: a queued JS stream costs several times the memory per open stream. Exactly one call
 * to hooks.settle happens, however it ends: every way out of pull() and cancel() goes through
 * end(), and a throw anywhere in between ends the stream as an upstream error.
 */
export function pipeStream(upstream: Response, abort: AbortController, idleMs: number, codec: StreamCodec, hooks: StreamHooks): ReadableStream<Uint8Array> {
  const reader = upstream.body!.getReader();
  const splitter = new SseSplitter(codec.typedEvents === true);
  const facts = codec.facts;
  let firstByteAt: number | null = null;
  let ended = false;
  let timedOut = false;
  let stopped = false;
  const idle = setTimeout(() => {
    timedOut = true;
    abort.abort(new DOMException('upstream idle time-out', 'TimeoutError'));
  }, idleMs);
  // Aborting the upstream read wakes the pump loop below, which then sends the final error event.
  const onShutdown = () => {
    stopped = true;
    abort.abort(new DOMException('the gateway is shutting down', 'AbortError'));
  };
  if (hooks.shutdown?.aborted) onShutdown();
  else hooks.shutdown?.addEventListener('abort', onShutdown, { once: true });

  /** The one way a stream ends: settles once, and never throws (a failed settlement just has no cost line). */
  const end = async (outcome: StreamEnd['outcome']): Promise<string> => {
    if (ended) return '';
    ended = true;
    clearTimeout(idle);
    hooks.shutdown?.removeEventListener('abort', onShutdown);
    try {
      return await hooks.settle({ outcome, facts, firstByteAt });
    } catch {
      return '';
    }
  };

  const source: Bun.DirectUnderlyingSource = {
    type: 'direct',
    async pull(out) {
      let clientGone = false;
      // write and flush answer at once unless the socket pushes back: a promise only then (an
      // await of a plain number still costs a tick, and this runs for every chunk)
      const send = (text: string): Promise<void> | undefined => {
        if (text === '' || clientGone) return undefined;
        const written: unknown = out.write(text);
        return written instanceof Promise ? written.then(afterWrite) : afterWrite(written);
      };
      const afterWrite = (written: unknown): Promise<void> | undefined => {
        if (written === 0) {
          clientGone = true;
          return undefined;
        }
        const flushed: unknown = out.flush();
        return flushed instanceof Promise ? flushed.then(() => undefined) : undefined;
      };
      const finish = async (outcome: 'upstream_error' | 'timeout' | 'shutdown', error: GatewayError) => {
        abort.abort();
        // The client learns of the end at once; the cost follows once the ledger row is written.
        await send(codec.errorEvent(error));
        await send(await end(outcome));
      };

      try {
        for (;;) {
          let read: Awaited<ReturnType<typeof reader.read>>;
          try {
            read = await reader.read();
          } catch {
            if (ended) return;
            if (stopped) await finish('shutdown', Err.shuttingDown());
            else await finish(timedOut ? 'timeout' : 'upstream_error', timedOut ? Err.upstreamTimeout() : Err.upstreamError());
            return;
          }
          if (ended) return;
          if (!read.done) idle.refresh();
          firstByteAt ??= hooks.now();
          // An event that never ends throws here (the splitter's size limit).
          const events = read.done ? splitter.end() : splitter.push(read.value);
          let text = '';
          for (const event of events) {
            // comment events (DeepSeek's `: keep-alive` while a request is queued) pass on as they are
            const piece = event.data === null ? `${event.comments.join('\n')}\n\n` : codec.event(event);
            if (piece === null) {
              await send(text);
              await finish('upstream_error', Err.upstreamError());
              return;
            }
            text += piece;
            if (codec.finished) {
              // What is already transformed goes out before waiting for the ledger commit.
              await send(text);
              const comment = await end('complete');
              await send(`${comment}${codec.closing}`);
              return;
            }
          }
          const sending = send(text);
          if (sending) await sending;
          if (clientGone) {
            abort.abort();
            await end('client_gone');
            return;
          }
          if (read.done) {
            // DeepSeek closed before the stream's last event: complete if its usage arrived, else the stream was cut.
            if (facts.usage) await send(`${await end('complete')}${codec.closing}`);
            else await finish('upstream_error', Err.upstreamError());
            return;
          }
        }
      } catch {
        // Whatever threw (a transform, the socket), the request still ends settled.
        if (!ended) {
          abort.abort();
          try {
            await send(codec.errorEvent(Err.upstreamError()));
          } catch {
            // the socket is gone: nothing more reaches the client
          }
          await end('upstream_error');
        }
      } finally {
        out.close();
      }
    },
    async cancel() {
      if (ended) return;
      abort.abort();
      await end('client_gone');
    },
  };
  // The DOM typings know no "direct" streams; Bun's constructor takes them.
  return new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>);
}
