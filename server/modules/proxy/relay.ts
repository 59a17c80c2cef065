import { Err, GatewayError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Lang } from '../../lib/i18n';
import { createInFlight } from '../../lifecycle';
import type { Logger } from '../../lib/log';
import { formatUsd } from '../../lib/money';
import { sharedStopSignal } from '../../lib/stop-signal';
import type { CatalogService } from '../catalog/service';
import type { Admission, KeyContext, MeteringService, Settlement } from '../metering/service';
import { readCompletion } from './completion';
import type { CompletionFacts, ProtocolAdapter, RelayBody, UpstreamContext } from './protocols/adapter';
import type { ReasoningMemory } from './reasoning-memory';
import { createRelaySettler, NO_OBSERVER, type ProxyObserver, type Relay } from './relay-settle';
import type { DeclaredServerTool } from './protocols/server-tools';
import { serverToolHold } from './server-tools';
import { pipeStream, type StreamEnd } from './stream';
import { sendUpstream, type UpstreamOptions } from './upstream';
import type { Upstream, UpstreamPool } from './upstream-pool';
import { ZERO_USAGE } from './usage';

// The relay core, the same for every protocol: admit (key, model, plan, the protocol's own
// limits, stream slot, rate, concurrency, hold) → send (the upstream pool, retries before the
// first byte) → read (a whole answer with idle time-out and size cap, or a stream chunk by chunk)
// → settle (one ledger row) or release. The protocol's adapter (protocols/) knows its body, its
// usage and its wire format; nothing here does.

export interface ProxyOptions extends UpstreamOptions {
  idleTimeoutMs: number;
  /** a non-stream answer longer than this is not read on (502) */
  maxUpstreamBodyBytes: number;
  /** streams admitted at once, gateway-wide; one more is refused with 503 before anything is held */
  maxOpenStreams: number;
}

/** A relay's place in the count of open relays that shutdown waits for, and its stream slot if it has one. */
interface Lease {
  leave(): void;
  heldByStream: boolean;
  streamSlot: boolean;
  /** the key, once identified: a refusal from then on is counted against it */
  keyId: string | null;
}

/** An admitted request: the adapter builds DeepSeek's body from it (UpstreamContext), the relay sends what it holds. */
interface Admitted extends UpstreamContext {
  ctx: KeyContext;
  stream: boolean;
  upstreamBody: Record<string, unknown>;
  upstreamText: string;
  admission: Admission;
  serverTools: DeclaredServerTool[];
}

const EMPTY: Record<string, unknown> = {};
const NOTHING_RECALLED: ReadonlyMap<string, string> = new Map();

export type { ProxyObserver, SettledReport } from './relay-settle';

export function createRelay(deps: {
  metering: MeteringService;
  catalog: CatalogService;
  pool: UpstreamPool;
  clock: Clock;
  log: Logger;
  options: ProxyOptions;
  showReasoningDefault: () => boolean;
  memory: ReasoningMemory;
}) {
  const { metering, catalog, pool, clock, options, memory } = deps;
  let observer: ProxyObserver = NO_OBSERVER;
  const upstreamFailed = (upstreamId: string, reason: string) => observer.upstreamError(upstreamId, reason);
  const { settle, settleUnfinished, estimate, rememberReasoning, NOTHING_RECEIVED } = createRelaySettler({ metering, clock, log: deps.log, memory, observer: () => observer });
  /** requests the relay saw (and so counted, were they refused): the body check before it leaves these to relayRefused */
  const refusalsSeen = new WeakSet<Request>();
  /** every relay from admission until its settlement is committed (or its hold released) */
  const relays = createInFlight();
  let openStreams = 0;
  /** streams admitted and not yet ended (open or still waiting for DeepSeek's headers): what the cap counts */
  let streamSlots = 0;
  let draining = false;
  /** aborted when the shutdown grace is over: open relays stop their upstream and settle */
  const shutdown = new AbortController();
  const shutdownSignal = sharedStopSignal(shutdown.signal);

  /** Admission in the contract's order: key, model known, model in plan, the protocol's limits, stream slot, rate, concurrency, hold. */
  async function admit(adapter: ProtocolAdapter, request: Request, body: RelayBody, requestId: string, lease: Lease): Promise<Admitted> {
    const key = await metering.identify(adapter.authorization ? adapter.authorization(request) : request.headers.get('authorization'));
    lease.keyId = key.id;
    const ctx = await metering.usable(key);
    const name = adapter.modelName(body);
    const model = catalog.resolveModel(name);
    // a name the adapter mapped (claude-opus-4 → deepseek-v4-pro) is shown as both
    const shown = typeof body.model === 'string' && body.model !== name ? `${body.model} (${name})` : name;
    if (!model) throw Err.modelNotFound(shown);
    if (!ctx.plan.models.includes(model.publicModel)) throw Err.modelNotAllowed(shown, ctx.plan.models);
    adapter.check?.(body, model);
    const serverTools = adapter.serverTools?.(body) ?? [];
    const serverToolHoldNano = serverTools.length === 0 ? 0 : serverToolHold(catalog, serverTools, model);
    const stream = adapter.isStream(body);
    if (stream) {
      if (streamSlots >= options.maxOpenStreams) throw Err.tooManyStreams(options.maxOpenStreams);
      streamSlots++;
      lease.streamSlot = true;
    }
    // tool-call turns sent back without their reasoning: what this key's record kept of it, in one look-up
    const unexplained = adapter.toolCallsWithoutReasoning?.(body, model) ?? [];
    const recalled = unexplained.length === 0 ? NOTHING_RECALLED : await memory.recallAll(key.id, unexplained);
    // One object is both the adapter's context and what admission returns (its last three fields set below).
    const admitted: Admitted = { ctx, key: ctx.key, model, outputCap: adapter.outputCap(body, model), recalled, stream, upstreamBody: EMPTY, upstreamText: '', admission: null!, serverTools };
    const upstreamBody = adapter.upstreamBody(body, admitted);
    // Every prompt token is at least one byte of this JSON: a sound upper bound for the hold.
    let upstreamText = JSON.stringify(upstreamBody);
    const admission = await metering.admit(ctx, model, Buffer.byteLength(upstreamText), admitted.outputCap, requestId, serverToolHoldNano);
    if (admission.clamped) {
      adapter.setOutputCap(upstreamBody, admission.maxTokens);
      upstreamText = JSON.stringify(upstreamBody);
    }
    admitted.upstreamBody = upstreamBody;
    admitted.upstreamText = upstreamText;
    admitted.admission = admission;
    return admitted;
  }

  function moneyHeaders(costNano: number, remainingNano: number): Record<string, string> {
    return { 'x-tollgate-cost-usd': formatUsd(costNano), 'x-tollgate-remaining-usd': formatUsd(Math.max(0, remainingNano)) };
  }

  /**
   * Relays one request of the adapter's protocol; every error is a GatewayError, answered in that
   * protocol's shape. The one place where every protocol's refusals of a known key are counted
   * (402, 403, 404 model, 429, 400 from the adapter's checks or from DeepSeek): in memory, no write.
   */
  async function relay(adapter: ProtocolAdapter, request: Request, body: RelayBody, requestId: string, lang: Lang): Promise<Response> {
    if (draining) throw Err.shuttingDown();
    const lease: Lease = { leave: relays.enter(), heldByStream: false, streamSlot: false, keyId: null };
    refusalsSeen.add(request);
    try {
      const response = await admitAndForward(adapter, request, body, requestId, lang, lease);
      // DeepSeek's own refusal passed on as it came (verbatimRejections): the only non-2xx answer not thrown
      if (response.status >= 400 && lease.keyId !== null) metering.refusals.count(lease.keyId, 'upstream_rejected');
      return response;
    } catch (error) {
      if (lease.keyId !== null && error instanceof GatewayError) metering.refusals.countError(lease.keyId, error);
      throw error;
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
  async function admitAndForward(adapter: ProtocolAdapter, request: Request, body: RelayBody, requestId: string, lang: Lang, lease: Lease): Promise<Response> {
    // A stream slot taken by a request refused later in admission comes back with the lease.
    const { ctx, model, admission, upstreamBody, upstreamText, stream, serverTools } = await admit(adapter, request, body, requestId, lease);
    const headers = metering.rateHeaders(admission.rate);
    headers['x-request-id'] = requestId;
    if (admission.clamped) headers['x-tollgate-max-tokens-clamped'] = String(admission.maxTokens);
    const keyShowsReasoning = ctx.key.showReasoning ?? deps.showReasoningDefault();
    const relay: Relay = { request, adapter, body, ctx, model, admission, upstreamBody, stream, headers, keyShowsReasoning, serverTools, answeredBy: null };
    try {
      return await forward(relay, upstreamText, lang, lease);
    } catch (error) {
      await settleUnfinished(relay, error);
      throw withHeaders(error instanceof GatewayError ? error : relay.answeredBy ? Err.upstreamError() : Err.internal(), headers);
    }
  }

  async function forward(relay: Relay, upstreamText: string, lang: Lang, lease: Lease): Promise<Response> {
    const { request, adapter, model, admission } = relay;
    const result = await sendUpstream(pool, adapter.upstreamPath(relay.body), upstreamText, options, [request.signal, shutdownSignal], upstreamFailed);
    if (result.kind !== 'failed' || result.reachedUpstream) observer.claimed(request, model.publicModel);
    if (result.kind === 'failed') {
      if (result.reachedUpstream) await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.error.status, finishReason: null, ttfbMs: null, upstreamId: result.upstreamId });
      else await metering.release(admission);
      throw result.error;
    }
    if (result.kind === 'rejected') {
      await settle(relay, { usage: ZERO_USAGE, basis: 'upstream', status: result.status, finishReason: null, ttfbMs: null, upstreamId: result.upstream.id });
      if (adapter.verbatimRejections && result.body !== null) {
        return new Response(result.body, { status: result.status, headers: { ...relay.headers, 'content-type': 'application/json' } });
      }
      throw Err.upstreamRejected(result.message);
    }
    relay.answeredBy = result.upstream.id;
    if (relay.stream) return openStream(relay, result.response, result.controller, result.upstream, lang, lease);
    return completeNonStream(relay, result.response, result.controller, result.upstream);
  }

  function openStream(relay: Relay, response: Response, controller: AbortController, upstream: Upstream, lang: Lang, lease: Lease): Response {
    const { model, admission, ctx } = relay;
    // Headers go out before the cost is known: they carry the hold, the most this can cost.
    const headers = {
      ...relay.headers,
      ...moneyHeaders(admission.holdNano, metering.remainingOf(ctx.key)),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    };
    const codec = relay.adapter.streamCodec(relay.body, model.publicModel, relay.keyShowsReasoning, lang);
    const stream = pipeStream(response, controller, options.idleTimeoutMs, codec, {
      now: clock.now,
      shutdown: shutdownSignal,
      settle: async (end) => {
        try {
          upstream.inFlight--;
          openStreams--;
          observer.streamClosed();
          if (end.outcome === 'upstream_error' || end.outcome === 'timeout') observer.upstreamError(upstream.id, end.outcome === 'timeout' ? 'timeout' : 'stream');
          rememberReasoning(relay, end.facts);
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
    const usage = await estimate(relay, end.facts);
    const finishReason = end.outcome === 'client_gone' ? 'client_disconnected' : end.outcome;
    return settle(relay, { usage, basis: 'estimated', status, finishReason, ttfbMs, upstreamId });
  }

  async function completeNonStream(relay: Relay, response: Response, controller: AbortController, upstream: Upstream): Promise<Response> {
    let read;
    try {
      read = await readCompletion(response, controller, { idleMs: options.idleTimeoutMs, maxBytes: options.maxUpstreamBodyBytes }, shutdownSignal, clock.now);
    } finally {
      upstream.inFlight--;
    }
    const ttfbMs = read.firstByteAt === null ? null : read.firstByteAt - relay.admission.startedAt;
    const completion = read.failure ? null : relay.adapter.completion(read.text, relay.body, relay.model.publicModel, relay.keyShowsReasoning);
    if (!completion) {
      // Not read whole, or not an answer of this protocol: billed as the prompt alone, estimated.
      const failure = read.failure ?? Err.upstreamMalformed();
      if (!read.stopped) observer.upstreamError(upstream.id, failure.status === 504 ? 'timeout' : 'stream');
      const usage = await estimate(relay, NOTHING_RECEIVED);
      await settle(relay, { usage, basis: 'estimated', status: failure.status, finishReason: null, ttfbMs, upstreamId: upstream.id });
      throw failure;
    }
    const facts: CompletionFacts = completion.facts;
    // Rendered before settling: an answer that cannot be sent on is billed as a failure, not as delivered.
    const answer = JSON.stringify(completion.body);
    rememberReasoning(relay, facts);
    const settlement = facts.usage
      ? await settle(relay, { usage: facts.usage, basis: 'upstream', status: 200, finishReason: facts.finishReason, ttfbMs, upstreamId: upstream.id })
      : await settle(relay, { usage: await estimate(relay, { content: read.text, reasoning: '' }), basis: 'estimated', status: 200, finishReason: facts.finishReason, ttfbMs, upstreamId: upstream.id });
    // the relay's own headers object, finished here: nothing reads it once the answer is made
    const headers = relay.headers;
    headers['x-tollgate-cost-usd'] = formatUsd(settlement.costNano);
    headers['x-tollgate-remaining-usd'] = formatUsd(Math.max(0, settlement.remainingNano));
    headers['content-type'] = 'application/json';
    return new Response(answer, { headers });
  }

  return {
    relay,
    /**
     * A relayed route's request refused before the relay ran (its JSON or schema, which Elysia
     * checks first): counted as bad_request against its key, when the key is one we know.
     */
    async refusedBeforeRelay(adapter: ProtocolAdapter, request: Request, error: GatewayError): Promise<void> {
      if (refusalsSeen.has(request) || error.status !== 400) return;
      let keyId: string;
      try {
        keyId = (await metering.identify(adapter.authorization ? adapter.authorization(request) : request.headers.get('authorization'))).id;
      } catch {
        return;
      }
      metering.refusals.count(keyId, 'bad_request');
    },
    /** Shutdown, step one: new relayed requests get a 503 from now on; open ones run on. */
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

export type ProxyService = ReturnType<typeof createRelay>;
