import { Err, type GatewayError } from '../../errors';

/** DeepSeek's non-stream answer as read: its text, or why the read stopped. */
export interface CompletionRead {
  text: string;
  firstByteAt: number | null;
  failure: GatewayError | null;
  /** the gateway's shutdown ended the read (not DeepSeek's fault) */
  stopped: boolean;
}

/**
 * Reads a non-stream answer whole (it is one JSON object). A read quiet for `idleMs` ends as a
 * time-out; the end of the shutdown grace ends it too. Never throws.
 */
export async function readCompletion(response: Response, controller: AbortController, idleMs: number, shutdown: AbortSignal, now: () => number): Promise<CompletionRead> {
  const idle = setTimeout(() => controller.abort(new DOMException('upstream idle time-out', 'TimeoutError')), idleMs);
  let stopped = false;
  const onShutdown = () => {
    stopped = true;
    controller.abort(new DOMException('the gateway is shutting down', 'AbortError'));
  };
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });
  let text = '';
  let firstByteAt: number | null = null;
  let failure: GatewayError | null = null;
  try {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      firstByteAt ??= now();
      idle.refresh();
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    failure = stopped ? Err.shuttingDown() : controller.signal.aborted ? Err.upstreamTimeout() : Err.upstreamError();
  } finally {
    clearTimeout(idle);
    shutdown.removeEventListener('abort', onShutdown);
  }
  return { text, firstByteAt, failure, stopped };
}
