import { GatewayError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { Usage } from '../catalog/price-book';
import type { ResolvedModel } from '../catalog/service';
import type { Admission, KeyContext, MeteringService, Settlement } from '../metering/service';
import { estimateUsage, type Received } from './estimate';
import type { Protocol, ProtocolAdapter, RelayBody } from './protocols/adapter';
import type { ReasoningMemory } from './reasoning-memory';
import type { DeclaredServerTool } from './protocols/server-tools';
import { estimatedServerTools, withParsedFiles } from './server-tools';
import type { ServerToolCalls } from '../catalog/price-book';

// How a relayed request ends: one ledger row (metering.settle), reported to the request log and
// the metrics; an estimate when DeepSeek's usage never came; the last-resort settlement of a
// request that threw past its own; the reasoning of a tool-call turn kept for its key.

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
  protocol: Protocol;
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

export const NO_OBSERVER: ProxyObserver = { claimed() {}, settled() {}, upstreamError() {}, streamOpened() {}, streamClosed() {} };

/** One request on its way through the relay, from admission on. */
export interface Relay {
  request: Request;
  adapter: ProtocolAdapter;
  body: RelayBody;
  ctx: KeyContext;
  model: ResolvedModel;
  admission: Admission;
  upstreamBody: Record<string, unknown>;
  stream: boolean;
  headers: Record<string, string>;
  keyShowsReasoning: boolean;
  /** DeepSeek's server-side tools the request declared (allowed and held at admission) */
  serverTools: DeclaredServerTool[];
  /** the upstream key whose answer is being read: from then on the request is billed, never just released */
  answeredBy: string | null;
}

export interface End {
  usage: Usage;
  basis: 'upstream' | 'estimated';
  status: number;
  finishReason: string | null;
  ttfbMs: number | null;
  upstreamId: string | null;
}

const NOTHING_RECEIVED = { content: '', reasoning: '' };

export function createRelaySettler(deps: { metering: MeteringService; clock: Clock; log: Logger; memory: ReasoningMemory; observer: () => ProxyObserver }) {
  const { metering, clock, memory } = deps;
  const tokenizerFailed = (error: unknown) => deps.log.error('the tokenizer failed; estimating usage from text length', { error: String(error) });

  function settle(relay: Relay, end: End): Promise<Settlement> {
    // Files sent for parsing are billed once DeepSeek took the request (its answer is being read).
    const usage = relay.answeredBy === null ? end.usage : withParsedFiles(end.usage, relay.serverTools);
    const settlement = metering.settle(relay.admission, {
      protocol: relay.adapter.protocol,
      model: relay.model,
      usage,
      basis: end.basis,
      httpStatus: end.status,
      finishReason: end.finishReason,
      stream: relay.stream,
      ttfbMs: end.ttfbMs,
      upstreamKeyId: end.upstreamId,
    });
    const report = (costNano: number | null): SettledReport => ({
      requestId: relay.admission.requestId,
      keyHint: relay.ctx.key.keyHint,
      protocol: relay.adapter.protocol,
      model: relay.model.publicModel,
      stream: relay.stream,
      status: end.status,
      usage,
      costNano,
      basis: end.basis,
      finishReason: end.finishReason,
      ttfbMs: end.ttfbMs,
      durationMs: clock.now() - relay.admission.startedAt,
      upstreamId: end.upstreamId,
    });
    settlement.then(
      (s) => deps.observer().settled(relay.request, report(s.costNano)),
      () => deps.observer().settled(relay.request, report(null)),
    );
    return settlement;
  }

  /** The last resort for a request that threw past its own settlement: bill what DeepSeek was sent, or release. */
  async function settleUnfinished(relay: Relay, error: unknown): Promise<void> {
    if (relay.admission.done) return;
    if (relay.answeredBy === null) {
      await metering.release(relay.admission);
      return;
    }
    deps.log.error('a relay failed while reading the upstream answer; billed as estimated', { request_id: relay.admission.requestId, error: String(error) });
    try {
      const usage = await estimate(relay, NOTHING_RECEIVED);
      const status = error instanceof GatewayError ? error.status : 502;
      await settle(relay, { usage, basis: 'estimated', status, finishReason: null, ttfbMs: null, upstreamId: relay.answeredBy });
    } catch (settleError) {
      deps.log.error('an unfinished relay could not be settled; its hold is released', { request_id: relay.admission.requestId, error: String(settleError) });
      await metering.release(relay.admission);
    }
  }

  /**
   * The usage of an answer DeepSeek never reported: the prompt with DeepSeek's tokenizer (or as
   * the stream's start counted it), the output from what arrived, the server tools as far as known.
   */
  async function estimate(relay: Relay, received: Received & { serverToolsSeen?: ServerToolCalls }): Promise<Usage> {
    const usage = await estimateUsage(relay.adapter.promptText(relay.upstreamBody), received, tokenizerFailed);
    if (relay.serverTools.length === 0) return usage;
    const serverTools = estimatedServerTools(relay.serverTools, received.serverToolsSeen, received.content !== '' || received.reasoning !== '');
    return serverTools ? { ...usage, serverTools } : usage;
  }

  /** A tool-call turn's reasoning, kept for the key so that it can be put back when a client drops it. */
  function rememberReasoning(relay: Relay, facts: { reasoning?: string; toolCallIds?: string[] }): void {
    if (facts.toolCallIds && facts.toolCallIds.length > 0 && facts.reasoning) memory.remember(relay.ctx.key.id, facts.toolCallIds, facts.reasoning);
  }


  return { settle, settleUnfinished, estimate, rememberReasoning, NOTHING_RECEIVED };
}
