import { ApiError, errorFrom, languageHeader } from './client';

export interface StreamHandlers {
  onContent(text: string): void;
  onReasoning?(text: string): void;
}

/**
 * Streams a chat completion: fetch + ReadableStream, SSE events split on blank lines with a
 * carry buffer, comment lines (": keep-alive") ignored, stops at "data: [DONE]". An
 * {"error": …} event after the stream started becomes an ApiError with its message.
 */
export async function streamChat(
  input: { key: string; model: string; messages: { role: string; content: string }[]; signal?: AbortSignal },
  handlers: StreamHandlers,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${input.key}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'accept-language': languageHeader(),
      },
      body: JSON.stringify({ model: input.model, messages: input.messages, stream: true }),
      signal: input.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, '');
  }
  if (!res.ok) throw await errorFrom(res);
  if (!res.body) throw new ApiError(res.status, '');

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let carry = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      carry += value;
      const events = carry.split(/\r?\n\r?\n/);
      carry = events.pop() ?? '';
      for (const event of events) {
        if (handleEvent(event, handlers) === 'done') return;
      }
    }
    if (carry.trim()) handleEvent(carry, handlers);
  } finally {
    reader.releaseLock();
  }
}

function handleEvent(event: string, handlers: StreamHandlers): 'done' | 'more' {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  if (!data) return 'more'; // only comments such as ": keep-alive"
  if (data.trim() === '[DONE]') return 'done';
  let chunk: {
    error?: { message?: string; code?: string };
    choices?: { delta?: { content?: string | null; reasoning_content?: string | null } }[];
  };
  try {
    chunk = JSON.parse(data);
  } catch {
    return 'more';
  }
  if (chunk.error) throw new ApiError(200, chunk.error.message ?? '', chunk.error.code ?? null);
  const delta = chunk.choices?.[0]?.delta;
  if (delta?.reasoning_content) handlers.onReasoning?.(delta.reasoning_content);
  if (delta?.content) handlers.onContent(delta.content);
  return 'more';
}
