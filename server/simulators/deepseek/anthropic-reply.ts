// Messages answers in Anthropic's shapes as DeepSeek sends them: a UUID id, the requested model
// echoed, content [thinking (signed), server tool blocks, text, tool_use], Anthropic's stop
// reasons, and usage with input_tokens = cache miss, cache_read_input_tokens = hit. Streams are
// message_start, ping, content blocks, message_delta (cumulative usage), message_stop.

import type { MessagesRequest } from "./anthropic.ts";
import { serverToolUse, type Completion, type FinishReason, type ServerCall, type ToolCallOut } from "./generate.ts";
import type { Exchange } from "./pipeline.ts";
import type { StreamReply } from "./respond.ts";

const STOP_REASONS: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
  insufficient_system_resource: "end_turn",
};

export function stopReason(c: Completion): string {
  return c.stopSequence !== undefined ? "stop_sequence" : STOP_REASONS[c.finishReason];
}

export function messagesUsage(x: Exchange<MessagesRequest>, c: Completion): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    input_tokens: x.promptTokens - x.hitTokens,
    output_tokens: c.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: x.hitTokens,
  };
  const servers = serverToolUse(x.req, c);
  if (servers) usage.server_tool_use = servers;
  return usage;
}

function serverUseBlock(s: ServerCall, input: Record<string, string>) {
  return { type: "server_tool_use", id: s.id, name: s.name, input, caller: { type: "direct" } };
}

function serverResultBlock(s: ServerCall, retrievedAt: string) {
  if (s.kind === "web_search") {
    return {
      type: "web_search_tool_result",
      tool_use_id: s.id,
      content: s.results.map((r) => ({ type: "web_search_result", title: r.title, url: r.url, encrypted_content: Buffer.from(r.text).toString("base64"), page_age: null })),
    };
  }
  const r = s.results[0]!;
  return {
    type: "web_fetch_tool_result",
    tool_use_id: s.id,
    content: { type: "web_fetch_result", url: r.url, content: { type: "document", source: { type: "text", media_type: "text/plain", data: r.text }, title: r.title }, retrieved_at: retrievedAt },
  };
}

function toolUseBlock(t: ToolCallOut, input: unknown) {
  return { type: "tool_use", id: t.id, name: t.name, input };
}

function parseArgs(t: ToolCallOut): unknown {
  try {
    return JSON.parse(t.args.join(""));
  } catch {
    return {}; // arguments cut short by max_tokens
  }
}

function hasTextBlock(c: Completion): boolean {
  return c.content.length > 0 || (c.toolCalls.length === 0 && c.reasoning === undefined);
}

function contentBlocks(x: Exchange<MessagesRequest>, c: Completion): unknown[] {
  const blocks: unknown[] = [];
  if (c.reasoning) blocks.push({ type: "thinking", thinking: c.reasoning.join(""), signature: x.id });
  const now = new Date(x.created * 1000).toISOString();
  for (const s of c.serverCalls) blocks.push(serverUseBlock(s, s.input), serverResultBlock(s, now));
  if (hasTextBlock(c)) blocks.push({ type: "text", text: c.content.join("") });
  for (const t of c.toolCalls) blocks.push(toolUseBlock(t, parseArgs(t)));
  return blocks;
}

export function renderMessage(x: Exchange<MessagesRequest>): string {
  const c = x.completion;
  return JSON.stringify({
    id: x.id,
    type: "message",
    role: "assistant",
    model: x.req.requestedModel,
    content: contentBlocks(x, c),
    stop_reason: stopReason(c),
    stop_sequence: c.stopSequence ?? null,
    usage: messagesUsage(x, c),
  });
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Anthropic's mid-stream error event. */
export const OVERLOADED_EVENT = sse("error", { error: { type: "overloaded_error", message: "Overloaded" } });

export function renderMessageStream(x: Exchange<MessagesRequest>): StreamReply {
  const c = x.completion;
  const usage = messagesUsage(x, c);
  const events: string[] = [];
  const tokens: number[] = [];
  const push = (event: string, n = 0) => {
    events.push(event);
    tokens.push(n);
  };
  push(
    sse("message_start", {
      message: {
        id: x.id,
        type: "message",
        role: "assistant",
        model: x.req.requestedModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: x.hitTokens, output_tokens: Math.min(1, c.completionTokens) },
      },
    }),
  );
  push(sse("ping", {}));
  let index = 0;
  const block = (start: unknown, deltas: { delta: Record<string, unknown>; tokens: number }[]) => {
    push(sse("content_block_start", { index, content_block: start }));
    for (const d of deltas) push(sse("content_block_delta", { index, delta: d.delta }), d.tokens);
    push(sse("content_block_stop", { index }));
    index++;
  };
  if (c.reasoning) {
    block({ type: "thinking", thinking: "" }, [
      ...c.reasoning.map((p) => ({ delta: { type: "thinking_delta", thinking: p }, tokens: 1 })),
      { delta: { type: "signature_delta", signature: x.id }, tokens: 0 },
    ]);
  }
  const now = new Date(x.created * 1000).toISOString();
  for (const s of c.serverCalls) {
    block(serverUseBlock(s, {}), [{ delta: { type: "input_json_delta", partial_json: JSON.stringify(s.input) }, tokens: 0 }]);
    block(serverResultBlock(s, now), []);
  }
  if (hasTextBlock(c)) block({ type: "text", text: "" }, c.content.map((p) => ({ delta: { type: "text_delta", text: p }, tokens: 1 })));
  for (const t of c.toolCalls) {
    // The start carries the name (its tokens); the arguments follow as partial JSON.
    events.push(sse("content_block_start", { index, content_block: toolUseBlock(t, {}) }));
    tokens.push(t.nameTokens);
    for (const p of t.args) push(sse("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: p } }), 1);
    push(sse("content_block_stop", { index }));
    index++;
  }
  push(sse("message_delta", { delta: { stop_reason: stopReason(c), stop_sequence: c.stopSequence ?? null }, usage }));
  push(sse("message_stop", {}));
  return { events, tokens, failEvent: () => OVERLOADED_EVENT };
}

