// Chat completions in DeepSeek's wire format: the `chat.completion` body and the stream of
// `chat.completion.chunk` events (usage on the last content chunk, then `data: [DONE]`).

import { serverToolUse, type Completion } from "./generate.ts";
import type { TokenLogprob } from "./logprobs.ts";
import type { SimRequest } from "./request.ts";
import type { StreamReply } from "./respond.ts";

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  prompt_cache_hit_tokens: number;
  prompt_cache_miss_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
  /** Only when the request declared deepseek_web_search / deepseek_read_url. */
  server_tool_use?: { web_search_requests: number; web_fetch_requests: number };
}

export function makeUsage(promptTokens: number, hitTokens: number, c: Completion, req?: SimRequest): Usage {
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: c.completionTokens,
    total_tokens: promptTokens + c.completionTokens,
    prompt_tokens_details: { cached_tokens: hitTokens },
    prompt_cache_hit_tokens: hitTokens,
    prompt_cache_miss_tokens: promptTokens - hitTokens,
    completion_tokens_details: { reasoning_tokens: c.reasoningTokens },
  };
  const servers = req ? serverToolUse(req, c) : undefined;
  if (servers) usage.server_tool_use = servers;
  return usage;
}

function toolCallsOf(c: Completion) {
  return c.toolCalls.map((t, index) => ({ index, id: t.id, type: "function", function: { name: t.name, arguments: t.args.join("") } }));
}

/** The non-streaming `chat.completion` body; with logprobs, one entry per content token. */
export function renderCompletion(meta: ResponseMeta, c: Completion, usage: Usage, logprobs?: TokenLogprob[]): string {
  const message: Record<string, unknown> = { role: "assistant", content: c.content.join("") };
  if (c.reasoning) message.reasoning_content = c.reasoning.join("");
  if (c.toolCalls.length > 0) message.tool_calls = toolCallsOf(c);
  return JSON.stringify({
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    system_fingerprint: meta.fingerprint,
    choices: [{ index: 0, message, logprobs: logprobs ? { content: logprobs } : null, finish_reason: c.finishReason }],
    usage,
  });
}

export const DONE_EVENT = "data: [DONE]\n\n";

/**
 * The SSE events of a streamed completion: the role chunk, one chunk per token (each tool call's
 * header chunk carries its id and function name, then its arguments in pieces), the final chunk
 * (empty content, finish_reason, usage), then `data: [DONE]`.
 */
export function renderStream(meta: ResponseMeta, c: Completion, usage: Usage, includeUsage: boolean, logprobs?: TokenLogprob[]): StreamReply {
  const thinking = c.reasoning !== undefined;
  const head =
    `data: {"id":${JSON.stringify(meta.id)},"object":"chat.completion.chunk","created":${meta.created},` +
    `"model":${JSON.stringify(meta.model)},"system_fingerprint":${JSON.stringify(meta.fingerprint)},` +
    `"choices":[{"index":0,"delta":`;
  const tail = `,"logprobs":null,"finish_reason":null}]${includeUsage ? ',"usage":null' : ""}}\n\n`;
  const events: string[] = [];
  const tokens: number[] = [];
  const push = (event: string, n: number) => {
    events.push(event);
    tokens.push(n);
  };
  push(head + (thinking ? `{"role":"assistant","content":null,"reasoning_content":""}` : `{"role":"assistant","content":""}`) + tail, 0);
  if (c.reasoning) {
    for (const p of c.reasoning) push(`${head}{"content":null,"reasoning_content":${JSON.stringify(p)}}${tail}`, 1);
  }
  if (thinking) {
    for (const p of c.content) push(`${head}{"content":${JSON.stringify(p)},"reasoning_content":null}${tail}`, 1);
  } else if (logprobs) {
    // each content chunk carries the log probabilities of its own token
    const usageTail = includeUsage ? ',"usage":null' : "";
    c.content.forEach((p, i) => push(`${head}{"content":${JSON.stringify(p)}},"logprobs":${JSON.stringify({ content: [logprobs[i]] })},"finish_reason":null}]${usageTail}}\n\n`, 1));
  } else {
    for (const p of c.content) push(`${head}{"content":${JSON.stringify(p)}}${tail}`, 1);
  }
  c.toolCalls.forEach((t, index) => {
    push(
      `${head}{"tool_calls":[{"index":${index},"id":${JSON.stringify(t.id)},"type":"function","function":{"name":${JSON.stringify(t.name)},"arguments":""}}]}${tail}`,
      t.nameTokens,
    );
    for (const p of t.args) push(`${head}{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(p)}}}]}${tail}`, 1);
  });
  push(
    head +
      (thinking ? `{"content":"","reasoning_content":null}` : `{"content":""}`) +
      `,"logprobs":null,"finish_reason":${JSON.stringify(c.finishReason)}}],"usage":${JSON.stringify(usage)}}\n\n`,
    0,
  );
  push(DONE_EVENT, 0);
  return { events, tokens, failEvent: () => openAiStreamError() };
}

/** A failure after the stream began, as OpenAI-style streams send it: one `error` event, no [DONE]. */
export function openAiStreamError(): string {
  return `data: ${JSON.stringify({ error: { message: "Server Overloaded", type: "server_overloaded", param: null, code: "server_overloaded" } })}\n\n`;
}
