import type { Protocol } from '../../../db/schema';
import type { ErrorShape, GatewayError } from '../../../errors';
import type { Lang } from '../../../lib/i18n';
import type { SseEvent } from '../../../lib/sse';
import type { ServerToolCalls, Usage } from '../../catalog/price-book';
import type { ResolvedModel } from '../../catalog/service';
import type { KeyRow } from '../../metering/store';
import type { DeclaredServerTool } from './server-tools';

// What a protocol tells the relay core (relay.ts). The core does everything the protocols share:
// the key, the model and the plan, rate, concurrency and the hold, the upstream pool with its
// retries, reading the answer (idle time-out, size cap, streams chunk by chunk), one ledger row,
// disconnect billing and shutdown. An adapter only knows its own wire format. Each is relayed to
// DeepSeek's own endpoint for it: an adapter never translates one protocol into another.

/** The ledger's name for each protocol (ledger.protocol): chat, fim, anthropic, responses. */
export type { Protocol } from '../../../db/schema';

/** A request body as its route's schema let it through. */
export type RelayBody = Record<string, unknown>;

/** What the core hands an adapter to build DeepSeek's body. */
export interface UpstreamContext {
  model: ResolvedModel;
  key: KeyRow;
  /** the output cap the hold is priced for: DeepSeek must be sent exactly this */
  outputCap: number;
  /** the reasoning the gateway kept for this key's tool calls that the body sends back without it (toolCallsWithoutReasoning), by tool call id */
  recalled: ReadonlyMap<string, string>;
}

/** The prompt's text, for estimating an answer whose usage DeepSeek never sent. */
export interface PromptText {
  text: string;
  /** messages in it (a few template tokens each); 0 for a bare prompt */
  messages: number;
}

/** What a whole (non-stream) answer told the relay. */
export interface CompletionFacts {
  /** DeepSeek's usage mapped to the ledger's kinds (the protocol's usage mapper); null when the answer carried none */
  usage: Usage | null;
  finishReason: string | null;
  /** the reasoning of an answer that made tool calls, remembered under their ids (see ReasoningMemory) */
  reasoning?: string;
  toolCallIds?: string[];
}

/** What a stream told the relay so far: what it bills, or estimates from when usage never came. */
export interface StreamFacts {
  usage: Usage | null;
  finishReason: string | null;
  /** text received (content, tool calls), for the estimate of a stream cut short */
  content: string;
  reasoning: string;
  /** ids of the tool calls made: the reasoning is remembered under them for the key */
  toolCallIds?: string[];
  /** the input DeepSeek counted at the stream's start (Messages' message_start): an estimate bills it instead of a tokenizer count */
  input?: { cacheHitTokens: number; cacheMissTokens: number };
  /** server-tool calls the stream showed so far, on a protocol whose stream shows them (Messages) */
  serverToolsSeen?: ServerToolCalls;
}

/**
 * One stream's transform. The core splits DeepSeek's SSE (carry buffer), passes comment events
 * (`: keep-alive`) on itself, and hands every event that has data to `event`. It writes the cost
 * comment and `closing` once `finished` is set, or after DeepSeek closed with usage seen; it sends
 * `errorEvent` when the stream breaks after it began.
 */
export interface StreamCodec {
  readonly facts: StreamFacts;
  /** The upstream stream names its events (`event:` lines, kept in SseEvent.event): Anthropic Messages and Responses. */
  readonly typedEvents?: boolean;
  /** One upstream event → the text to send, framing included ('' sends nothing); null when it is an error or not this protocol's event. */
  event(event: SseEvent): string | null;
  /** Set by `event` once the event that ends the stream went by (`[DONE]`, `message_stop`, a terminal response event). */
  finished: boolean;
  /** Sent after the cost comment when the stream completed: `data: [DONE]` for data-only streams, '' for typed (`event:`) ones. */
  readonly closing: string;
  /** The last event of a stream that broke after it began (an error object in the protocol's stream shape). */
  errorEvent(error: GatewayError): string;
}

/** A non-stream answer as the buyer gets it (transformed in place), with its facts. */
export interface Completion {
  body: unknown;
  facts: CompletionFacts;
}

export interface ProtocolAdapter<Body extends RelayBody = RelayBody> {
  readonly protocol: Protocol;
  /** The shape of the gateway's own errors on this protocol's paths (the global mapper picks it by path). */
  readonly errorShape: ErrorShape;
  /** The gateway's POST paths for it, each registered as a route in proxy/index.ts. */
  readonly paths: readonly string[];
  /** The credential to check, as an Authorization value (Anthropic also takes x-api-key); default: the Authorization header. */
  authorization?(request: Request): string | null;
  /** The model name the catalog resolves (an adapter may map a client's own names first). */
  modelName(body: Body): string;
  isStream(body: Body): boolean;
  /** The output cap to hold for and send: what the body asks (its own field name), within the model's and the protocol's limits. */
  outputCap(body: Body, model: ResolvedModel): number;
  /** The protocol's limits beyond its schema, after key, model and plan and before anything is held: throws a GatewayError (400). */
  check?(body: Body, model: ResolvedModel): void;
  /** DeepSeek's server-side tools (web search, URL reading, file parsing) the body asks for: refused unless priced, then held and billed per call. */
  serverTools?(body: Body): DeclaredServerTool[];
  /** DeepSeek's path for this body. */
  upstreamPath(body: Body): string;
  /** The ids of tool calls in earlier turns the body sends back without their reasoning, which DeepSeek needs again (looked up in the ReasoningMemory before upstreamBody). */
  toolCallsWithoutReasoning?(body: Body, model: ResolvedModel): string[];
  /** DeepSeek's body: the upstream model, the key's opaque user id, `outputCap`, usage forced on in streams. */
  upstreamBody(body: Body, ctx: UpstreamContext): Record<string, unknown>;
  /** Puts a cap the budget lowered on an upstream body (its own field name). */
  setOutputCap(upstreamBody: Record<string, unknown>, cap: number): void;
  promptText(upstreamBody: Record<string, unknown>): PromptText;
  /** A whole answer's text → the buyer's body and its facts; null when it is not this protocol's answer (a 502, billed as estimated). */
  completion(text: string, body: Body, publicModel: string, keyShowsReasoning: boolean): Completion | null;
  /** A new transform for one stream. */
  streamCodec(body: Body, publicModel: string, keyShowsReasoning: boolean, lang: Lang): StreamCodec;
  /** DeepSeek's own refusals (400, 422…) reach the client with their status and body unchanged, instead of the gateway's 400 upstream_rejected. */
  readonly verbatimRejections?: boolean;
}
