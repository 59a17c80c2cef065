import type { Usage } from '../catalog/price-book';
import type { CompletionFacts, StreamFacts } from './protocols/adapter';
import { usageFromDeepSeek } from './usage';

// Rewrites DeepSeek's chat payloads for the buyer: the public model name, reasoning removed
// unless asked for, `usage: null` removed where only our forced include_usage put it. A turn that
// makes tool calls keeps its reasoning whatever the filter says: DeepSeek V4 wants it back on the
// next turn. What is not shaped as DeepSeek documents (a choice that is not an object, a delta of
// null, a count of the wrong type…) is reported as broken instead of passed on or half-read.

export interface TransformOptions {
  publicModel: string;
  includeReasoning: boolean;
  /** the client asked for stream_options.include_usage itself */
  clientWantsUsage: boolean;
}

/** What the chunks told so far (StreamFacts: usage once a chunk carried it, text, tool call ids). */
export type ChunkFacts = StreamFacts;

/** send: pass the (transformed) chunk on; skip: nothing left in it to send; broken: end the stream with the error event */
export type ChunkVerdict = 'send' | 'skip' | 'broken';

type Json = Record<string, unknown>;
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** a text field as DeepSeek sends it: a string, null or absent */
export const isText = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** A message or delta as DeepSeek sends it: text fields are strings (or null), tool_calls an array. */
function isMessage(m: unknown): m is Json {
  return isRecord(m) && isText(m.content) && isText(m.reasoning_content) && (m.tool_calls === undefined || m.tool_calls === null || Array.isArray(m.tool_calls));
}

/** Transforms one stream chunk (a parsed `data:` line) in place and says what to do with it. */
export function transformChunk(chunk: unknown, opts: TransformOptions, facts: ChunkFacts): ChunkVerdict {
  // an upstream error event, or anything but a chunk object with a list of choices
  if (!isRecord(chunk) || chunk.error || !Array.isArray(chunk.choices)) return 'broken';
  if (typeof chunk.model === 'string') chunk.model = opts.publicModel;
  const usage = chunk.usage;
  if (usage !== undefined && usage !== null) {
    facts.usage = usageFromDeepSeek(usage);
    if (!facts.usage) return 'broken';
  } else if (usage === null && !opts.clientWantsUsage) delete chunk.usage;

  const choices = chunk.choices as unknown[];
  let keep = choices.length === 0 || Boolean(usage);
  for (const choice of choices) {
    if (!isRecord(choice) || !isMessage(choice.delta) || !isText(choice.finish_reason)) return 'broken';
    const delta = choice.delta;
    if (choice.finish_reason) facts.finishReason = choice.finish_reason as string;
    if (typeof delta.content === 'string') facts.content += delta.content;
    if (typeof delta.reasoning_content === 'string') {
      facts.reasoning += delta.reasoning_content;
      if (!opts.includeReasoning) delete delta.reasoning_content;
    } else if (delta.reasoning_content === null && !opts.includeReasoning) {
      delete delta.reasoning_content;
    }
    if (Array.isArray(delta.tool_calls)) {
      facts.content += JSON.stringify(delta.tool_calls);
      if (!facts.toolCallIds) {
        // The reasoning held back so far goes out whole with the first tool call: a client that
        // appends the streamed message sends it back, as DeepSeek requires.
        facts.toolCallIds = [];
        if (!opts.includeReasoning && facts.reasoning !== '') delta.reasoning_content = facts.reasoning;
      }
      collectIds(delta.tool_calls, facts.toolCallIds);
    }
    const hasContent = typeof delta.content === 'string' && delta.content !== '';
    if (delta.role || hasContent || delta.tool_calls || delta.reasoning_content !== undefined || choice.finish_reason) keep = true;
  }
  return keep ? 'send' : 'skip';
}

/**
 * DeepSeek's plain text chunk, exactly as it sends it: one choice whose delta is only `content`,
 * no finish reason, usage null or absent. Nothing in it needs more than the model name swapped
 * (and the null usage dropped), so it is spliced as text instead of parsed and written again. No
 * control character passes the pattern: a raw one makes the chunk invalid JSON, which the full
 * parse reports as broken.
 */
const CONTENT_CHUNK =
  /^\{"id":"[^"\\\u0000-\u001f]*","object":"chat\.completion\.chunk","created":\d+,"model":("[^"\\\u0000-\u001f]*"),"system_fingerprint":(?:"[^"\\\u0000-\u001f]*"|null),"choices":\[\{"index":\d+,"delta":\{"content":("(?:[^"\\\u0000-\u001f]|\\.)*")\},"logprobs":null,"finish_reason":null\}\](,"usage":null)?\}$/;

/**
 * transformChunk for a chunk that is DeepSeek's plain text chunk (CONTENT_CHUNK), on its text: the
 * `data:` event to send ('' when there is nothing to send), or undefined for any other chunk,
 * which takes the full parse. Same facts and output as transformChunk gives it.
 */
export function transformContentChunk(data: string, opts: TransformOptions, facts: ChunkFacts): string | undefined {
  const match = CONTENT_CHUNK.exec(data);
  if (!match) return undefined;
  const model = match[1] as string;
  const literal = match[2] as string;
  let content: string;
  try {
    content = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
  } catch {
    return undefined;
  }
  facts.content += content;
  if (content === '') return '';
  const at = data.indexOf(',"model":') + 9;
  let out = `${data.slice(0, at)}${JSON.stringify(opts.publicModel)}${data.slice(at + model.length)}`;
  if (match[3] !== undefined && !opts.clientWantsUsage) out = `${out.slice(0, -1 - match[3].length)}}`;
  return `data: ${out}\n\n`;
}

/** Transforms a whole non-stream completion in place; null when it is not shaped as one. */
export function transformCompletion(body: unknown, opts: Omit<TransformOptions, 'clientWantsUsage'>): CompletionFacts | null {
  if (!isRecord(body) || !Array.isArray(body.choices)) return null;
  let usage: Usage | null = null;
  if (body.usage !== undefined && body.usage !== null) {
    usage = usageFromDeepSeek(body.usage);
    if (!usage) return null;
  }
  let finishReason: string | null = null;
  let facts: CompletionFacts | null = null;
  for (const choice of body.choices as unknown[]) {
    if (!isRecord(choice) || !isMessage(choice.message) || !isText(choice.finish_reason)) return null;
    const message = choice.message;
    finishReason ??= (choice.finish_reason as string | null | undefined) ?? null;
    const reasoning = message.reasoning_content;
    if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0 && typeof reasoning === 'string' && reasoning !== '') {
      // a tool-call turn keeps its reasoning, and the relay remembers it under the call ids
      facts ??= { usage, finishReason, reasoning, toolCallIds: [] };
      collectIds(message.tool_calls, facts.toolCallIds!);
    } else if (!opts.includeReasoning) {
      delete message.reasoning_content;
    }
  }
  if (typeof body.model === 'string') body.model = opts.publicModel;
  if (!facts) return { usage, finishReason };
  facts.finishReason = finishReason;
  return facts;
}

function collectIds(toolCalls: unknown[], into: string[]): void {
  for (const call of toolCalls) if (isRecord(call) && typeof call.id === 'string') into.push(call.id);
}
