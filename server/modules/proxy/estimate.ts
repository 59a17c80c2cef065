import { workerUrl } from '../../lib/worker-url';
import type { Usage } from '../catalog/price-book';
import type { PromptText } from './protocols/adapter';

// When a client leaves mid-stream DeepSeek's own usage never arrives: count the prompt with a
// DeepSeek V3-family tokenizer and the output from what was received. The tokenizer runs in a
// worker started on demand and ended after a minute without work, so its memory comes back.

const IDLE_MS = 60_000;
/** A few template tokens wrap each message in DeepSeek's chat format. */
const TOKENS_PER_MESSAGE = 4;

let worker: Worker | null = null;
let idleTimer: ReturnType<typeof setTimeout> | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve(counts: number[]): void; reject(error: Error): void }>();

function tokenizerWorker(): Worker {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (worker) return worker;
  const started = new Worker(workerUrl(new URL('./tokenizer-worker.ts', import.meta.url), 'modules/proxy/tokenizer-worker.ts'));
  started.onmessage = (event: MessageEvent<{ id: number; counts: number[] }>) => {
    waiting.get(event.data.id)?.resolve(event.data.counts);
    waiting.delete(event.data.id);
    if (waiting.size === 0) scheduleStop();
  };
  started.onerror = (event) => {
    for (const w of waiting.values()) w.reject(new Error(`tokenizer worker failed: ${event.message}`));
    waiting.clear();
    stopTokenizer();
  };
  worker = started;
  return started;
}

function scheduleStop(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(stopTokenizer, IDLE_MS);
  idleTimer.unref?.();
}

export function stopTokenizer(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  worker?.terminate();
  worker = null;
}

/** Token counts of each text, with DeepSeek's tokenizer. */
export function countTokens(texts: string[]): Promise<number[]> {
  const w = tokenizerWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.postMessage({ id, texts });
  });
}

/** A chat body's prompt: message text, reasoning and tool calls sent back, and the tools. */
export function promptText(body: Record<string, unknown>): PromptText {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  const parts: string[] = [];
  for (const message of messages) {
    parts.push(contentText(message?.content));
    if (typeof message?.reasoning_content === 'string') parts.push(message.reasoning_content);
    if (message?.tool_calls) parts.push(JSON.stringify(message.tool_calls));
  }
  if (body.tools) parts.push(JSON.stringify(body.tools));
  return { text: parts.join('\n'), messages: messages.length };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('\n');
  }
  return '';
}

/** A prompt's tokens with DeepSeek's tokenizer and the template tokens of its messages (count_tokens). */
export async function countPromptTokens(prompt: PromptText): Promise<number> {
  const [tokens = 0] = await countTokens([prompt.text]).catch(() => [roughTokenCount(prompt.text)]);
  return tokens + prompt.messages * TOKENS_PER_MESSAGE;
}

/** Without the tokenizer: DeepSeek's tokens average over three bytes of text, so this overcounts. */
export function roughTokenCount(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 3);
}

/** What arrived of an answer cut short: its text, and the input DeepSeek already counted when the stream said so. */
export interface Received {
  content: string;
  reasoning: string;
  input?: { cacheHitTokens: number; cacheMissTokens: number };
}

export async function estimateUsage(prompt: PromptText, received: Received, onFallback?: (error: unknown) => void): Promise<Usage> {
  const texts = [received.input ? '' : prompt.text, received.content, received.reasoning];
  const counts = await countTokens(texts).catch((error: unknown) => {
    onFallback?.(error);
    return texts.map(roughTokenCount);
  });
  const [promptTokens = 0, contentTokens = 0, reasoningTokens = 0] = counts;
  // Cache hits are unknown without DeepSeek's report: bill the prompt as cache misses.
  return {
    cacheHitTokens: received.input?.cacheHitTokens ?? 0,
    cacheMissTokens: received.input?.cacheMissTokens ?? promptTokens + prompt.messages * TOKENS_PER_MESSAGE,
    outputTokens: contentTokens + reasoningTokens,
    reasoningTokens,
  };
}
