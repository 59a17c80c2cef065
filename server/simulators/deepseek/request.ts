// What every protocol's request becomes once read: the conversation in chat form (so one
// tokenizer, one prefix cache and one generator serve all four protocols), and the checks the
// protocols' readers share, with DeepSeek's wording.

import { deserializeError, formatError, paramError, type SimError } from "./errors.ts";

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
  /** A Responses `custom` tool (only apply_patch): its input is free text, not JSON. */
  custom?: boolean;
}

export type ToolChoice = "none" | "auto" | "required" | { name: string };

/** DeepSeek's server-side tools: the service searches or reads, the client runs nothing. */
export type ServerToolKind = "web_search" | "read_url";

export interface ServerTool {
  kind: ServerToolKind;
  /** The name the request declared it under (the block name on Messages). */
  name: string;
}

export interface SimRequest {
  /** Canonical model id (aliases resolved; Claude names mapped). */
  model: string;
  /** The conversation in chat form: role, content, reasoning_content, tool_calls, tool_call_id. */
  messages: Record<string, unknown>[];
  stream: boolean;
  thinking: boolean;
  maxTokens: number | undefined;
  stop: string[];
  tools: ToolDef[];
  toolChoice: ToolChoice;
  serverTools: ServerTool[];
  jsonMode: boolean;
  /** Prefix-cache bucket; "" when absent. */
  userId: string;
  /** Text the answer continues (chat prefix completion, FIM prompt), else undefined. */
  prefix: string | undefined;
}

export type ParseResult<R> = { ok: true; req: R } | { ok: false; error: SimError };

export const THINKING_TOOL_CHOICE = "Thinking mode does not support this tool_choice";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value as serde names it in "invalid type" errors. */
export function describe(v: unknown): string {
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

/** Thrown by the readers' checks; caught once per request by `readRequest`. */
export class Invalid extends Error {
  constructor(readonly error: SimError) {
    super(error.message);
  }
}

export function fail(e: SimError): never {
  throw new Invalid(e);
}

/** Runs a reader, turning its `fail()` into a result. */
export function readRequest<R>(read: () => R): ParseResult<R> {
  try {
    return { ok: true, req: read() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.error };
    throw e;
  }
}

export function optNumber(body: Record<string, unknown>, field: string, min: number, max: number, integer = false): number | undefined {
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

export function optBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected a boolean`));
  return v;
}

export function optString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected a string`));
  return v;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  if (body[field] === undefined) fail(deserializeError(`missing field \`${field}\``));
  return optString(body, field)!;
}

export function parseStop(v: unknown, field = "stop"): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v ? [v] : [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected a string or a sequence of strings`));
  }
  if (v.length > 16) fail(paramError(`Invalid ${field} value, at most 16 stop sequences are allowed`));
  return (v as string[]).filter((s) => s.length > 0);
}

/** `thinking: {"type": "enabled" | "disabled"}`; on by default, as on every V4 model. */
export function parseThinking(v: unknown, extraTypes: readonly string[] = []): boolean {
  if (v === undefined || v === null) return true;
  const types = ["enabled", "disabled", ...extraTypes];
  if (!isRecord(v) || typeof v.type !== "string" || !types.includes(v.type)) {
    fail(deserializeError(`thinking: expected {"type": ${types.map((t) => `"${t}"`).join(" | ")}}, got ${JSON.stringify(v)}`));
  }
  return v.type !== "disabled";
}

const USER_ID_RE = /^[A-Za-z0-9_-]*$/;

/** A chat `user_id` / Responses `user`: [a-zA-Z0-9-_], at most 512 bytes (422 otherwise). */
export function parseUserId(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") fail(deserializeError(`${field}: invalid type: ${describe(v)}, expected a string`));
  if (!USER_ID_RE.test(v) || Buffer.byteLength(v) > 512) {
    fail(paramError(`Invalid ${field} value, it must match [a-zA-Z0-9-_]+ and be at most 512 bytes`));
  }
  return v;
}

export function checkToolName(name: unknown, where: string): string {
  if (typeof name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    fail(formatError(`Invalid ${where}: must match ^[a-zA-Z0-9_-]{1,64}$`));
  }
  return name;
}

/** A pinned tool in thinking mode is refused, as DeepSeek does on all three protocols. */
export function checkToolChoice(choice: ToolChoice, thinking: boolean): void {
  if (thinking && typeof choice === "object") fail(formatError(THINKING_TOOL_CHOICE));
}

/** DeepSeek's server tools by the `type` a request declares them with. */
export const SERVER_TOOL_TYPES: Readonly<Record<string, ServerToolKind>> = {
  deepseek_web_search: "web_search",
  deepseek_read_url: "read_url",
};
