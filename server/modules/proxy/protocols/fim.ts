import { Err } from '../../../errors';
import type { Usage } from '../../catalog/price-book';
import { outputCapOf } from '../../metering/service';
import { parseAnswer } from '../completion';
import { isRecord, isText, type ChunkVerdict } from '../transform';
import { usageFromDeepSeek } from '../usage';
import type { CompletionFacts, ProtocolAdapter, StreamFacts } from './adapter';
import { DataOnlyCodec } from './openai-chat';

// FIM (fill in the middle) completion, relayed to DeepSeek's /beta/completions: OpenAI's legacy
// completions format (choices[].text), usage as chat's, a data-only stream ending with
// `data: [DONE]`. DeepSeek runs it without thinking and with at most 4096 output tokens: the
// gateway says so with a 400 before anything is held, rather than letting DeepSeek refuse it.

export interface FimBody {
  model: string;
  prompt: string;
  suffix?: string | null;
  stream?: boolean;
  max_tokens?: number;
  stream_options?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** DeepSeek's FIM output limit. */
export const FIM_MAX_TOKENS = 4096;

interface FimView {
  publicModel: string;
  /** the client asked for stream_options.include_usage itself */
  clientWantsUsage: boolean;
}

const isChoice = (choice: unknown): choice is Record<string, unknown> => isRecord(choice) && isText(choice.text) && isText(choice.finish_reason);

/** DeepSeek's usage on a FIM body or chunk; undefined when it carries none, null when it is not a usage object. */
function usageOf(payload: Record<string, unknown>): Usage | null | undefined {
  return payload.usage === undefined || payload.usage === null ? undefined : usageFromDeepSeek(payload.usage);
}

/** One FIM stream chunk, transformed in place: the public model name, `usage: null` removed where only the forced include_usage put it. */
function transformFimChunk(chunk: unknown, opts: FimView, facts: StreamFacts): ChunkVerdict {
  if (!isRecord(chunk) || chunk.error || !Array.isArray(chunk.choices)) return 'broken';
  if (typeof chunk.model === 'string') chunk.model = opts.publicModel;
  const usage = usageOf(chunk);
  if (usage === null) return 'broken';
  if (usage) facts.usage = usage;
  else if (chunk.usage === null && !opts.clientWantsUsage) delete chunk.usage;
  for (const choice of chunk.choices as unknown[]) {
    if (!isChoice(choice)) return 'broken';
    if (typeof choice.text === 'string') facts.content += choice.text;
    if (choice.finish_reason) facts.finishReason = choice.finish_reason as string;
  }
  return 'send';
}

function transformFimCompletion(body: unknown, publicModel: string): CompletionFacts | null {
  if (!isRecord(body) || !Array.isArray(body.choices)) return null;
  const usage = usageOf(body);
  if (usage === null) return null;
  let finishReason: string | null = null;
  for (const choice of body.choices as unknown[]) {
    if (!isChoice(choice)) return null;
    finishReason ??= (choice.finish_reason as string | null | undefined) ?? null;
  }
  if (typeof body.model === 'string') body.model = publicModel;
  return { usage: usage ?? null, finishReason };
}

const thinkingAsked = (body: FimBody) => (isRecord(body.thinking) ? body.thinking.type : undefined);

export const fim: ProtocolAdapter<FimBody> = {
  protocol: 'fim',
  errorShape: 'openai',
  paths: ['/beta/completions', '/v1/completions', '/completions'],
  modelName: (body) => body.model,
  isStream: (body) => body.stream === true,
  outputCap: (body, model) => Math.min(outputCapOf(model, body.max_tokens), FIM_MAX_TOKENS),
  check(body, model) {
    if (body.max_tokens !== undefined && body.max_tokens > FIM_MAX_TOKENS) throw Err.fimMaxTokens(FIM_MAX_TOKENS, body.max_tokens);
    if (model.thinking === 'enabled') throw Err.fimThinking('model');
    if (thinkingAsked(body) === 'enabled') throw Err.fimThinking('thinking');
    if (body.prompt.includes('\0')) throw Err.invalidField('prompt', 'NUL characters are not allowed in the prompt');
    if (typeof body.suffix === 'string' && body.suffix.includes('\0')) throw Err.invalidField('suffix', 'NUL characters are not allowed in the suffix');
  },
  upstreamPath: () => '/beta/completions',
  upstreamBody(body, { model, key, outputCap }) {
    const upstream: Record<string, unknown> = { ...body, model: model.upstreamModel, user_id: key.upstreamUserId, max_tokens: outputCap };
    if (body.stream) upstream.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
    return upstream;
  },
  setOutputCap(upstream, cap) {
    upstream.max_tokens = cap;
  },
  promptText(upstream) {
    const parts = [upstream.prompt, upstream.suffix].filter((part): part is string => typeof part === 'string');
    // The prompt and suffix are wrapped in a few FIM marker tokens: counted like one message.
    return { text: parts.join('\n'), messages: 1 };
  },
  completion(text, _body, publicModel) {
    const answer = parseAnswer(text);
    const facts = transformFimCompletion(answer, publicModel);
    return facts ? { body: answer, facts } : null;
  },
  streamCodec: (body, publicModel, _keyShowsReasoning, lang) => new DataOnlyCodec(transformFimChunk, { publicModel, clientWantsUsage: body.stream_options?.include_usage === true }, lang),
};
