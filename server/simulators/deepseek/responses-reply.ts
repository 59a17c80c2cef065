// Responses answers: the response object (output items reasoning / message / function_call /
// custom_tool_call, usage with input_tokens INCLUDING cached tokens) and its typed event stream
// (`event:` lines, sequence_number, exactly one terminal event, no [DONE]).

import { serverToolUse, truncate, type Completion } from "./generate.ts";
import type { Exchange } from "./pipeline.ts";
import type { StreamReply } from "./respond.ts";
import type { ResponsesRequest } from "./responses.ts";

type Status = "completed" | "incomplete" | "failed";
type Item = Record<string, unknown>;

interface Ending {
  status: Status;
  incomplete_details: { reason: string } | null;
  error: { code: string; message: string } | null;
}

export const SERVER_FAILURE = { code: "server_error", message: "The server had an error while processing your request." };

/** How an answer's finish reason ends a response. */
export function endingOf(c: Completion): Ending {
  switch (c.finishReason) {
    case "length":
      return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, error: null };
    case "content_filter":
      return { status: "incomplete", incomplete_details: { reason: "content_filter" }, error: null };
    case "insufficient_system_resource":
      return { status: "failed", incomplete_details: null, error: SERVER_FAILURE };
    default:
      return { status: "completed", incomplete_details: null, error: null };
  }
}

export function responsesUsage(x: Exchange<ResponsesRequest>, c: Completion): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    input_tokens: x.promptTokens,
    input_tokens_details: { cached_tokens: x.hitTokens },
    output_tokens: c.completionTokens,
    output_tokens_details: { reasoning_tokens: c.reasoningTokens },
    total_tokens: x.promptTokens + c.completionTokens,
  };
  const servers = serverToolUse(x.req, c);
  if (servers) usage.server_tool_use = servers;
  return usage;
}

function hex(id: string): string {
  return id.replace(/-/g, "");
}

/** Item ids derive from the response id: rs_…, msg_…, fc_…, ctc_… plus the item's position. */
function itemId(x: Exchange<ResponsesRequest>, prefix: string, index: number): string {
  return `${prefix}_${hex(x.id)}${index.toString(16).padStart(2, "0")}`;
}

function hasMessage(c: Completion): boolean {
  return c.content.length > 0 || (c.toolCalls.length === 0 && c.reasoning === undefined);
}

/** The output items of an answer, complete (`done`) or as first announced (empty, in progress). */
function outputItems(x: Exchange<ResponsesRequest>, c: Completion, status: Status): { done: Item; added: Item }[] {
  const itemStatus = status === "completed" ? "completed" : "incomplete";
  const items: { done: Item; added: Item }[] = [];
  if (c.reasoning) {
    const id = itemId(x, "rs", items.length);
    items.push({
      added: { id, type: "reasoning", summary: [], content: [] },
      done: { id, type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: c.reasoning.join("") }] },
    });
  }
  if (hasMessage(c)) {
    const id = itemId(x, "msg", items.length);
    items.push({
      added: { id, type: "message", status: "in_progress", role: "assistant", content: [] },
      done: { id, type: "message", status: itemStatus, role: "assistant", content: [{ type: "output_text", text: c.content.join(""), annotations: [], logprobs: [] }] },
    });
  }
  for (const t of c.toolCalls) {
    const input = t.args.join("");
    if (t.custom) {
      const id = itemId(x, "ctc", items.length);
      items.push({
        added: { id, type: "custom_tool_call", status: "in_progress", call_id: t.id, name: t.name, input: "" },
        done: { id, type: "custom_tool_call", status: itemStatus, call_id: t.id, name: t.name, input },
      });
    } else {
      const id = itemId(x, "fc", items.length);
      items.push({
        added: { id, type: "function_call", status: "in_progress", call_id: t.id, name: t.name, arguments: "" },
        done: { id, type: "function_call", status: itemStatus, call_id: t.id, name: t.name, arguments: input },
      });
    }
  }
  return items;
}

function responseObject(x: Exchange<ResponsesRequest>, ending: Ending | undefined, output: Item[], usage: unknown): Item {
  const e = x.req.echo;
  return {
    id: `resp_${hex(x.id)}`,
    object: "response",
    created_at: x.created,
    status: ending?.status ?? "in_progress",
    background: false,
    error: ending?.error ?? null,
    incomplete_details: ending?.incomplete_details ?? null,
    instructions: e.instructions,
    max_output_tokens: e.maxOutputTokens,
    max_tool_calls: null,
    model: x.req.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: e.effort, summary: null },
    store: false,
    temperature: e.temperature,
    text: { format: e.textFormat, verbosity: "medium" },
    tool_choice: e.toolChoice,
    tools: e.tools,
    top_logprobs: 0,
    top_p: e.topP,
    truncation: "disabled",
    usage,
    user: e.user,
    metadata: {},
  };
}

export function renderResponse(x: Exchange<ResponsesRequest>): string {
  const c = x.completion;
  const ending = endingOf(c);
  return JSON.stringify(responseObject(x, ending, outputItems(x, c, ending.status).map((i) => i.done), responsesUsage(x, c)));
}

export function renderResponseStream(x: Exchange<ResponsesRequest>): StreamReply {
  const c = x.completion;
  const ending = endingOf(c);
  const events: string[] = [];
  const tokens: number[] = [];
  let seq = 0;
  const push = (type: string, data: Record<string, unknown>, n = 0) => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: seq++ })}\n\n`);
    tokens.push(n);
  };
  const started = responseObject(x, undefined, [], null);
  push("response.created", { response: started });
  push("response.in_progress", { response: started });

  const items = outputItems(x, c, ending.status);
  let toolIndex = 0;
  items.forEach(({ added, done }, output_index) => {
    const item_id = added.id;
    push("response.output_item.added", { output_index, item: added });
    if (done.type === "reasoning" || done.type === "message") {
      const reasoning = done.type === "reasoning";
      const pieces = reasoning ? c.reasoning! : c.content;
      const full = (done.content as Item[])[0]!;
      const emptyPart = reasoning ? { type: "reasoning_text", text: "" } : { type: "output_text", text: "", annotations: [], logprobs: [] };
      push("response.content_part.added", { item_id, output_index, content_index: 0, part: emptyPart });
      const kind = reasoning ? "reasoning_text" : "output_text";
      const extra = reasoning ? {} : { logprobs: [] };
      for (const p of pieces) push(`response.${kind}.delta`, { item_id, output_index, content_index: 0, delta: p, ...extra }, 1);
      push(`response.${kind}.done`, { item_id, output_index, content_index: 0, text: full.text, ...extra });
      push("response.content_part.done", { item_id, output_index, content_index: 0, part: full });
    } else {
      const t = c.toolCalls[toolIndex++]!;
      const kind = done.type === "custom_tool_call" ? "custom_tool_call_input" : "function_call_arguments";
      // The name (announced in output_item.added) costs its tokens; the input follows in pieces.
      tokens[tokens.length - 1] = t.nameTokens;
      for (const p of t.args) push(`response.${kind}.delta`, { item_id, output_index, delta: p }, 1);
      const value = done.type === "custom_tool_call" ? { input: done.input } : { name: t.name, arguments: done.arguments };
      push(`response.${kind}.done`, { item_id, output_index, ...value });
    }
    push("response.output_item.done", { output_index, item: done });
  });
  const final = responseObject(x, ending, items.map((i) => i.done), responsesUsage(x, c));
  push(`response.${ending.status}`, { response: final });

  // A failure mid-stream: response.failed with what had been generated, billed by its usage.
  const failEvent = (sentTokens: number, sentEvents: number) => {
    const partial = truncate(c, sentTokens, "insufficient_system_resource");
    const failed: Ending = { status: "failed", incomplete_details: null, error: SERVER_FAILURE };
    const body = responseObject(x, failed, outputItems(x, partial, "failed").map((i) => i.done), responsesUsage(x, partial));
    return `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: body, sequence_number: sentEvents })}\n\n`;
  };
  return { events, tokens, failEvent };
}
