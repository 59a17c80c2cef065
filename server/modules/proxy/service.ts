import { Err, GatewayError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Lang } from '../../lib/i18n';
import { createInFlight } from '../../lifecycle';
import type { Logger } from '../../lib/log';
import { formatUsd } from '../../lib/money';
import type { CatalogService, ResolvedModel } from '../catalog/service';
import type { Admission, KeyContext, MeteringService, Settlement } from '../metering/service';
import { readCompletion } from './completion';
import { estimateUsage } from './estimate';
import { transformStream, type StreamEnd } from './stream';
import { transformCompletion } from './transform';
import { sendUpstream, type UpstreamOptions } from './upstream';
import type { UpstreamPool } from './upstream-pool';
import { usageFromDeepSeek, ZERO_USAGE } from './usage';
import type { Usage } from '../catalog/price-book';

export interface ProxyOptions extends UpstreamOptions {
  idleTimeoutMs: number;
}

export interface ChatBody {
  model: string;
  messages: Record<string, unknown>[];
  stream?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  include_reasoning?: boolean;
  stream_options?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** What the request log and the metrics learn from the relay (set by the request-log plugin). */
export interface ProxyObserver {
  /** Settling will report this request: the HTTP layer must not log it a second time. */
  claimed(request: Request, publicModel: string): void;
  settled(request: Request, report: SettledReport): void;
  /** An upstream key failed: `reason` is DeepSeek's status, `connect`, `timeout` or `stream`. */
  upstreamError(upstreamId: string, reason: string): void;
  streamOpened(): void;
  streamClosed(): void;
}

export interface SettledReport {
  requestId: string;
  keyHint: string;
  model: string;
  stream: boolean;
  status: number;
  usage: Usage;
  /** null when the ledger write failed */
  costNano: number | null;
  basis: 'upstream' | 'estimated';
  finishReason: string | null;
  ttfbMs: number | null;
  durationMs: number;
  upstreamId: string | null;
}

const NO_OBSERVER: ProxyObserver = { claimed() {}, settled() {}, upstreamError() {}, streamOpened() {}, streamClosed() {} };

/** A relay's place in the count of open relays that shutdown waits for. */
interface Lease {
  leave(): void;
  heldByStream: boolean;
}

interface Relay {
  request: Request;
  ctx: KeyContext;
  model: ResolvedModel;
  admission: Admission;
  upstreamBody: Record<string, unknown>;
  headers: Record<string, string>;
  includeReasoning: boolean;
}

export function createProxyService(deps: { metering: MeteringService; catalog: CatalogService; pool: UpstreamPool; clock: Clock; log: Logger; options: ProxyOptions; showReasoningDefault: () => boolean }) {
  const { metering, catalog, pool, clock, options } = deps;
  let observer: ProxyObserver = NO_OBSERVER;
  const upstreamFailed = (upstreamId: string, reason: string) => observer.upstreamError(upstreamId, reason);
  const tokenizerFailed = (error: unknown) => deps.log.error('the tokenizer failed; estimating usage from text length', { error: String(error) });
  /** every relay from admission until its settlement is committed (or its hold released) */
  const relays = createInFlight();
  let openStreams = 0;
  let draining = false;
  /** aborted when the shutdown grace is over: open relays stop their upstream and settle */
  const shutdown = new AbortController();

  /** Admission in the contract's order: key, model known, model in plan, rate, concurrency, hold. */
  function admit(authorization: string | null, body: ChatBody, requestId: string) {
    const ctx = metering.authenticate(authorization);
    const model = catalog.resolveModel(body.model);
    if (!model) throw Err.modelNotFound(body.model);
    if (!ctx.plan.models.includes(model.publicModel)) throw Err.modelNotAllowed(body.model, ctx.plan.models);

    const upstreamBody: Record<string, unknown> = { ...body, model: model.upstreamModel, user_id: ctx.key.upstreamUserId };
    delete upstreamBody.include_reasoning;
    if (model.thinking) upstreamBody.thinking = { type: model.thinking };
    const requested = body.max_tokens ?? body.max_completion_tokens;
    if (body.max_completion_tokens !== undefined) {
      delete upstreamBody.max_completion_tokens;
      upstreamBody.max_tokens = requested;
    }
    if (body.stream) upstreamBody.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
    // Every prompt token is at least one byte of this JSON: a sound upper bound for the hold.
    let upstreamText = JSON.stringify(upstreamBody);
    const admission = metering.admit(ctx, model, Buffer.byteLength(upstreamText), requested, requestId);
    if (admission.clamped) {
      upstreamBody.max_tokens = admission.maxTokens;
      upstreamText = JSON.stringify(upstreamBody);
    }
    return { ctx, model, admission, upstreamBody, upstreamText };
  }

  function settle(relay: Relay, end: { usage: Usage; basis: 'upstream' | 'estimated'; status: number; finishReason: string | null; ttfbMs: number | null; upstreamId: string | null }): Promise<Settlement> {
    const settlement = metering.settle(relay.admission, {
      model: relay.model,
      usage: end.usage,
      basis: end.basis,
      httpStatus: end.status,
      finishReason: end.finishReason,
      stream: Boolean(relay.upstreamBody.stream),
      ttfbMs: end.ttfbMs,
      upstreamKeyId: end.upstreamId,
    });
    const report = (costNano: number | null): SettledReport => ({
      requestId: relay.admission.requestId,
      keyHint: relay.ctx.key.keyHint,
      model: relay.model.publicModel,
      stream: Boolean(relay.upstreamBody.stream),
      status: end.status,
      usage: end.usage,
      costNano,
      basis: end.basis,
      finishReason: end.finishReason,
      ttfbMs: end.ttfbMs,
      durationMs: clock.now() - relay.admission.startedAt,
      upstreamId: end.upstreamId,
    });
    settlement.then(
      (s) => observer.settled(relay.request, report(s.costNano)),
      () => observer.settled(relay.request, report(null)),
    );
    return settlement;
  }

  function moneyHeaders(costNano: number, remainingNano: number): Record<string, string> {
    return { 'x-tollgate-cost-usd': formatUsd(costNano), 'x-tollgate-remaining-usd': formatUsd(Math.max(0, remainingNano)) };
  }

  async function chatCompletion(request: Request, body: ChatBody, requestId: string, lang: Lang): Promise<Response> {
    if (draining) throw Err.shuttingDown();
    const lease: Lease = { leave: relays.enter(), heldByStream: false };
    try {
      return await relayChat(request, body, requestId, lang, lease);
    } finally {
      // A stream leaves when it has settled; everything else once its answer is ready.
      if (!lease.heldByStream) lease.leave();
    }
  }

  async function relayChat(request: Request, body: ChatBody, requestId: string, lang: Lang, lease: Lease): Promise<Response> {
    const { ctx, model, admission, upstreamBody, upstreamText } = admit(request.headers.get('authorization'), body, requestId);
    const headers: Record<string, string> = { 'x-request-id': requestId, ...metering.rateHeaders(admission.rate) };
    if (admission.clamped) headers['x-tollgate-max-tokens-clamped'] = String(admission.maxTokens);
    const includeReasoning = body.include_reasoning === true || (ctx.key.showReasoning ?? deps.showReasoningDefault());
    const relay: Relay = { request, ctx, model, admission, upstreamBody, headers, includeReasoning };
    const messages = body.messages;
    const prefix = messages.at(-1)?.role === 'assistant' && messages.at(-1)?.prefix === true;

    let result;
    try {
      result = await sendUpstream(pool, prefix ? '/beta/chat/completions' : '/chat/completions', upstreamText, options, [request.signal, shutdown.signal], upstreamFailed);
    } catch (error) {
      metering.release(admission);
      throw error;
    }
    if (result.kind !== 'failed' || result.reachedUpstream) observer.claimed(request, model.publicModel);
    if (result.kind === 'failed') {
      if (result.reachedUpstream) await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.error.status, finishReason: null, ttfbMs: null, upstreamId: result.upstreamId });
      else metering.release(admission);
      throw withHeaders(result.error, headers);
    }
    if (result.kind === 'rejected') {
      await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.status, finishReason: null, ttfbMs: null, upstreamId: result.upstream.id });
      throw withHeaders(Err.upstreamRejected(result.message), headers);
    }

    const { response, upstream, controller } = result;
    if (body.stream) {
      const clientWantsUsage = body.stream_options?.include_usage === true;
      const stream = transformStream(response, controller, options.idleTimeoutMs, { publicModel: model.publicModel, includeReasoning, clientWantsUsage }, lang, {
        now: clock.now,
        shutdown: shutdown.signal,
        settle: async (end) => {
          upstream.inFlight--;
          openStreams--;
          observer.streamClosed();
          if (end.outcome === 'upstream_error' || end.outcome === 'timeout') observer.upstreamError(upstream.id, end.outcome === 'timeout' ? 'timeout' : 'stream');
          try {
            const settlement = await settleStream(relay, end, upstream.id);
            return `: x-tollgate-cost-usd=${formatUsd(settlement.costNano)} x-tollgate-remaining-usd=${formatUsd(Math.max(0, settlement.remainingNano))}\n\n`;
          } finally {
            lease.leave();
          }
        },
      });
      openStreams++;
      lease.heldByStream = true;
      observer.streamOpened();
      // Headers go out before the cost is known: they carry the hold, the most this can cost.
      return new Response(stream, {
        headers: {
          ...headers,
          ...moneyHeaders(admission.holdNano, metering.remainingOf(ctx.key)),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-accel-buffering': 'no',
        },
      });
    }
    return completeNonStream(relay, response, controller, upstream);
  }

  async function settleStream(relay: Relay, end: StreamEnd, upstreamId: string): Promise<Settlement> {
    const ttfbMs = end.firstByteAt === null ? null : end.firstByteAt - relay.admission.startedAt;
    const status = end.outcome === 'complete' || end.outcome === 'client_gone' ? 200 : end.outcome === 'timeout' ? 504 : end.outcome === 'shutdown' ? 503 : 502;
    if (end.facts.usage) {
      return settle(relay, { usage: usageFromDeepSeek(end.facts.usage), basis: 'upstream', status, finishReason: end.facts.finishReason, ttfbMs, upstreamId });
    }
    const usage = await estimateUsage(relay.upstreamBody, { content: end.facts.content, reasoning: end.facts.reasoning }, tokenizerFailed);
    const finishReason = end.outcome === 'client_gone' ? 'client_disconnected' : end.outcome;
    return settle(relay, { usage, basis: 'estimated', status, finishReason, ttfbMs, upstreamId });
  }

  async function completeNonStream(relay: Relay, response: Response, controller: AbortController, upstream: { id: string; inFlight: number }): Promise<Response> {
    const read = await readCompletion(response, controller, options.idleTimeoutMs, shutdown.signal, clock.now);
    upstream.inFlight--;
    const { text, firstByteAt, stopped } = read;
    let failure = read.failure;
    const ttfbMs = firstByteAt === null ? null : firstByteAt - relay.admission.startedAt;
    let parsed: Record<string, unknown> | null = null;
    if (!failure) {
      try {
        // DeepSeek sends blank lines while a request waits in its queue.
        parsed = JSON.parse(text.trim()) as Record<string, unknown>;
      } catch {
        failure = Err.upstreamError();
      }
    }
    if (failure || !parsed) {
      if (!stopped) observer.upstreamError(upstream.id, failure?.status === 504 ? 'timeout' : 'stream');
      const usage = await estimateUsage(relay.upstreamBody, { content: '', reasoning: '' }, tokenizerFailed);
      await settle(relay, { usage, basis: 'estimated', status: failure?.status ?? 502, finishReason: null, ttfbMs, upstreamId: upstream.id });
      throw withHeaders(failure ?? Err.upstreamError(), relay.headers);
    }
    const { usage, finishReason } = transformCompletion(parsed, { publicModel: relay.model.publicModel, includeReasoning: relay.includeReasoning });
    const settlement = usage
      ? await settle(relay, { usage: usageFromDeepSeek(usage), basis: 'upstream', status: 200, finishReason, ttfbMs, upstreamId: upstream.id })
      : await settle(relay, { usage: await estimateUsage(relay.upstreamBody, { content: text, reasoning: '' }, tokenizerFailed), basis: 'estimated', status: 200, finishReason, ttfbMs, upstreamId: upstream.id });
    return new Response(JSON.stringify(parsed), {
      headers: { ...relay.headers, ...moneyHeaders(settlement.costNano, settlement.remainingNano), 'content-type': 'application/json' },
    });
  }

  return {
    chatCompletion,
    /** Shutdown, step one: new chat requests get a 503 from now on; open ones run on. */
    beginShutdown(): void {
      draining = true;
    },
    /** Shutdown, step two (the grace is over): open relays stop their upstream, end and settle. */
    endOpenRelays(): void {
      draining = true;
      shutdown.abort(Err.shuttingDown());
    },
    /** Resolves when no relay is open: every request has settled or released its hold. */
    idle: () => relays.idle(),
    get openRelays(): number {
      return relays.count;
    },
    get openStreams(): number {
      return openStreams;
    },
    /** Called once by the request-log plugin; the relay reports to it from then on. */
    observe(next: ProxyObserver): void {
      observer = next;
    },
  };
}

function withHeaders(error: GatewayError, headers: Record<string, string>): GatewayError {
  Object.assign(error.headers, headers, error.headers);
  return error;
}

export type ProxyService = ReturnType<typeof createProxyService>;
