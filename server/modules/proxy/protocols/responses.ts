import type { GatewayError } from '../../../errors';
import type { Lang } from '../../../lib/i18n';
import type { SseEvent } from '../../../lib/sse';
import { outputCapOf } from '../../metering/service';
import { parseAnswer } from '../completion';
import { isRecord } from '../transform';
import { usageFromResponses } from '../usage';
import type { PromptText, ProtocolAdapter, StreamCodec, StreamFacts } from './adapter';
import { responsesServerTools } from './server-tools';

// OpenAI's Responses API (Codex), relayed to DeepSeek's /responses. DeepSeek's is stateless:
// previous_response_id and store are ignored there, so clients send the whole history each turn,
// reasoning items included (passed on unchanged: DeepSeek wants them back after a tool call).
// Typed stream events pass on as they come, no [DONE]; the usage is on the response of whichever
// terminal event ends the stream (completed, incomplete, failed), and all three are billed.

export interface ResponsesBody {
  model: string;
  input: unknown;
  stream?: boolean;
  max_output_tokens?: number;
  instructions?: unknown;
  tools?: unknown[];
  [field: string]: unknown;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Events that carry the response object, whose model is put back to the public name. */
const WITH_RESPONSE = new Set(['response.created', 'response.in_progress', 'response.queued', ...TERMINAL]);

function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isRecord(part)) return '';
  if (typeof part.text === 'string') return part.text;
  return '';
}

function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (!isRecord(item)) return '';
  switch (item.type) {
    case 'function_call':
      return `${String(item.name ?? '')} ${String(item.arguments ?? '')}`;
    case 'custom_tool_call':
      return `${String(item.name ?? '')} ${String(item.input ?? '')}`;
    case 'function_call_output':
    case 'custom_tool_call_output':
      return typeof item.output === 'string' ? item.output : Array.isArray(item.output) ? item.output.map(partText).join('\n') : '';
    default:
      return Array.isArray(item.content) ? item.content.map(partText).join('\n') : partText(item.content);
  }
}

/** A Responses body's prompt as text: the instructions, every input item, the tools. For estimates. */
export function responsesPromptText(body: Record<string, unknown>): PromptText {
  const input = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
  const parts = [typeof body.instructions === 'string' ? body.instructions : '', ...input.map(itemText)];
  if (Array.isArray(body.tools) && body.tools.length > 0) parts.push(JSON.stringify(body.tools));
  return { text: parts.join('\n'), messages: input.length + (body.instructions ? 1 : 0) };
}

/** How a response ended, for the ledger: completed, the reason it is incomplete (max_output_tokens…), or failed. */
function finishOf(response: Record<string, unknown>): string | null {
  const details = response.incomplete_details;
  if (isRecord(details) && typeof details.reason === 'string') return details.reason;
  return typeof response.status === 'string' ? response.status : null;
}

const frame = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

/**
 * Responses' typed stream. A break after the stream began ends it with one `error` event, as
 * OpenAI's Responses streaming sends it (`{type: "error", code, message, param, sequence_number}`):
 * DeepSeek's own when it sent one, else the gateway's.
 */
class ResponsesCodec implements StreamCodec {
  readonly facts: StreamFacts = { usage: null, finishReason: null, content: '', reasoning: '' };
  readonly typedEvents = true;
  readonly closing = '';
  finished = false;
  private sequence = -1;
  private upstreamError: string | null = null;

  constructor(
    private readonly publicModel: string,
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
    const type = payload.type;
    const name = event.event ?? type;
    if (typeof payload.sequence_number === 'number') this.sequence = payload.sequence_number;
    if (type === 'error') {
      this.upstreamError = frame(name, event.data as string);
      return null;
    }
    if (WITH_RESPONSE.has(type)) {
      const response = payload.response;
      if (!isRecord(response)) return null;
      if (TERMINAL.has(type)) {
        const usage = usageFromResponses(response.usage);
        if (!usage) return null;
        this.facts.usage = usage;
        this.facts.finishReason = finishOf(response);
        this.finished = true;
      }
      if (typeof response.model === 'string') response.model = this.publicModel;
      return frame(name, JSON.stringify(payload));
    }
    if (typeof payload.delta === 'string') {
      if (type === 'response.reasoning_text.delta' || type === 'response.reasoning_summary_text.delta') this.facts.reasoning += payload.delta;
      else if (type.endsWith('.delta')) this.facts.content += payload.delta;
    }
    return frame(name, event.data as string);
  }

  errorEvent(error: GatewayError): string {
    if (this.upstreamError) return this.upstreamError;
    const body = error.toBody(this.lang).error;
    return frame('error', JSON.stringify({ type: 'error', code: body.code, message: body.message, param: body.param, sequence_number: this.sequence + 1 }));
  }
}

export const responses: ProtocolAdapter<ResponsesBody> = {
  protocol: 'responses',
  errorShape: 'openai',
  paths: ['/v1/responses', '/responses'],
  modelName: (body) => body.model,
  isStream: (body) => body.stream === true,
  outputCap: (body, model) => outputCapOf(model, body.max_output_tokens),
  serverTools: responsesServerTools,
  upstreamPath: () => '/responses',
  upstreamBody(body, { model, key, outputCap }) {
    const upstream: Record<string, unknown> = { ...body, model: model.upstreamModel, user: key.upstreamUserId, max_output_tokens: outputCap };
    // A model alias that forces thinking on or off says so in Responses' own switch, reasoning.effort.
    const reasoning = isRecord(body.reasoning) ? body.reasoning : {};
    if (model.thinking === 'disabled') upstream.reasoning = { ...reasoning, effort: 'none' };
    else if (model.thinking === 'enabled' && reasoning.effort === 'none') upstream.reasoning = { ...reasoning, effort: 'high' };
    return upstream;
  },
  setOutputCap(upstream, cap) {
    upstream.max_output_tokens = cap;
  },
  promptText: responsesPromptText,
  completion(text, _body, publicModel) {
    const answer = parseAnswer(text);
    if (!isRecord(answer) || answer.object !== 'response' || !Array.isArray(answer.output)) return null;
    const usage = answer.usage === undefined || answer.usage === null ? null : usageFromResponses(answer.usage);
    if (answer.usage !== undefined && answer.usage !== null && !usage) return null;
    if (typeof answer.model === 'string') answer.model = publicModel;
    return { body: answer, facts: { usage, finishReason: finishOf(answer) } };
  },
  streamCodec: (_body, publicModel, _keyShowsReasoning, lang) => new ResponsesCodec(publicModel, lang),
  verbatimRejections: true,
};
