import { Err, type GatewayError } from '../../errors';
import type { StopSignal } from '../../lib/stop-signal';

/** DeepSeek's non-stream answer as read: its text, or why the read stopped. */
export interface CompletionRead {
  text: string;
  firstByteAt: number | null;
  failure: GatewayError | null;
  /** the gateway's shutdown ended the read (not DeepSeek's fault) */
  stopped: boolean;
}

export interface CompletionReadLimits {
  /** a read quiet for this long ends as a time-out */
  idleMs: number;
  /** an answer longer than this is not read on: the read ends as a failure */
  maxBytes: number;
}

/**
 * Reads a non-stream answer whole (it is one JSON object), up to `maxBytes`. A read quiet for
 * `idleMs` ends as a time-out; the end of the shutdown grace ends it too. Never throws.
 */
export async function readCompletion(response: Response, controller: AbortController, limits: CompletionReadLimits, shutdown: StopSignal, now: () => number): Promise<CompletionRead> {
  const idle = setTimeout(() => controller.abort(new DOMException('upstream idle time-out', 'TimeoutError')), limits.idleMs);
  let stopped = false;
  const onShutdown = () => {
    stopped = true;
    controller.abort(new DOMException('the gateway is shutting down', 'AbortError'));
  };
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });
  let text = '';
  let bytes = 0;
  let firstByteAt: number | null = null;
  let failure: GatewayError | null = null;
  try {
    const declared = contentLength(response);
    if (declared !== null && declared <= limits.maxBytes) {
      // Its length is known and allowed: the runtime reads it in one go (a body that stalls still
      // meets the idle timer, which aborts the fetch under it).
      text = await response.text();
      if (text.length > 0) firstByteAt = now();
      return { text, firstByteAt, failure, stopped };
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      firstByteAt ??= now();
      idle.refresh();
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) {
        failure = Err.upstreamTooLarge(limits.maxBytes);
        controller.abort();
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
    if (!failure) text += decoder.decode();
  } catch {
    failure = stopped ? Err.shuttingDown() : controller.signal.aborted ? Err.upstreamTimeout() : Err.upstreamError();
  } finally {
    clearTimeout(idle);
    shutdown.removeEventListener('abort', onShutdown);
  }
  return { text: failure ? '' : text, firstByteAt, failure, stopped };
}

function contentLength(response: Response): number | null {
  const value = response.headers.get('content-length');
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : null;
}

/** A read answer parsed (DeepSeek sends blank lines while a request waits in its queue); undefined when it is not JSON. */
export function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch {
    return undefined;
  }
}
