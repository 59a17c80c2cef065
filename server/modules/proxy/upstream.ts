import { Err, GatewayError } from '../../errors';
import type { StopSignal } from '../../lib/stop-signal';
import { failureReason, type Upstream, type UpstreamPool } from './upstream-pool';

export interface UpstreamOptions {
  baseUrl: string;
  connectTimeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
}

export type UpstreamResult =
  | { kind: 'ok'; response: Response; upstream: Upstream; controller: AbortController }
  /** DeepSeek refused the request itself (400, 422…): the buyer's fault, passed on (`body` as DeepSeek sent it, null when too long to pass on) */
  | { kind: 'rejected'; status: number; message: string; body: string | null; upstream: Upstream }
  | { kind: 'failed'; error: GatewayError; reachedUpstream: boolean; upstreamId: string | null };

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * Sends the body to the least busy upstream key; on 401/402 (the operator's key is bad) the key
 * leaves the rotation, and on 429, 5xx, connect errors and time-outs another key is tried with
 * backoff. Only called before anything reached the client, so retrying is always safe.
 */
export async function sendUpstream(
  pool: UpstreamPool,
  path: string,
  body: string,
  opts: UpstreamOptions,
  /** the client's signal and the shutdown's: either one stops the attempts (no AbortSignal.any, whose dependents would pile up on the long-lived shutdown signal) */
  stopSignals: StopSignal[] = [],
  /** counts a failed attempt (metrics): DeepSeek's status, `connect` or `timeout` */
  onFailure?: (upstreamId: string, reason: string) => void,
): Promise<UpstreamResult> {
  const tried = new Set<string>();
  // built when a failure is known: a GatewayError captures a stack
  let error: GatewayError | null = null;
  let reachedUpstream = false;
  let lastId: string | null = null;
  for (let attempt = 0; attempt < opts.maxAttempts; attempt++) {
    const upstream = pool.pick(tried);
    if (!upstream) break;
    tried.add(upstream.id);
    lastId = upstream.id;
    if (attempt > 0) await Bun.sleep(opts.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    if (stopSignals.some((signal) => signal.aborted)) break;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('upstream did not answer in time', 'TimeoutError')), opts.connectTimeoutMs);
    // A client that leaves, or the end of the shutdown grace, stops the wait for DeepSeek's headers too.
    const stopWaiting = () => controller.abort();
    for (const signal of stopSignals) signal.addEventListener('abort', stopWaiting, { once: true });
    upstream.inFlight++;
    let response: Response;
    try {
      response = await fetch(`${opts.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${upstream.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
        signal: controller.signal,
      });
    } catch {
      upstream.inFlight--;
      clearTimeout(timer);
      for (const signal of stopSignals) signal.removeEventListener('abort', stopWaiting);
      const stopped = stopSignals.find((signal) => signal.aborted);
      if (stopped) {
        error = stopped.reason instanceof GatewayError ? stopped.reason : Err.upstreamUnavailable();
        break;
      }
      error = controller.signal.aborted ? Err.upstreamTimeout() : Err.upstreamUnavailable();
      onFailure?.(upstream.id, controller.signal.aborted ? 'timeout' : 'connect');
      continue;
    }
    clearTimeout(timer);
    for (const signal of stopSignals) signal.removeEventListener('abort', stopWaiting);
    reachedUpstream = true;
    if (response.ok) return { kind: 'ok', response, upstream, controller };

    const text = await response.text().catch(() => '');
    const message = errorMessageOf(text, response);
    upstream.inFlight--;
    if (response.status === 401 || response.status === 402 || RETRYABLE.has(response.status)) onFailure?.(upstream.id, String(response.status));
    if (response.status === 401 || response.status === 402) {
      void pool.markFailing(upstream, failureReason(response.status, message), response.status);
      error = Err.upstreamUnavailable();
    } else if (RETRYABLE.has(response.status)) {
      error = response.status === 429 || response.status === 503 ? Err.upstreamUnavailable() : Err.upstreamError();
    } else {
      return { kind: 'rejected', status: response.status, message, body: text.length <= MAX_PASSED_ERROR_CHARS ? text : null, upstream };
    }
  }
  return { kind: 'failed', error: error ?? Err.upstreamUnavailable(), reachedUpstream, upstreamId: lastId };
}

/** DeepSeek's refusals are short; a longer body is not passed on verbatim. */
const MAX_PASSED_ERROR_CHARS = 64 * 1024;

function errorMessageOf(whole: string, response: Response): string {
  const text = whole.slice(0, 4096);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, 500);
  } catch {
    // not JSON: fall through to the status text
  }
  return text.trim().slice(0, 200) || response.statusText || `HTTP ${response.status}`;
}
