import { Err, type GatewayError } from '../../../errors';
import type { Lang } from '../../../lib/i18n';
import type { SseEvent } from '../../../lib/sse';
import type { ResolvedModel } from '../../catalog/service';
import { outputCapOf } from '../../metering/service';
import { parseAnswer } from '../completion';
import { promptText } from '../estimate';
import { nulCharacterField } from '../model';
import { isRecord, transformChunk, transformCompletion, transformContentChunk, type ChunkVerdict, type TransformOptions } from '../transform';
import type { ProtocolAdapter, StreamCodec, StreamFacts } from './adapter';
import { chatServerTools } from './server-tools';

// OpenAI chat completions, relayed to DeepSeek's /chat/completions (or /beta/chat/completions for
// a prefix completion). Data-only SSE ending with `data: [DONE]`; usage is DeepSeek's
// prompt_cache_hit/miss_tokens and completion_tokens (usage.ts); reasoning_content is removed
// unless asked for, except on turns that make tool calls (transform.ts), whose reasoning the
// gateway also puts back when a client sends such a turn again without it.

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

const DONE = 'data: [DONE]\n\n';

/**
 * A data-only stream that ends with `data: [DONE]` (chat and FIM): each chunk parsed, transformed
 * in place by the protocol's chunk transform, sent again; after a break, one last event with the
 * error object and `choices: []`. A class: its methods are shared, not made again for each stream.
 */
export class DataOnlyCodec<Options> implements StreamCodec {
  readonly facts: StreamFacts = { usage: null, finishReason: null, content: '', reasoning: '' };
  finished = false;
  readonly closing = DONE;

  constructor(
    private readonly transform: (chunk: unknown, opts: Options, facts: StreamFacts) => ChunkVerdict,
    private readonly opts: Options,
    private readonly lang: Lang,
    /** the event for a chunk it recognises on its text alone, else undefined (then parsed and transformed) */
    private readonly fast?: (data: string, opts: Options, facts: StreamFacts) => string | undefined,
  ) {}

  event(event: SseEvent): string | null {
    if (event.data === '[DONE]') {
      this.finished = true;
      return '';
    }
    if (this.fast && event.data !== null) {
      const spliced = this.fast(event.data, this.opts, this.facts);
      if (spliced !== undefined) return spliced;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data as string);
    } catch {
      return null;
    }
    const verdict = this.transform(chunk, this.opts, this.facts);
    if (verdict === 'broken') return null;
    return verdict === 'skip' ? '' : `data: ${JSON.stringify(chunk)}\n\n`;
  }

  errorEvent(error: GatewayError): string {
    return `data: ${JSON.stringify({ ...error.toBody(this.lang), choices: [] })}\n\n`;
  }
}

/** Chat's stream transform, given its options. */
export const chatStreamCodec = (opts: TransformOptions, lang: Lang): StreamCodec => new DataOnlyCodec(transformChunk, opts, lang, transformContentChunk);

const includeReasoning = (body: ChatBody, keyShowsReasoning: boolean) => body.include_reasoning === true || keyShowsReasoning;

/** A trailing assistant message with prefix: true asks for DeepSeek's chat prefix completion (beta). */
function isPrefixCompletion(body: ChatBody): boolean {
  const last = body.messages.at(-1);
  return last?.role === 'assistant' && last?.prefix === true;
}

/** Whether DeepSeek will think on this request: the model's forced mode, else the body's, else DeepSeek's default (on). */
function thinks(model: ResolvedModel, body: ChatBody): boolean {
  const asked = isRecord(body.thinking) ? body.thinking.type : undefined;
  return (model.thinking ?? asked) !== 'disabled';
}

/** The tool calls of earlier assistant turns that come back without their reasoning. */
function toolCallsWithoutReasoning(messages: unknown[]): string[] {
  const ids: string[] = [];
  for (const message of messages) {
    if (!isRecord(message) || message.role !== 'assistant' || !Array.isArray(message.tool_calls)) continue;
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') continue;
    for (const call of message.tool_calls) {
      const id = isRecord(call) ? call.id : undefined;
      if (typeof id === 'string') ids.push(id);
    }
  }
  return ids;
}

/**
 * Puts back the reasoning of earlier tool-call turns the client sent without it, as the key's
 * record had it (recalled): DeepSeek V4 answers 400 otherwise. The parsed body is the relay's
 * own, so its messages are completed in place rather than copied.
 */
function restoreReasoning(messages: unknown[], recalled: ReadonlyMap<string, string>): void {
  if (recalled.size === 0) return;
  for (const message of messages) {
    if (!isRecord(message) || message.role !== 'assistant' || !Array.isArray(message.tool_calls)) continue;
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') continue;
    for (const call of message.tool_calls) {
      const id = isRecord(call) ? call.id : undefined;
      const reasoning = typeof id === 'string' ? recalled.get(id) : undefined;
      if (reasoning !== undefined) {
        message.reasoning_content = reasoning;
        break;
      }
    }
  }
}

function chatAdapter(paths: readonly string[], upstreamPath: (body: ChatBody) => string): ProtocolAdapter<ChatBody> {
  return {
    protocol: 'chat',
    errorShape: 'openai',
    paths,
    modelName: (body) => body.model,
    isStream: (body) => body.stream === true,
    outputCap: (body, model) => outputCapOf(model, body.max_tokens ?? body.max_completion_tokens),
    check(body) {
      const nulField = nulCharacterField(body);
      if (nulField) throw Err.invalidField(nulField, 'NUL characters are not allowed in message text');
    },
    serverTools: chatServerTools,
    upstreamPath,
    toolCallsWithoutReasoning: (body, model) => (thinks(model, body) ? toolCallsWithoutReasoning(body.messages) : []),
    upstreamBody(body, { model, key, outputCap, recalled }) {
      const upstream: Record<string, unknown> = { ...body, model: model.upstreamModel, user_id: key.upstreamUserId };
      delete upstream.include_reasoning;
      if (model.thinking) upstream.thinking = { type: model.thinking };
      // The hold prices exactly this many output tokens, so DeepSeek is always told it: a cap the
      // client did not send (or sent higher, or as max_completion_tokens) would otherwise be billed
      // at most the hold while DeepSeek generates, and charges the operator, more.
      delete upstream.max_completion_tokens;
      upstream.max_tokens = outputCap;
      if (body.stream) upstream.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
      restoreReasoning(body.messages, recalled);
      return upstream;
    },
    setOutputCap(upstream, cap) {
      upstream.max_tokens = cap;
    },
    promptText,
    completion(text, body, publicModel, keyShowsReasoning) {
      const answer = parseAnswer(text);
      const facts = transformCompletion(answer, { publicModel, includeReasoning: includeReasoning(body, keyShowsReasoning) });
      return facts ? { body: answer, facts } : null;
    },
    streamCodec: (body, publicModel, keyShowsReasoning, lang) =>
      chatStreamCodec({ publicModel, includeReasoning: includeReasoning(body, keyShowsReasoning), clientWantsUsage: body.stream_options?.include_usage === true }, lang),
  };
}

/** /v1/chat/completions and /chat/completions. */
export const openAiChat = chatAdapter(['/v1/chat/completions', '/chat/completions'], (body) => (isPrefixCompletion(body) ? '/beta/chat/completions' : '/chat/completions'));

/** DeepSeek's beta base (an SDK pointed at https://HOST/beta): chat with prefix completion, billed as chat. */
export const betaChat = chatAdapter(['/beta/chat/completions'], () => '/beta/chat/completions');
