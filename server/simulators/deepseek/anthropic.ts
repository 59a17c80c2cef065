// DeepSeek's Anthropic-compatible Messages API (`/anthropic/v1/messages`, `/anthropic/messages`):
// reads a Messages body the way DeepSeek does and turns the conversation into chat form, so the
// shared tokenizer, prefix cache and generator answer it. Rendering is in anthropic-reply.ts.

import { renderMessage, renderMessageStream } from "./anthropic-reply.ts";
import { deserializeError, formatError, MODEL_NOT_EXIST } from "./errors.ts";
import { bearerKey, type Protocol } from "./pipeline.ts";
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
  readRequest,
  resolveModel,
  SERVER_TOOL_TYPES,
  type ParseResult,
  type ServerTool,
  type ServerToolKind,
  type SimRequest,
  type ToolChoice,
  type ToolDef,
} from "./request.ts";
import { checkToolResults } from "./validate.ts";

export interface MessagesRequest extends SimRequest {
  /** The model as the request named it: the response echoes it. */
  requestedModel: string;
}

export const THINKING_BLOCK_MISSING = "The `content[].thinking` in the thinking mode must be passed back to the API.";
export const INVALID_USER_ID = "Invalid 'user_id': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.";
export const TOOL_RESULT_FIRST = "tool_result blocks must come before any other content in a user message";

/** Server tools on Messages: Anthropic's web search versions and DeepSeek's own two. */
const MESSAGES_SERVER_TOOLS: Readonly<Record<string, ServerToolKind>> = {
  web_search_20250305: "web_search",
  web_search_20260209: "web_search",
  ...SERVER_TOOL_TYPES,
};

const USER_BLOCKS = ["text", "image", "document", "tool_result"];
const ASSISTANT_BLOCKS = ["text", "thinking", "tool_use", "server_tool_use", "web_search_tool_result", "web_fetch_tool_result"];

/** `claude-opus*` → deepseek-v4-pro, other `claude*` → deepseek-flash, DeepSeek's ids as on chat. */
export function mapMessagesModel(name: string, models: ReadonlySet<string>): string | undefined {
  const lower = name.toLowerCase();
  const mapped = lower.startsWith("claude-opus") ? "deepseek-v4-pro" : lower.startsWith("claude") ? "deepseek-flash" : name;
  return resolveModel(mapped, models);
}

function textParts(content: unknown, where: string): { type: "text"; text: string }[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (content === undefined || content === null) return [];
  if (!Array.isArray(content)) fail(deserializeError(`${where}: invalid type: ${describe(content)}, expected a string or a sequence of blocks`));
  const parts: { type: "text"; text: string }[] = [];
  content.forEach((b, j) => {
    if (!isRecord(b) || typeof b.type !== "string") fail(deserializeError(`${where}[${j}]: missing field \`type\``));
    if (b.type === "text") {
      if (typeof b.text !== "string") fail(deserializeError(`${where}[${j}]: missing field \`text\``));
      parts.push({ type: "text", text: b.text });
    }
  });
  return parts;
}

function checkBlock(b: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(b)) fail(deserializeError(`${where}: invalid type: ${describe(b)}, expected a content block`));
  if (typeof b.type !== "string") fail(deserializeError(`${where}: missing field \`type\``));
  if (!allowed.includes(b.type)) {
    fail(deserializeError(`${where}.type: unknown variant \`${b.type}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`));
  }
  const need = (field: string, ok: (v: unknown) => boolean) => {
    if (!ok(b[field])) fail(deserializeError(`${where}: missing or invalid field \`${field}\``));
  };
  const str = (v: unknown) => typeof v === "string";
  switch (b.type) {
    case "text":
      need("text", str);
      break;
    case "thinking":
      need("thinking", str);
      break;
    case "image":
      need("source", (s) => isRecord(s) && (s.type === "base64" || s.type === "url" || s.type === "file"));
      break;
    case "tool_use":
    case "server_tool_use":
      need("id", str);
      need("name", str);
      need("input", isRecord);
      break;
    case "tool_result":
      need("tool_use_id", str);
      break;
  }
  return b;
}

/** One Messages message in chat form (a user message with tool results becomes tool messages first). */
function convertMessage(m: unknown, i: number, thinking: boolean): Record<string, unknown>[] {
  if (!isRecord(m)) fail(deserializeError(`messages[${i}]: invalid type: ${describe(m)}, expected a message object`));
  if (m.role !== "user" && m.role !== "assistant") {
    fail(deserializeError(`messages[${i}].role: unknown variant ${describe(m.role)}, expected \`user\` or \`assistant\``));
  }
  const c = m.content;
  if (typeof c === "string") return [{ role: m.role, content: c }];
  if (!Array.isArray(c)) fail(deserializeError(c === undefined ? `messages[${i}]: missing field \`content\`` : `messages[${i}].content: invalid type: ${describe(c)}, expected a string or a sequence of blocks`));
  const where = (j: number) => `messages[${i}].content[${j}]`;

  if (m.role === "user") {
    const out: Record<string, unknown>[] = [];
    const parts: { type: "text"; text: string }[] = [];
    let other = false;
    c.forEach((raw, j) => {
      const b = checkBlock(raw, where(j), USER_BLOCKS);
      if (b.type === "tool_result") {
        if (other) fail(formatError(`messages[${i}]: ${TOOL_RESULT_FIRST}`));
        out.push({ role: "tool", tool_call_id: b.tool_use_id, content: textParts(b.content, `${where(j)}.content`) });
        return;
      }
      other = true;
      if (b.type === "text") parts.push({ type: "text", text: b.text as string });
    });
    if (other || out.length === 0) out.push({ role: "user", content: parts });
    return out;
  }

  const parts: { type: "text"; text: string }[] = [];
  let reasoning: string | undefined;
  const toolCalls: Record<string, unknown>[] = [];
  c.forEach((raw, j) => {
    const b = checkBlock(raw, where(j), ASSISTANT_BLOCKS);
    if (b.type === "text") parts.push({ type: "text", text: b.text as string });
    else if (b.type === "thinking") reasoning = (reasoning ?? "") + (b.thinking as string);
    else if (b.type === "tool_use") toolCalls.push({ id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.input) } });
    // server_tool_use and its results were the service's own work: passed back, not billed as tokens
  });
  if (thinking && toolCalls.length > 0 && reasoning === undefined) fail(formatError(THINKING_BLOCK_MISSING));
  const msg: Record<string, unknown> = { role: "assistant", content: parts };
  if (reasoning !== undefined) msg.reasoning_content = reasoning;
  if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  return [msg];
}

function parseSystem(v: unknown): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [{ role: "system", content: v }];
  if (!Array.isArray(v)) fail(deserializeError(`system: invalid type: ${describe(v)}, expected a string or a sequence of text blocks`));
  v.forEach((b, j) => {
    if (!isRecord(b) || b.type !== "text" || typeof b.text !== "string") fail(deserializeError(`system[${j}]: expected a text block`));
  });
  return [{ role: "system", content: textParts(v, "system") }];
}

function parseTools(v: unknown): { tools: ToolDef[]; serverTools: ServerTool[] } {
  const tools: ToolDef[] = [];
  const serverTools: ServerTool[] = [];
  if (v === undefined || v === null) return { tools, serverTools };
  if (!Array.isArray(v)) fail(deserializeError(`tools: invalid type: ${describe(v)}, expected a sequence`));
  v.forEach((t, i) => {
    if (!isRecord(t)) fail(deserializeError(`tools[${i}]: invalid type: ${describe(t)}, expected a tool`));
    const server = typeof t.type === "string" ? MESSAGES_SERVER_TOOLS[t.type] : undefined;
    if (server) {
      const name = typeof t.name === "string" ? t.name : server === "web_search" && (t.type as string).startsWith("web_search_") ? "web_search" : (t.type as string);
      serverTools.push({ kind: server, name });
      return;
    }
    const name = checkToolName(t.name, `tools[${i}].name`);
    if (t.input_schema !== undefined && !isRecord(t.input_schema)) fail(deserializeError(`tools[${i}].input_schema: expected a JSON schema object`));
    tools.push({ name, parameters: t.input_schema });
  });
  return { tools, serverTools };
}

function parseToolChoice(v: unknown, tools: ToolDef[]): ToolChoice {
  if (v === undefined || v === null) return "auto";
  if (!isRecord(v) || typeof v.type !== "string") fail(deserializeError(`tool_choice: invalid type: ${describe(v)}, expected a map`));
  switch (v.type) {
    case "auto":
    case "any": // DeepSeek treats `any` like `auto`
      return "auto";
    case "none":
      return "none";
    case "tool": {
      const name = v.name;
      if (typeof name !== "string" || !tools.some((t) => t.name === name)) fail(formatError(`tool_choice names a tool not in tools: ${String(name)}`));
      return { name };
    }
    default:
      return fail(deserializeError(`tool_choice.type: unknown variant \`${v.type}\`, expected one of \`auto\`, \`any\`, \`tool\`, \`none\``));
  }
}

function parseUserId(metadata: unknown): string {
  if (metadata === undefined || metadata === null) return "";
  if (!isRecord(metadata)) fail(deserializeError(`metadata: invalid type: ${describe(metadata)}, expected a map`));
  const id = metadata.user_id;
  if (id === undefined || id === null) return "";
  if (typeof id !== "string" || !/^[a-zA-Z0-9_-]+$/.test(id) || id.length > 512) fail(formatError(INVALID_USER_ID));
  return id;
}

export function parseMessagesRequest(body: unknown, models: ReadonlySet<string>): ParseResult<MessagesRequest> {
  return readRequest(() => {
    if (!isRecord(body)) fail(deserializeError(`invalid type: ${describe(body)}, expected a request object`));
    if (body.model === undefined) fail(deserializeError("missing field `model`"));
    if (typeof body.model !== "string") fail(deserializeError(`model: invalid type: ${describe(body.model)}, expected a string`));
    if (body.max_tokens === undefined) fail(deserializeError("missing field `max_tokens`"));
    if (body.messages === undefined) fail(deserializeError("missing field `messages`"));
    const stream = optBool(body, "stream") ?? false;
    const thinking = parseThinking(body.thinking, ["adaptive"]);
    const userId = parseUserId(body.metadata);
    const model = mapMessagesModel(body.model, models);
    if (!model) fail(MODEL_NOT_EXIST);
    const maxTokens = optNumber(body, "max_tokens", 1, MAX_OUTPUT_TOKENS, true);
    optNumber(body, "temperature", 0, 2);
    optNumber(body, "top_p", 0, 1);
    const stop = parseStop(body.stop_sequences, "stop_sequences");
    const { tools, serverTools } = parseTools(body.tools);
    const toolChoice = parseToolChoice(body.tool_choice, tools);
    checkToolChoice(toolChoice, thinking);

    if (!Array.isArray(body.messages)) fail(deserializeError(`messages: invalid type: ${describe(body.messages)}, expected a sequence`));
    if (body.messages.length === 0) fail(formatError("Empty input messages"));
    const messages = [...parseSystem(body.system), ...body.messages.flatMap((m, i) => convertMessage(m, i, thinking))];
    checkToolResults(messages);

    return { model, requestedModel: body.model, messages, stream, thinking, maxTokens, stop, tools, toolChoice, serverTools, jsonMode: false, userId, prefix: undefined };
  });
}

export const messagesProtocol: Protocol<MessagesRequest> = {
  // Either header; Authorization wins when both are sent.
  key: (req) => bearerKey(req) ?? (req.headers.get("x-api-key")?.trim() || undefined),
  peek: (body) => ({
    stream: body.stream === true,
    tools: Array.isArray(body.tools)
      ? body.tools.filter((t) => isRecord(t) && typeof t.name === "string" && !(typeof t.type === "string" && t.type in MESSAGES_SERVER_TOOLS)).map((t) => (t as { name: string }).name)
      : [],
  }),
  parse: parseMessagesRequest,
  answerRepeats: true,
  render: (x) => (x.req.stream ? renderMessageStream(x) : { json: renderMessage(x) }),
};
