import type { GatewayError } from '../../../errors';
import type { Lang } from '../../../lib/i18n';
import type { SseEvent } from '../../../lib/sse';
import { outputCapOf } from '../../metering/service';
import { parseAnswer } from '../completion';
import { isRecord } from '../transform';
import { anthropicStreamUsage, usageFromAnthropic } from '../usage';
import type { PromptText, ProtocolAdapter, StreamCodec, StreamFacts } from './adapter';
import { messagesServerTools } from './server-tools';

// Anthropic Messages (Claude Code, the Anthropic SDKs), relayed to DeepSeek's
// /anthropic/v1/messages. Only the model and metadata.user_id are changed on the way up (and the
// output cap the hold is priced for); thinking blocks with their signatures, tool_use,
// tool_result, images and the system array go up and come back untouched. Stream events pass on
// as DeepSeek wrote them, except message_start, whose model is the requested name again.

export interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: unknown[];
  system?: unknown;
  stream?: boolean;
  metadata?: Record<string, unknown> | null;
  tools?: unknown[];
  [field: string]: unknown;
}

/**
 * DeepSeek's mapping of Claude names: `claude-opus*` → deepseek-v4-pro, any other `claude*` →
 * deepseek-flash (both then resolved by the catalog like any model); a `[1m]` suffix (Claude
 * Code's mark for a 1M context) is dropped, should a client send it.
 */
export function messagesModelName(model: string): string {
  const name = model.replace(/\[1m\]$/i, '');
  const lower = name.toLowerCase();
  if (lower.startsWith('claude-opus')) return 'deepseek-v4-pro';
  if (lower.startsWith('claude')) return 'deepseek-flash';
  return name;
}

/** The key: `Authorization: Bearer …`, else `x-api-key` (Authorization wins when both are sent, as at DeepSeek). */
export function anthropicCredential(request: Request): string | null {
  const authorization = request.headers.get('authorization');
  if (authorization !== null) return authorization;
  const key = request.headers.get('x-api-key');
  return key === null ? null : `Bearer ${key.trim()}`;
}

function blockText(block: unknown): string {
  if (typeof block === 'string') return block;
  if (!isRecord(block)) return '';
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? block.text : '';
    case 'thinking':
      return typeof block.thinking === 'string' ? block.thinking : '';
    case 'tool_use':
    case 'server_tool_use':
      return `${String(block.name ?? '')} ${JSON.stringify(block.input ?? {})}`;
    case 'tool_result':
      return contentText(block.content);
    default:
      return '';
  }
}

const contentText = (content: unknown): string => (Array.isArray(content) ? content.map(blockText).join('\n') : blockText(content));

/** A Messages body's prompt as text: the system, each message's blocks, the tools. For estimates and count_tokens. */
export function messagesPromptText(body: Record<string, unknown>): PromptText {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const parts = [contentText(body.system)];
  for (const message of messages) parts.push(isRecord(message) ? contentText(message.content) : '');
  if (Array.isArray(body.tools) && body.tools.length > 0) parts.push(JSON.stringify(body.tools));
  return { text: parts.join('\n'), messages: messages.length + (body.system ? 1 : 0) };
}

const frame = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

/** Which server tool a server_tool_use block ran: a search unless it fetched a URL. */
const serverToolOf = (name: unknown) => (typeof name === 'string' && /fetch|read_url/.test(name) ? 'read_url' : 'web_search');

/**
 * Anthropic's typed stream: every event passes on as DeepSeek wrote it; the codec reads the usage
 * (message_start's input, the last message_delta's output), the text for an estimate, the server
 * tools run, and the end (message_stop). DeepSeek's own `event: error` is what the client gets
 * when the stream breaks on it; otherwise the gateway's error in Anthropic's shape.
 */
class MessagesCodec implements StreamCodec {
  readonly facts: StreamFacts = { usage: null, finishReason: null, content: '', reasoning: '', serverToolsSeen: {} };
  readonly typedEvents = true;
  readonly closing = '';
  finished = false;
  private start: Record<string, unknown> | undefined;
  private upstreamError: string | null = null;

  constructor(
    private readonly requestedModel: string,
    private readonly lang: Lang,
  ) {}

  event(event: SseEvent): string | null {
    let payload: unknown;
    try {
      payload = JSON.parse(event.data as string);
    } catch {
      return null;
    }
    if (!isRecord(payload) || typeof payload.type !== 'string') return null;
    const name = event.event ?? payload.type;
    switch (payload.type) {
      case 'message_start': {
        const message = payload.message;
        if (!isRecord(message)) return null;
        if (isRecord(message.usage)) {
          this.start = message.usage;
          const input = usageFromAnthropic({ output_tokens: 0, ...message.usage });
          if (input) this.facts.input = { cacheHitTokens: input.cacheHitTokens, cacheMissTokens: input.cacheMissTokens };
        }
        if (typeof message.model === 'string') message.model = this.requestedModel;
        return frame(name, JSON.stringify(payload));
      }
      case 'content_block_start': {
        const block = payload.content_block;
        if (isRecord(block) && block.type === 'server_tool_use') {
          const seen = this.facts.serverToolsSeen!;
          const kind = serverToolOf(block.name);
          seen[kind] = (seen[kind] ?? 0) + 1;
        }
        break;
      }
      case 'content_block_delta': {
        const delta = payload.delta;
        if (!isRecord(delta)) return null;
        if (typeof delta.text === 'string') this.facts.content += delta.text;
        else if (typeof delta.thinking === 'string') this.facts.reasoning += delta.thinking;
        else if (typeof delta.partial_json === 'string') this.facts.content += delta.partial_json;
        break;
      }
      case 'message_delta': {
        const usage = anthropicStreamUsage(this.start, payload.usage);
        if (!usage) return null;
        this.facts.usage = usage;
        const stop = isRecord(payload.delta) ? payload.delta.stop_reason : undefined;
        if (typeof stop === 'string') this.facts.finishReason = stop;
        break;
      }
      case 'message_stop':
        this.finished = true;
        break;
      case 'error':
        this.upstreamError = frame(name, event.data as string);
        return null;
    }
    return frame(name, event.data as string);
  }

  errorEvent(error: GatewayError): string {
    return this.upstreamError ?? frame('error', JSON.stringify(error.toAnthropicBody(this.lang)));
  }
}

export const anthropicMessages: ProtocolAdapter<MessagesBody> = {
  protocol: 'anthropic',
  errorShape: 'anthropic',
  paths: ['/anthropic/v1/messages', '/anthropic/messages', '/v1/messages'],
  authorization: anthropicCredential,
  modelName: (body) => messagesModelName(body.model),
  isStream: (body) => body.stream === true,
  outputCap: (body, model) => outputCapOf(model, body.max_tokens),
  serverTools: messagesServerTools,
  upstreamPath: () => '/anthropic/v1/messages',
  upstreamBody(body, { model, key, outputCap }) {
    // DeepSeek takes only a user_id of [a-zA-Z0-9_-] (Claude Code sends a JSON string): the key's opaque id instead.
    const metadata = isRecord(body.metadata) ? { ...body.metadata, user_id: key.upstreamUserId } : { user_id: key.upstreamUserId };
    const upstream: Record<string, unknown> = { ...body, model: model.upstreamModel, max_tokens: outputCap, metadata };
    if (model.thinking) upstream.thinking = { type: model.thinking };
    return upstream;
  },
  setOutputCap(upstream, cap) {
    upstream.max_tokens = cap;
  },
  promptText: messagesPromptText,
  completion(text, body) {
    const answer = parseAnswer(text);
    if (!isRecord(answer) || answer.type !== 'message' || !Array.isArray(answer.content)) return null;
    const usage = answer.usage === undefined || answer.usage === null ? null : usageFromAnthropic(answer.usage);
    if (answer.usage !== undefined && answer.usage !== null && !usage) return null;
    // DeepSeek echoes the name it was sent; the client gets back the one it asked for
    if (typeof answer.model === 'string') answer.model = body.model;
    return { body: answer, facts: { usage, finishReason: typeof answer.stop_reason === 'string' ? answer.stop_reason : null } };
  },
  streamCodec: (body, _publicModel, _keyShowsReasoning, lang) => new MessagesCodec(body.model, lang),
  verbatimRejections: true,
};
