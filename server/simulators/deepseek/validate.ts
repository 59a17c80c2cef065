// Reads and checks a chat-completion body the way DeepSeek does: 400 for an unreadable body or a
// wrong type, 422 for a value out of range, 400 "Model Not Exist" for a retired/unknown model.

import { deserializeError, formatError, MODEL_NOT_EXIST, paramError, type SimError } from "./errors.ts";

/** Largest max_tokens DeepSeek V4 accepts (384K). */
export const MAX_OUTPUT_TOKENS = 393216;

/** Legacy names still served, mapped to the canonical model id reported in responses. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  "deepseek-v4-flash": "deepseek-flash",
  "deepseek-v4-flash-vision-exp": "deepseek-flash",
};

export interface ToolDef {
  name: string;
  parameters: unknown;
}

export type ToolChoice = "none" | "auto" | "required" | { name: string };

export interface ChatRequest {
  /** Canonical model id (aliases resolved). */
  model: string;
  messages: Record<string, unknown>[];
  stream: boolean;
  includeUsage: boolean;
  thinking: boolean;
  maxTokens: number | undefined;
  stop: string[];
  tools: ToolDef[];
  toolChoice: ToolChoice;
  jsonMode: boolean;
  /** With `logprobs: true`, how many alternatives per token (top_logprobs, 0 when absent); undefined without. */
  logprobs: number | undefined;
  /** Prefix-cache bucket; "" when absent. */
  userId: string;
  /** Content of a trailing `prefix: true` assistant message (beta), else undefined. */
  prefix: string | undefined;
}

export type ParseResult = { ok: true; req: ChatRequest } | { ok: false; error: SimError };

export const THINKING_LOGPROBS = "logprobs and top_logprobs are not supported in thinking mode";

const ROLES = new Set(["system", "user", "assistant", "tool"]);
const USER_ID_RE = /^[A-Za-z0-9_-]*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "sequence";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  return "map";
}

export function resolveModel(name: string, models: ReadonlySet<string>): string | undefined {
  const canonical = MODEL_ALIASES[name] ?? name;
  return models.has(canonical) ? canonical : undefined;
}

class Invalid extends Error {
  constructor(readonly error: SimError) {
    super(error.message);
  }
}

function fail(e: SimError): never {
  throw new Invalid(e);
}

function optNumber(body: Record<string, unknown>, field: string, min: number, max: number, integer = false) {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected ${integer ? "u32" : "f32"}`));
  }
  if (integer && !Number.isInteger(v)) {
    fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected u32`));
  }
  if (v < min || v > max) {
    fail(paramError(`Invalid ${field} value, the valid range of ${field} is [${min}, ${max}]`));
  }
  return v;
}

function optBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected a boolean`));
  return v;
}

function parseStop(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v ? [v] : [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    fail(deserializeError(`stop: invalid type: ${describe(v)}, expected a string or a sequence of strings`));
  }
  if (v.length > 16) fail(paramError("Invalid stop value, at most 16 stop sequences are allowed"));
  return (v as string[]).filter((s) => s.length > 0);
}

function parseTools(v: unknown): ToolDef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(deserializeError(`tools: invalid type: ${describe(v)}, expected a sequence`));
  if (v.length > 128) fail(paramError("Invalid tools value, at most 128 tools are allowed"));
  return v.map((t, i) => {
    if (!isRecord(t) || t.type !== "function" || !isRecord(t.function)) {
      fail(deserializeError(`tools[${i}]: expected {"type":"function","function":{...}}`));
    }
    const fn = t.function;
    if (typeof fn.name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(fn.name)) {
      fail(formatError(`Invalid tools[${i}].function.name: must match ^[a-zA-Z0-9_-]{1,64}$`));
    }
    return { name: fn.name, parameters: fn.parameters };
  });
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
    if (thinking && m.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0 && typeof m.reasoning_content !== "string") {
      fail(formatError("The `reasoning_content` in the thinking mode must be passed back to the API."));
    }
  });
  return { messages: messages as Record<string, unknown>[], prefix };
}

export function parseChatRequest(body: unknown, beta: boolean, models: ReadonlySet<string>): ParseResult {
  try {
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

    let thinking = true;
    const th = body.thinking;
    if (th !== undefined && th !== null) {
      if (!isRecord(th) || (th.type !== "enabled" && th.type !== "disabled")) {
        fail(deserializeError(`thinking: expected {"type": "enabled" | "disabled"}, got ${JSON.stringify(th)}`));
      }
      thinking = th.type === "enabled";
    }

    const rf = body.response_format;
    let jsonMode = false;
    if (rf !== undefined && rf !== null) {
      if (!isRecord(rf) || (rf.type !== "text" && rf.type !== "json_object")) {
        fail(deserializeError(`response_format: unknown variant ${describe(isRecord(rf) ? rf.type : rf)}, expected \`text\` or \`json_object\``));
      }
      jsonMode = rf.type === "json_object";
    }

    const userIdRaw = body.user_id;
    let userId = "";
    if (userIdRaw !== undefined && userIdRaw !== null) {
      if (typeof userIdRaw !== "string") fail(deserializeError(`user_id: invalid type: ${describe(userIdRaw)}, expected a string`));
      if (!USER_ID_RE.test(userIdRaw) || Buffer.byteLength(userIdRaw) > 512) {
        fail(paramError("Invalid user_id value, it must match [a-zA-Z0-9-_]+ and be at most 512 bytes"));
      }
      userId = userIdRaw;
    }

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
    const tools = parseTools(body.tools);
    const toolChoice = parseToolChoice(body.tool_choice, tools);
    const { messages, prefix } = checkMessages(body.messages, beta, thinking);

    return {
      ok: true,
      req: { model, messages, stream, includeUsage, thinking, maxTokens, stop, tools, toolChoice, jsonMode, logprobs: logprobs ? (topLogprobs ?? 0) : undefined, userId, prefix },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.error };
    throw e;
  }
}
