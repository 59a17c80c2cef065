// DeepSeek's Responses API (`/responses`, `/v1/responses`): stateless (previous_response_id,
// store, include… are accepted and ignored), input as a string or items, reasoning items that
// must come back after a function call in thinking mode. The items become a chat-form
// conversation for the shared tokenizer, cache and generator; rendering is in responses-reply.ts.

import { deserializeError, formatError, MODEL_NOT_EXIST } from "./errors.ts";
import { offeredToolNames, type Protocol } from "./pipeline.ts";
import {
  checkToolChoice,
  checkToolName,
  describe,
  fail,
  isRecord,
  MAX_OUTPUT_TOKENS,
  optBool,
  optNumber,
  optString,
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
import { renderResponse, renderResponseStream } from "./responses-reply.ts";
import { checkToolResults } from "./validate.ts";

export interface ResponsesRequest extends SimRequest {
  /** Request fields the response object echoes. */
  echo: {
    instructions: string | null;
    maxOutputTokens: number | null;
    effort: string | null;
    temperature: number;
    topP: number;
    tools: unknown[];
    toolChoice: unknown;
    textFormat: unknown;
    user: string | null;
  };
}

export const REASONING_TEXT_MISSING = "The `reasoning_text` in the thinking mode must be passed back to the API.";

const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
/** Dropped from the docs in September 2026 and ignored since. */
const IGNORED_TOOLS = new Set(["web_search", "web_search_preview", "web_search_2025_08_26"]);
const ITEM_TYPES = ["message", "function_call", "function_call_output", "reasoning", "custom_tool_call", "custom_tool_call_output"];
const PART_TYPES = ["input_text", "output_text", "input_image", "input_file", "refusal"];
const ROLES = ["user", "assistant", "system", "developer"];

type TextPart = { type: "text"; text: string };

function partsOf(content: unknown, where: string): TextPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) fail(deserializeError(`${where}: invalid type: ${describe(content)}, expected a string or a sequence of parts`));
  const parts: TextPart[] = [];
  content.forEach((p, j) => {
    if (!isRecord(p) || typeof p.type !== "string" || !PART_TYPES.includes(p.type)) {
      fail(deserializeError(`${where}[${j}].type: unknown variant ${describe(isRecord(p) ? p.type : p)}, expected one of ${PART_TYPES.map((t) => `\`${t}\``).join(", ")}`));
    }
    if (p.type === "input_text" || p.type === "output_text") {
      if (typeof p.text !== "string") fail(deserializeError(`${where}[${j}]: missing field \`text\``));
      parts.push({ type: "text", text: p.text });
    }
  });
  return parts;
}

function need(item: Record<string, unknown>, field: string, where: string): string {
  if (typeof item[field] !== "string") fail(deserializeError(`${where}: missing field \`${field}\``));
  return item[field] as string;
}

/**
 * The input items in chat form: runs of assistant items (reasoning, assistant messages, calls)
 * become one assistant message; call outputs become tool messages. In thinking mode every call
 * needs a reasoning item with reasoning_text since the last user turn.
 */
function convertInput(input: unknown, instructions: string | undefined, thinking: boolean): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = instructions ? [{ role: "system", content: instructions }] : [];
  if (typeof input === "string") return [...messages, { role: "user", content: input }];
  if (!Array.isArray(input)) fail(deserializeError(`input: invalid type: ${describe(input)}, expected a string or a sequence of items`));
  let turn: { parts: TextPart[]; reasoning: string | undefined; calls: Record<string, unknown>[] } | undefined;
  let reasoned = false;
  const flush = () => {
    if (!turn) return;
    const msg: Record<string, unknown> = { role: "assistant", content: turn.parts };
    if (turn.reasoning !== undefined) msg.reasoning_content = turn.reasoning;
    if (turn.calls.length > 0) msg.tool_calls = turn.calls;
    messages.push(msg);
    turn = undefined;
  };
  const assistant = () => (turn ??= { parts: [], reasoning: undefined, calls: [] });
  input.forEach((raw, i) => {
    const where = `input[${i}]`;
    if (!isRecord(raw)) fail(deserializeError(`${where}: invalid type: ${describe(raw)}, expected an item`));
    const type = raw.type ?? (raw.role !== undefined ? "message" : undefined);
    if (typeof type !== "string" || !ITEM_TYPES.includes(type)) {
      fail(deserializeError(`${where}.type: unknown variant ${describe(type)}, expected one of ${ITEM_TYPES.map((t) => `\`${t}\``).join(", ")}`));
    }
    switch (type) {
      case "message": {
        if (typeof raw.role !== "string" || !ROLES.includes(raw.role)) {
          fail(deserializeError(`${where}.role: unknown variant ${describe(raw.role)}, expected one of ${ROLES.map((r) => `\`${r}\``).join(", ")}`));
        }
        const parts = partsOf(raw.content, `${where}.content`);
        if (raw.role === "assistant") assistant().parts.push(...parts);
        else {
          flush();
          reasoned = false;
          messages.push({ role: raw.role === "developer" ? "system" : raw.role, content: parts });
        }
        break;
      }
      case "reasoning": {
        const texts = Array.isArray(raw.content) ? raw.content.filter((p) => isRecord(p) && p.type === "reasoning_text" && typeof p.text === "string") : [];
        if (texts.length > 0) {
          reasoned = true;
          const t = assistant();
          t.reasoning = (t.reasoning ?? "") + texts.map((p) => (p as { text: string }).text).join("");
        }
        break;
      }
      case "function_call":
      case "custom_tool_call": {
        const callId = need(raw, "call_id", where);
        const name = need(raw, "name", where);
        const args = need(raw, type === "function_call" ? "arguments" : "input", where);
        if (thinking && !reasoned) fail(formatError(REASONING_TEXT_MISSING));
        assistant().calls.push({ id: callId, type: "function", function: { name, arguments: args } });
        break;
      }
      default: {
        // function_call_output / custom_tool_call_output
        const callId = need(raw, "call_id", where);
        if (raw.output === undefined) fail(deserializeError(`${where}: missing field \`output\``));
        flush();
        reasoned = false;
        messages.push({ role: "tool", tool_call_id: callId, content: partsOf(raw.output, `${where}.output`) });
      }
    }
  });
  flush();
  if (messages.length === 0) fail(formatError("Empty input messages"));
  return messages;
}

function parseTools(v: unknown): { tools: ToolDef[]; serverTools: ServerTool[]; echo: unknown[] } {
  const tools: ToolDef[] = [];
  const serverTools: ServerTool[] = [];
  if (v === undefined || v === null) return { tools, serverTools, echo: [] };
  if (!Array.isArray(v)) fail(deserializeError(`tools: invalid type: ${describe(v)}, expected a sequence`));
  v.forEach((t, i) => {
    if (!isRecord(t) || typeof t.type !== "string") fail(deserializeError(`tools[${i}]: missing field \`type\``));
    const server = SERVER_TOOL_TYPES[t.type];
    if (server) serverTools.push({ kind: server, name: t.type });
    else if (t.type === "function") tools.push({ name: checkToolName(t.name, `tools[${i}].name`), parameters: t.parameters });
    else if (t.type === "custom") {
      if (t.name !== "apply_patch") fail(formatError(`Invalid tools[${i}]: custom tool \`${String(t.name)}\` is not supported, only \`apply_patch\``));
      tools.push({ name: "apply_patch", parameters: undefined, custom: true });
    } else if (!IGNORED_TOOLS.has(t.type)) {
      fail(deserializeError(`tools[${i}].type: unknown variant \`${t.type}\`, expected one of \`function\`, \`custom\`, \`deepseek_web_search\`, \`deepseek_read_url\``));
    }
  });
  return { tools, serverTools, echo: v };
}

function parseToolChoice(v: unknown, tools: ToolDef[]): ToolChoice {
  if (v === undefined || v === null) return "auto";
  if (v === "none" || v === "auto" || v === "required") return v;
  if (isRecord(v) && (v.type === "function" || v.type === "custom") && typeof v.name === "string") {
    const name = v.name;
    if (!tools.some((t) => t.name === name)) fail(formatError(`tool_choice names a tool not in tools: ${name}`));
    return { name };
  }
  return fail(deserializeError(`tool_choice: invalid value: ${describe(v)}, expected "none", "auto", "required" or a named tool`));
}

function parseEffort(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (!isRecord(v)) fail(deserializeError(`reasoning: invalid type: ${describe(v)}, expected a map`));
  const effort = v.effort;
  if (effort === undefined || effort === null) return null;
  if (typeof effort !== "string" || !EFFORTS.includes(effort)) {
    fail(deserializeError(`reasoning.effort: unknown variant ${describe(effort)}, expected one of ${EFFORTS.map((e) => `\`${e}\``).join(", ")}`));
  }
  return effort;
}

function parseTextFormat(v: unknown): { jsonMode: boolean; echo: unknown } {
  if (v === undefined || v === null) return { jsonMode: false, echo: { type: "text" } };
  const format = isRecord(v) ? v.format : undefined;
  if (format === undefined || format === null) return { jsonMode: false, echo: { type: "text" } };
  if (!isRecord(format) || (format.type !== "text" && format.type !== "json_object" && format.type !== "json_schema")) {
    fail(deserializeError(`text.format.type: unknown variant ${describe(isRecord(format) ? format.type : format)}, expected \`text\`, \`json_object\` or \`json_schema\``));
  }
  return { jsonMode: format.type !== "text", echo: format };
}

export function parseResponsesRequest(body: unknown, models: ReadonlySet<string>): ParseResult<ResponsesRequest> {
  return readRequest(() => {
    if (!isRecord(body)) fail(deserializeError(`invalid type: ${describe(body)}, expected a request object`));
    if (body.model === undefined) fail(deserializeError("missing field `model`"));
    if (typeof body.model !== "string") fail(deserializeError(`model: invalid type: ${describe(body.model)}, expected a string`));
    if (body.input === undefined) fail(deserializeError("missing field `input`"));
    const stream = optBool(body, "stream") ?? false;
    const effort = parseEffort(body.reasoning);
    const thinking = effort !== "none";
    const userId = parseUserId(body, "user");
    const model = resolveModel(body.model, models);
    if (!model) fail(MODEL_NOT_EXIST);
    const instructions = optString(body, "instructions");
    const maxTokens = optNumber(body, "max_output_tokens", 1, MAX_OUTPUT_TOKENS, true);
    const temperature = optNumber(body, "temperature", 0, 2) ?? 1;
    const topP = optNumber(body, "top_p", 0, 1) ?? 1;
    optNumber(body, "top_logprobs", 0, 20, true);
    const { tools, serverTools, echo: toolsEcho } = parseTools(body.tools);
    const toolChoice = parseToolChoice(body.tool_choice, tools);
    checkToolChoice(toolChoice, thinking);
    const text = parseTextFormat(body.text);
    const messages = convertInput(body.input, instructions, thinking);
    checkToolResults(messages);
    return {
      model,
      messages,
      stream,
      thinking,
      maxTokens,
      stop: [],
      tools,
      toolChoice,
      serverTools,
      jsonMode: text.jsonMode,
      userId,
      prefix: undefined,
      echo: {
        instructions: instructions ?? null,
        maxOutputTokens: maxTokens ?? null,
        effort,
        temperature,
        topP,
        tools: toolsEcho,
        toolChoice: body.tool_choice ?? "auto",
        textFormat: text.echo,
        user: userId || null,
      },
    };
  });
}

export const responsesProtocol: Protocol<ResponsesRequest> = {
  peek: (body) => ({ stream: body.stream === true, tools: offeredToolNames(body.tools) }),
  parse: parseResponsesRequest,
  answerRepeats: true,
  render: (x) => (x.req.stream ? renderResponseStream(x) : { json: renderResponse(x) }),
};
