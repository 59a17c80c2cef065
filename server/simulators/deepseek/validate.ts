// Reads and checks a chat-completion body the way DeepSeek does: 400 for an unreadable body or a
// wrong type, 422 for a value out of range, 400 "Model Not Exist" for a retired/unknown model,
// and V4's rule that a tool-call turn comes back with its reasoning_content in thinking mode.

import { deserializeError, formatError, MODEL_NOT_EXIST, paramError } from "./errors.ts";
import {
  checkToolChoice,
  checkToolName,
  describe,
  fail,
  isRecord,
  MAX_OUTPUT_TOKENS,
  optBool,
  optNumber,
  parseStop,
  parseThinking,
  parseUserId,
  readRequest,
  resolveModel,
  SERVER_TOOL_TYPES,
  type ParseResult,
  type ServerTool,
  type SimRequest,
  type ToolChoice,
  type ToolDef,
} from "./request.ts";

export { MAX_OUTPUT_TOKENS, MODEL_ALIASES, resolveModel, type ToolChoice, type ToolDef } from "./request.ts";

export interface ChatRequest extends SimRequest {
  includeUsage: boolean;
  /** With `logprobs: true`, how many alternatives per token (top_logprobs, 0 when absent); undefined without. */
  logprobs: number | undefined;
}

export const THINKING_LOGPROBS = "logprobs and top_logprobs are not supported in thinking mode";
export const REASONING_CONTENT_MISSING = "The `reasoning_content` in the thinking mode must be passed back to the API.";
export const TOOL_MESSAGES_MISSING =
  "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. (insufficient tool messages following tool_calls message)";

const ROLES = new Set(["system", "user", "assistant", "tool"]);

function parseTools(v: unknown): { tools: ToolDef[]; serverTools: ServerTool[] } {
  const tools: ToolDef[] = [];
  const serverTools: ServerTool[] = [];
  if (v === undefined || v === null) return { tools, serverTools };
  if (!Array.isArray(v)) fail(deserializeError(`tools: invalid type: ${describe(v)}, expected a sequence`));
  if (v.length > 128) fail(paramError("Invalid tools value, at most 128 tools are allowed"));
  v.forEach((t, i) => {
    const server = isRecord(t) && typeof t.type === "string" ? SERVER_TOOL_TYPES[t.type] : undefined;
    if (server) {
      serverTools.push({ kind: server, name: t.type as string });
      return;
    }
    if (!isRecord(t) || t.type !== "function" || !isRecord(t.function)) {
      fail(deserializeError(`tools[${i}]: expected {"type":"function","function":{...}}`));
    }
    tools.push({ name: checkToolName(t.function.name, `tools[${i}].function.name`), parameters: t.function.parameters });
  });
  return { tools, serverTools };
}

function parseToolChoice(v: unknown, tools: ToolDef[]): ToolChoice {
  if (v === undefined || v === null) return "auto";
  if (v === "none" || v === "auto" || v === "required") return v;
  if (isRecord(v) && v.type === "function" && isRecord(v.function) && typeof v.function.name === "string") {
    const name = v.function.name;
    if (!tools.some((t) => t.name === name)) fail(formatError(`tool_choice names a function not in tools: ${name}`));
    return { name };
  }
  return fail(deserializeError(`tool_choice: invalid value: ${describe(v)}, expected "none", "auto", "required" or a named function`));
}

/** Every tool call of an assistant turn is answered by the tool messages right after it. */
export function checkToolResults(messages: Record<string, unknown>[]): void {
  messages.forEach((m, i) => {
    if (m.role !== "assistant" || !Array.isArray(m.tool_calls) || m.tool_calls.length === 0 || m.prefix === true) return;
    const answered = new Set<unknown>();
    for (let j = i + 1; j < messages.length && messages[j]!.role === "tool"; j++) answered.add(messages[j]!.tool_call_id);
    for (const call of m.tool_calls) {
      if (isRecord(call) && typeof call.id === "string" && !answered.has(call.id)) fail(formatError(TOOL_MESSAGES_MISSING));
    }
  });
}

function checkMessages(raw: unknown, beta: boolean, thinking: boolean): { messages: Record<string, unknown>[]; prefix: string | undefined } {
  if (!Array.isArray(raw)) fail(deserializeError(`messages: invalid type: ${describe(raw)}, expected a sequence`));
  if (raw.length === 0) fail(formatError("Empty input messages"));
  const messages = raw as unknown[];
  let prefix: string | undefined;
  messages.forEach((m, i) => {
    if (!isRecord(m)) fail(deserializeError(`messages[${i}]: invalid type: ${describe(m)}, expected a message object`));
    if (m.role === undefined) fail(deserializeError(`messages[${i}]: missing field \`role\``));
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      fail(deserializeError(`messages[${i}].role: unknown variant ${describe(m.role)}, expected one of \`system\`, \`user\`, \`assistant\`, \`tool\``));
    }
    const c = m.content;
    const contentOk = typeof c === "string" || Array.isArray(c) || (m.role === "assistant" && (c === undefined || c === null));
    if (!contentOk) {
      fail(deserializeError(c === undefined ? `messages[${i}]: missing field \`content\`` : `messages[${i}].content: invalid type: ${describe(c)}, expected a string or an array of parts`));
    }
    if (m.role === "tool" && typeof m.tool_call_id !== "string") fail(deserializeError(`messages[${i}]: missing field \`tool_call_id\``));
    if (m.tool_calls !== undefined && m.tool_calls !== null && !Array.isArray(m.tool_calls)) {
      fail(deserializeError(`messages[${i}].tool_calls: invalid type: ${describe(m.tool_calls)}, expected a sequence`));
    }
    if (m.prefix === true) {
      if (i !== messages.length - 1 || m.role !== "assistant") {
        fail(formatError("Only the last message may set prefix, and it must be an assistant message"));
      }
      if (!beta) {
        fail(formatError("Prefix completion (an assistant message with prefix=true) requires the beta endpoint: set base_url to https://api.deepseek.com/beta"));
      }
      prefix = typeof c === "string" ? c : "";
    }
    // V4: a turn that made tool calls keeps its reasoning; plain turns may drop it.
    if (thinking && m.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0 && typeof m.reasoning_content !== "string") {
      fail(formatError(REASONING_CONTENT_MISSING));
    }
  });
  checkToolResults(messages as Record<string, unknown>[]);
  return { messages: messages as Record<string, unknown>[], prefix };
}

export function parseChatRequest(body: unknown, beta: boolean, models: ReadonlySet<string>): ParseResult<ChatRequest> {
  return readRequest(() => {
    if (!isRecord(body)) fail(deserializeError(`invalid type: ${describe(body)}, expected a request object`));
    if (body.model === undefined) fail(deserializeError("missing field `model`"));
    if (typeof body.model !== "string") fail(deserializeError(`model: invalid type: ${describe(body.model)}, expected a string`));
    if (body.messages === undefined) fail(deserializeError("missing field `messages`"));

    const stream = optBool(body, "stream") ?? false;
    let includeUsage = false;
    const so = body.stream_options;
    if (so !== undefined && so !== null) {
      if (!isRecord(so)) fail(deserializeError(`stream_options: invalid type: ${describe(so)}, expected a map`));
      includeUsage = optBool(so, "include_usage") ?? false;
    }
    const thinking = parseThinking(body.thinking);

    const rf = body.response_format;
    let jsonMode = false;
    if (rf !== undefined && rf !== null) {
      if (!isRecord(rf) || (rf.type !== "text" && rf.type !== "json_object")) {
        fail(deserializeError(`response_format: unknown variant ${describe(isRecord(rf) ? rf.type : rf)}, expected \`text\` or \`json_object\``));
      }
      jsonMode = rf.type === "json_object";
    }
    const userId = parseUserId(body, "user_id");

    const model = resolveModel(body.model, models);
    if (!model) fail(MODEL_NOT_EXIST);

    optNumber(body, "temperature", 0, 2);
    optNumber(body, "top_p", 0, 1);
    optNumber(body, "frequency_penalty", -2, 2);
    optNumber(body, "presence_penalty", -2, 2);
    const topLogprobs = optNumber(body, "top_logprobs", 0, 20, true);
    const logprobs = optBool(body, "logprobs") ?? false;
    // DeepSeek's reasoning-model guide: "Setting logprobs, top_logprobs will trigger an error" (false and null do not).
    if (thinking && (logprobs || topLogprobs !== undefined)) fail(formatError(THINKING_LOGPROBS));
    const maxTokens = optNumber(body, "max_tokens", 1, MAX_OUTPUT_TOKENS, true);
    const stop = parseStop(body.stop);
    const { tools, serverTools } = parseTools(body.tools);
    const toolChoice = parseToolChoice(body.tool_choice, tools);
    checkToolChoice(toolChoice, thinking);
    const { messages, prefix } = checkMessages(body.messages, beta, thinking);

    return {
      model,
      messages,
      stream,
      includeUsage,
      thinking,
      maxTokens,
      stop,
      tools,
      toolChoice,
      serverTools,
      jsonMode,
      logprobs: logprobs ? (topLogprobs ?? 0) : undefined,
      userId,
      prefix,
    };
  });
}
