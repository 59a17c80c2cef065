// Test-only control state: injected faults, recorded requests, keys marked out of balance.

import { INJECTABLE_STATUSES, maskKey } from "./errors.ts";
import { INTERRUPT_REASONS, type ForcedCall, type InterruptReason } from "./generate.ts";

export interface FaultRule {
  status?: number;
  message?: string;
  cutAfterChunks?: number;
  stallMs?: number;
  queueMs?: number;
  /** The answer ends early with this finish reason (half its tokens generated). */
  finishReason?: InterruptReason;
  /** After this many events the stream ends with the protocol's error event (streams only). */
  failAfterChunks?: number;
  /** The answer is exactly these tool calls (only requests that offer the named tools). */
  toolCalls?: ForcedCall[];
  /** Requests this rule still applies to. */
  times: number;
  /** Only requests with this bearer key. */
  key?: string;
}

export type Faults = Omit<FaultRule, "times" | "key">;

const KINDS = ["status", "cutAfterChunks", "stallMs", "queueMs", "finishReason", "failAfterChunks", "toolCalls"] as const;

/** What a rule needs to know about a request to decide whether it applies. */
export interface FaultTarget {
  key: string;
  stream: boolean;
  /** Names of the (client) tools the request offers. */
  tools: readonly string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Reads a `/_control/next` body; returns an error message if it is not usable. */
export function parseFaultRule(body: unknown): FaultRule | string {
  if (!isRecord(body)) return "body must be a JSON object";
  const rule: FaultRule = { times: 1 };
  if (body.status !== undefined) {
    if (typeof body.status !== "number" || !INJECTABLE_STATUSES.has(body.status)) {
      return `status must be one of ${[...INJECTABLE_STATUSES].join(", ")}`;
    }
    rule.status = body.status;
  }
  if (body.finish_reason !== undefined) {
    if (typeof body.finish_reason !== "string" || !(INTERRUPT_REASONS as readonly string[]).includes(body.finish_reason)) {
      return `finish_reason must be one of ${INTERRUPT_REASONS.join(", ")}`;
    }
    rule.finishReason = body.finish_reason as InterruptReason;
  }
  if (body.message !== undefined) {
    if (typeof body.message !== "string") return "message must be a string";
    rule.message = body.message;
  }
  const calls = body.tool_calls ?? (body.tool_call === undefined ? undefined : [body.tool_call]);
  if (calls !== undefined) {
    const ok = Array.isArray(calls) && calls.length > 0 && calls.every((c) => isRecord(c) && (c.name === undefined || (typeof c.name === "string" && c.name !== "")));
    if (!ok) return 'tool_calls must be a non-empty list of {"name"?: string, "arguments"?: object | string}';
    rule.toolCalls = (calls as Record<string, unknown>[]).map((c) => ({ name: c.name as string | undefined, arguments: c.arguments }));
  }
  for (const [field, prop] of [
    ["cut_after_chunks", "cutAfterChunks"],
    ["fail_after_chunks", "failAfterChunks"],
    ["stall_ms", "stallMs"],
    ["queue_ms", "queueMs"],
  ] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (!nonNegInt(v)) return `${field} must be a non-negative integer`;
    rule[prop] = v;
  }
  if (body.times !== undefined) {
    if (!nonNegInt(body.times) || body.times < 1) return "times must be a positive integer";
    rule.times = body.times;
  }
  if (body.key !== undefined) {
    if (typeof body.key !== "string" || body.key === "") return "key must be a non-empty string";
    rule.key = body.key;
  }
  if (KINDS.every((k) => rule[k] === undefined)) {
    return "give at least one of status, cut_after_chunks, fail_after_chunks, stall_ms, queue_ms, finish_reason, tool_calls";
  }
  return rule;
}

/**
 * Pending faults, consumed in order. A request takes the first rule that matches it (by key; a
 * rule with cut_after_chunks or fail_after_chunks matches only streaming requests, one with
 * tool_calls only requests offering those tools). A status rule is taken alone; otherwise later
 * matching rules of other kinds are taken with it (e.g. queue_ms + cut).
 */
export class FaultQueue {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  get pending(): number {
    return this.rules.length;
  }

  take(target: FaultTarget): Faults | undefined {
    if (this.rules.length === 0) return undefined;
    let out: Faults | undefined;
    for (const rule of this.rules) {
      if (rule.times <= 0) continue;
      if (rule.key !== undefined && rule.key !== target.key) continue;
      if ((rule.cutAfterChunks !== undefined || rule.failAfterChunks !== undefined) && !target.stream) continue;
      if (rule.toolCalls && !offersTools(rule.toolCalls, target.tools)) continue;
      if (out === undefined) {
        out = {};
      } else if (rule.status !== undefined || KINDS.some((k) => rule[k] !== undefined && out![k] !== undefined)) {
        continue;
      }
      for (const k of KINDS) if (rule[k] !== undefined) (out as Record<string, unknown>)[k] = rule[k];
      if (rule.message !== undefined) out.message = rule.message;
      rule.times--;
      if (out.status !== undefined) break;
    }
    this.rules = this.rules.filter((r) => r.times > 0);
    return out;
  }

  clear(): void {
    this.rules = [];
  }
}

function offersTools(calls: readonly ForcedCall[], tools: readonly string[]): boolean {
  return tools.length > 0 && calls.every((c) => c.name === undefined || tools.includes(c.name));
}

export interface RecordedRequest {
  path: string;
  /** The query string without its "?" ("" when none), e.g. "beta=true". */
  query: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  received_at: string;
}

/** The last `max` requests, oldest first. */
export class RequestLog {
  private entries: RecordedRequest[] = [];
  private next = 0;

  constructor(private readonly max = 1000) {}

  record(req: Request, path: string, body: unknown): void {
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = name === "authorization" ? maskAuthorization(value) : name === "x-api-key" ? maskKey(value) : value;
    });
    const q = req.url.indexOf("?");
    const query = q < 0 ? "" : req.url.slice(q + 1).split("#")[0]!;
    const entry: RecordedRequest = { path, query, method: req.method, headers, body, received_at: new Date().toISOString() };
    if (this.entries.length < this.max) this.entries.push(entry);
    else {
      this.entries[this.next] = entry;
      this.next = (this.next + 1) % this.max;
    }
  }

  list(): RecordedRequest[] {
    return this.entries.length < this.max ? this.entries.slice() : [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
  }

  clear(): void {
    this.entries = [];
    this.next = 0;
  }
}

/** "Bearer ****abcd". */
export function maskAuthorization(value: string): string {
  const m = /^(\S+)\s+(.*)$/.exec(value.trim());
  return m ? `${m[1]} ${maskKey(m[2]!)}` : maskKey(value);
}
