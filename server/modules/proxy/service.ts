import { Err, GatewayError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Lang } from '../../lib/i18n';
import { createInFlight } from '../../lifecycle';
import type { Logger } from '../../lib/log';
import { formatUsd } from '../../lib/money';
import type { CatalogService, ResolvedModel } from '../catalog/service';
import { outputCapOf, type Admission, type KeyContext, type MeteringService, type Settlement } from '../metering/service';
import { parseCompletion, readCompletion } from './completion';
import { estimateUsage } from './estimate';
import { transformStream, type StreamEnd } from './stream';
import { sendUpstream, type UpstreamOptions } from './upstream';
import type { Upstream, UpstreamPool } from './upstream-pool';
import { ZERO_USAGE } from './usage';
import type { Usage } from '../catalog/price-book';

export interface ProxyOptions extends UpstreamOptions {
  idleTimeoutMs: number;
  /** a non-stream answer longer than this is not read on (502) */
  maxUpstreamBodyBytes: number;
  /** streams admitted at once, gateway-wide; one more is refused with 503 before anything is held */
  maxOpenStreams: number;
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

/** A relay's place in the count of open relays that shutdown waits for, and its stream slot if it has one. */
interface Lease {
  leave(): void;
  heldByStream: boolean;
  streamSlot: boolean;
}

interface Relay {
  request: Request;
  ctx: KeyContext;
  model: ResolvedModel;
  admission: Admission;
  upstreamBody: Record<string, unknown>;
  headers: Record<string, string>;
  includeReasoning: boolean;
  /** the upstream key whose answer is being read: from then on the request is billed, never just released */
  answeredBy: string | null;
}

const NOTHING_RECEIVED = { content: '', reasoning: '' };

export function createProxyService(deps: { metering: MeteringService; catalog: CatalogService; pool: UpstreamPool; clock: Clock; log: Logger; options: ProxyOptions; showReasoningDefault: () => boolean }) {
  const { metering, catalog, pool, clock, options } = deps;
  let observer: ProxyObserver = NO_OBSERVER;
  const upstreamFailed = (upstreamId: string, reason: string) => observer.upstreamError(upstreamId, reason);
  const tokenizerFailed = (error: unknown) => deps.log.error('the tokenizer failed; estimating usage from text length', { error: String(error) });
  /** every relay from admission until its settlement is committed (or its hold released) */
  const relays = createInFlight();
  let openStreams = 0;
  /** streams admitted and not yet ended (open or still waiting for DeepSeek's headers): what the cap counts */
  let streamSlots = 0;
  let draining = false;
  /** aborted when the shutdown grace is over: open relays stop their upstream and settle */
  const shutdown = new AbortController();

  /** Admission in the contract's order: key, model known, model in plan, stream slot, rate, concurrency, hold. */
  function admit(authorization: string | null, body: ChatBody, requestId: string, lease: Lease) {
    const ctx = metering.authenticate(authorization);
    const model = catalog.resolveModel(body.model);
    if (!model) throw Err.modelNotFound(body.model);
    if (!ctx.plan.models.includes(model.publicModel)) throw Err.modelNotAllowed(body.model, ctx.plan.models);
    if (body.stream) {
      if (streamSlots >= options.maxOpenStreams) throw Err.tooManyStreams(options.maxOpenStreams);
      streamSlots++;
      lease.streamSlot = true;
    }

    const upstreamBody: Record<string, unknown> = { ...body, model: model.upstreamModel, user_id: ctx.key.upstreamUserId };
    delete upstreamBody.include_reasoning;
    if (model.thinking) upstreamBody.thinking = { type: model.thinking };
    // The hold prices exactly this many output tokens, so DeepSeek is always told it: a cap the
    // client did not send (or sent higher, or as max_completion_tokens) would otherwise be billed
    // at most the hold while DeepSeek generates, and charges the operator, more.
    const outputCap = outputCapOf(model, body.max_tokens ?? body.max_completion_tokens);
    delete upstreamBody.max_completion_tokens;
    upstreamBody.max_tokens = outputCap;
    if (body.stream) upstreamBody.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
    // Every prompt token is at least one byte of this JSON: a sound upper bound for the hold.
    let upstreamText = JSON.stringify(upstreamBody);
    const admission = metering.admit(ctx, model, Buffer.byteLength(upstreamText), outputCap, requestId);
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
    const lease: Lease = { leave: relays.enter(), heldByStream: false, streamSlot: false };
    try {
      return await relayChat(request, body, requestId, lang, lease);
    } finally {
      // A stream leaves when it has settled; everything else once its answer is ready.
      if (!lease.heldByStream) leave(lease);
    }
  }

  function leave(lease: Lease): void {
    if (lease.streamSlot) streamSlots--;
    lease.streamSlot = false;
    lease.leave();
  }

  /**
   * Admit → send → read → settle. Every way out of an admitted request ends it settled (one
   * ledger row, once DeepSeek answered) or released (nothing reached DeepSeek): the paths that
   * finish normally settle themselves, and anything that throws past them is settled here.
   */
  async function relayChat(request: Request, body: ChatBody, requestId: string, lang: Lang, lease: Lease): Promise<Response> {
    // A stream slot taken by a request refused later in admission comes back with the lease.
    const { ctx, model, admission, upstreamBody, upstreamText } = admit(request.headers.get('authorization'), body, requestId, lease);
    const headers: Record<string, string> = { 'x-request-id': requestId, ...metering.rateHeaders(admission.rate) };
    if (admission.clamped) headers['x-tollgate-max-tokens-clamped'] = String(admission.maxTokens);
    const includeReasoning = body.include_reasoning === true || (ctx.key.showReasoning ?? deps.showReasoningDefault());
    const relay: Relay = { request, ctx, model, admission, upstreamBody, headers, includeReasoning, answeredBy: null };
    try {
      return await forward(relay, body, upstreamText, lang, lease);
    } catch (error) {
      await settleUnfinished(relay, error);
      throw withHeaders(error instanceof GatewayError ? error : relay.answeredBy ? Err.upstreamError() : Err.internal(), headers);
    }
  }

  async function forward(relay: Relay, body: ChatBody, upstreamText: string, lang: Lang, lease: Lease): Promise<Response> {
    const { request, model, admission, headers } = relay;
    const last = body.messages.at(-1);
    const prefix = last?.role === 'assistant' && last?.prefix === true;
    const result = await sendUpstream(pool, prefix ? '/beta/chat/completions' : '/chat/completions', upstreamText, options, [request.signal, shutdown.signal], upstreamFailed);
    if (result.kind !== 'failed' || result.reachedUpstream) observer.claimed(request, model.publicModel);
    if (result.kind === 'failed') {
      if (result.reachedUpstream) await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.error.status, finishReason: null, ttfbMs: null, upstreamId: result.upstreamId });
      else metering.release(admission);
      throw result.error;
    }
    if (result.kind === 'rejected') {
      await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.status, finishReason: null, ttfbMs: null, upstreamId: result.upstream.id });
      throw Err.upstreamRejected(result.message);
    }
    relay.answeredBy = result.upstream.id;
    if (body.stream) return openStream(relay, body, result.response, result.controller, result.upstream, lang, lease);
    return completeNonStream(relay, result.response, result.controller, result.upstream);
  }

  /** The last resort for a request that threw past its own settlement: bill what DeepSeek was sent, or release. */
  async function settleUnfinished(relay: Relay, error: unknown): Promise<void> {
    if (relay.admission.done) return;
    if (relay.answeredBy === null) {
      metering.release(relay.admission);
      return;
    }
    deps.log.error('a relay failed while reading the upstream answer; billed as estimated', { request_id: relay.admission.requestId, error: String(error) });
    try {
      const usage = await estimateUsage(relay.upstreamBody, NOTHING_RECEIVED, tokenizerFailed);
      const status = error instanceof GatewayError ? error.status : 502;
      await settle(relay, { usage, basis: 'estimated', status, finishReason: null, ttfbMs: null, upstreamId: relay.answeredBy });
    } catch (settleError) {
      deps.log.error('an unfinished relay could not be settled; its hold is released', { request_id: relay.admission.requestId, error: String(settleError) });
      metering.release(relay.admission);
    }
  }

  function openStream(relay: Relay, body: ChatBody, response: Response, controller: AbortController, upstream: Upstream, lang: Lang, lease: Lease): Response {
    const { model, admission, ctx, includeReasoning } = relay;
    // Headers go out before the cost is known: they carry the hold, the most this can cost.
    const headers = {
      ...relay.headers,
      ...moneyHeaders(admission.holdNano, metering.remainingOf(ctx.key)),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    };
    const clientWantsUsage = body.stream_options?.include_usage === true;
    const stream = transformStream(response, controller, options.idleTimeoutMs, { publicModel: model.publicModel, includeReasoning, clientWantsUsage }, lang, {
      now: clock.now,
      shutdown: shutdown.signal,
      settle: async (end) => {
        try {
          upstream.inFlight--;
          openStreams--;
          observer.streamClosed();
          if (end.outcome === 'upstream_error' || end.outcome === 'timeout') observer.upstreamError(upstream.id, end.outcome === 'timeout' ? 'timeout' : 'stream');
          const settlement = await settleStream(relay, end, upstream.id);
          return `: x-tollgate-cost-usd=${formatUsd(settlement.costNano)} x-tollgate-remaining-usd=${formatUsd(Math.max(0, settlement.remainingNano))}\n\n`;
        } catch (error) {
          await settleUnfinished(relay, error);
          return '';
        } finally {
          leave(lease);
        }
      },
    });
    openStreams++;
    lease.heldByStream = true;
    observer.streamOpened();
    return new Response(stream, { headers });
  }

  async function settleStream(relay: Relay, end: StreamEnd, upstreamId: string): Promise<Settlement> {
    const ttfbMs = end.firstByteAt === null ? null : end.firstByteAt - relay.admission.startedAt;
    const status = end.outcome === 'complete' || end.outcome === 'client_gone' ? 200 : end.outcome === 'timeout' ? 504 : end.outcome === 'shutdown' ? 503 : 502;
    if (end.facts.usage) {
      return settle(relay, { usage: end.facts.usage, basis: 'upstream', status, finishReason: end.facts.finishReason, ttfbMs, upstreamId });
    }
    const usage = await estimateUsage(relay.upstreamBody, { content: end.facts.content, reasoning: end.facts.reasoning }, tokenizerFailed);
    const finishReason = end.outcome === 'client_gone' ? 'client_disconnected' : end.outcome;
    return settle(relay, { usage, basis: 'estimated', status, finishReason, ttfbMs, upstreamId });
  }

  async function completeNonStream(relay: Relay, response: Response, controller: AbortController, upstream: Upstream): Promise<Response> {
    let read;
    try {
      read = await readCompletion(response, controller, { idleMs: options.idleTimeoutMs, maxBytes: options.maxUpstreamBodyBytes }, shutdown.signal, clock.now);
    } finally {
      upstream.inFlight--;
    }
    const ttfbMs = read.firstByteAt === null ? null : read.firstByteAt - relay.admission.startedAt;
    const completion = read.failure ? null : parseCompletion(read.text, { publicModel: relay.model.publicModel, includeReasoning: relay.includeReasoning });
    if (!completion) {
      // Not read whole, or not a completion: billed as the prompt alone, estimated.
      const failure = read.failure ?? Err.upstreamMalformed();
      if (!read.stopped) observer.upstreamError(upstream.id, failure.status === 504 ? 'timeout' : 'stream');
      const usage = await estimateUsage(relay.upstreamBody, NOTHING_RECEIVED, tokenizerFailed);
      await settle(relay, { usage, basis: 'estimated', status: failure.status, finishReason: null, ttfbMs, upstreamId: upstream.id });
      throw failure;
    }
    const { body, facts } = completion;
    // Rendered before settling: an answer that cannot be sent on is billed as a failure, not as delivered.
    const answer = JSON.stringify(body);
    const settlement = facts.usage
      ? await settle(relay, { usage: facts.usage, basis: 'upstream', status: 200, finishReason: facts.finishReason, ttfbMs, upstreamId: upstream.id })
      : await settle(relay, { usage: await estimateUsage(relay.upstreamBody, { content: read.text, reasoning: '' }, tokenizerFailed), basis: 'estimated', status: 200, finishReason: facts.finishReason, ttfbMs, upstreamId: upstream.id });
    return new Response(answer, {
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
