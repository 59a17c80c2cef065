import type { DeepSeekUsage } from './usage';

// Rewrites DeepSeek's chat payloads for the buyer: the public model name, reasoning removed
// unless asked for, `usage: null` removed where only our forced include_usage put it.

export interface TransformOptions {
  publicModel: string;
  includeReasoning: boolean;
  /** the client asked for stream_options.include_usage itself */
  clientWantsUsage: boolean;
}

export interface ChunkFacts {
  usage: DeepSeekUsage | null;
  finishReason: string | null;
  content: string;
  reasoning: string;
  error: unknown;
}

interface Delta {
  role?: string;
  content?: string | null;
  reasoning_content?: string | null;
  tool_calls?: unknown[];
  [field: string]: unknown;
}

interface StreamChoice {
  delta?: Delta;
  finish_reason?: string | null;
  [field: string]: unknown;
}

/** Transforms one stream chunk in place. Returns false when the chunk carries nothing left to send. */
export function transformChunk(chunk: Record<string, unknown>, opts: TransformOptions, facts: ChunkFacts): boolean {
  if (chunk.error) {
    facts.error = chunk.error;
    return true;
  }
  if (typeof chunk.model === 'string') chunk.model = opts.publicModel;
  const usage = chunk.usage as DeepSeekUsage | null | undefined;
  if (usage) facts.usage = usage;
  else if (usage === null && !opts.clientWantsUsage) delete chunk.usage;

  const choices = Array.isArray(chunk.choices) ? (chunk.choices as StreamChoice[]) : [];
  let keep = choices.length === 0 || Boolean(usage);
  for (const choice of choices) {
    const delta = choice.delta;
    if (choice.finish_reason) facts.finishReason = choice.finish_reason;
    if (!delta) {
      keep = true;
      continue;
    }
    if (typeof delta.content === 'string') facts.content += delta.content;
    if (typeof delta.reasoning_content === 'string') {
      facts.reasoning += delta.reasoning_content;
      if (!opts.includeReasoning) delete delta.reasoning_content;
    } else if (delta.reasoning_content === null && !opts.includeReasoning) {
      delete delta.reasoning_content;
    }
    if (Array.isArray(delta.tool_calls)) facts.content += JSON.stringify(delta.tool_calls);
    const hasContent = typeof delta.content === 'string' && delta.content !== '';
    if (delta.role || hasContent || delta.tool_calls || delta.reasoning_content !== undefined || choice.finish_reason) keep = true;
  }
  return keep;
}

/** Transforms a whole non-stream completion in place and returns its usage. */
export function transformCompletion(body: Record<string, unknown>, opts: Omit<TransformOptions, 'clientWantsUsage'>): { usage: DeepSeekUsage | null; finishReason: string | null } {
  if (typeof body.model === 'string') body.model = opts.publicModel;
  let finishReason: string | null = null;
  for (const choice of Array.isArray(body.choices) ? (body.choices as { message?: Delta; finish_reason?: string | null }[]) : []) {
    if (!opts.includeReasoning && choice.message) delete choice.message.reasoning_content;
    finishReason ??= choice.finish_reason ?? null;
  }
  return { usage: (body.usage as DeepSeekUsage | undefined) ?? null, finishReason };
}
