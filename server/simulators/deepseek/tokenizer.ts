// The simulator's tokenizer. One token per word (letters, digits, marks, underscore), one per
// punctuation mark or symbol, one per CJK character (Han, Hiragana, Katakana, Hangul).
//
// Invariant the gateway relies on: the prompt token count of a request is never more than the
// UTF-8 byte length of JSON.stringify(body.messages). It holds because every counted token
// consumes at least one character of a string value inside a message (each serialised as at
// least one byte), role strings are not counted, and the fixed per-message overhead (4) is
// smaller than the `{"role":""}` frame (11 bytes) every message object serialises to.

/** Matches one token. The `v` flag allows the set subtraction (words never swallow CJK). */
const TOKEN_RE =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[[\p{L}\p{N}\p{M}_]--[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]]+|[^\s\p{L}\p{N}\p{M}_]/gv;

/** One token with the whitespace in front of it, so that the pieces concatenate to the text. */
const PIECE_RE =
  /\s*(?:[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[[\p{L}\p{N}\p{M}_]--[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]]+|[^\s\p{L}\p{N}\p{M}_])/gv;

/** Fixed number of tokens each message adds on top of its text (role marker and separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Splits text into the simulator's tokens. */
export function simTokenize(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

/** Counts the simulator's tokens in text (no allocation of the token list). */
export function countSimTokens(text: string): number {
  let n = 0;
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.exec(text) !== null) n++;
  return n;
}

/**
 * Splits text into one piece per token, each piece carrying the whitespace before it; trailing
 * whitespace is appended to the last piece. `pieces.join("") === text` for any text containing a
 * token, and `pieces.length === countSimTokens(text)`.
 */
export function splitPieces(text: string): string[] {
  const pieces = text.match(PIECE_RE) ?? [];
  if (pieces.length > 0) {
    const used = pieces.reduce((n, p) => n + p.length, 0);
    if (used < text.length) pieces[pieces.length - 1] += text.slice(used);
  }
  return pieces;
}

function fnv1a(s: string, basis: number, prime: number): number {
  let h = basis;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), prime);
  return h;
}

/** Called after each token of a prompt with the key of the sequence so far and its length. */
export type PrefixProbe = (key: number, tokens: number) => void;

/** Result of scanning a prompt: token count, the key of the whole sequence, and a content seed. */
export interface PromptScan {
  tokens: number;
  /** Identifies the whole token sequence (a cache prefix unit ending here). */
  key: number;
  /** Hash of the whole token sequence; seeds the deterministic reply. */
  seed: number;
  /** Where the scan stopped, to continue it over the model's answer. */
  state: Scanner;
}

/** Rolling hash over a token sequence: every prefix of it has a key. */
export class Scanner {
  tokens = 0;
  h1 = 0x811c9dc5 | 0;
  h2 = 0x5bd1e995 | 0;

  constructor(private readonly probe?: PrefixProbe) {}

  /** The key of the sequence so far: 32 + 21 bits, an exact integer, cheap to use in a Map. */
  get key(): number {
    return (this.h1 >>> 0) * 2097152 + (this.h2 >>> 11);
  }

  /** A copy that goes on from here (without the probe). */
  fork(): Scanner {
    const copy = new Scanner();
    copy.tokens = this.tokens;
    copy.h1 = this.h1;
    copy.h2 = this.h2;
    return copy;
  }

  push(token: string): void {
    const t1 = fnv1a(token, 0x811c9dc5, 0x01000193);
    const t2 = fnv1a(token, 0x050c5d1f, 0x0100019b);
    this.h1 = (Math.imul(this.h1, 0x9e3779b1) + t1) | 0;
    this.h2 = (Math.imul(this.h2 ^ t2, 0x85ebca6b) + 0x27d4eb2f) | 0;
    this.tokens++;
    this.probe?.(this.key, this.tokens);
  }

  text(s: string): void {
    TOKEN_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = TOKEN_RE.exec(s)) !== null) this.push(m[0]);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The text of a message's content: a string, or the `text` of its text parts. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    let out = "";
    for (const part of content) {
      if (isRecord(part) && typeof part.text === "string") out += (out ? "\n" : "") + part.text;
    }
    return out;
  }
  return "";
}

function scanContent(sc: Scanner, content: unknown): void {
  if (typeof content === "string") sc.text(content);
  else if (Array.isArray(content)) {
    for (const part of content) if (isRecord(part) && typeof part.text === "string") sc.text(part.text);
  }
}

/** A message up to the end of what it says (its closing markers not yet). */
function scanMessageBody(sc: Scanner, msg: Record<string, unknown>): void {
  sc.push(`\u0000${String(msg.role)}`);
  if (typeof msg.name === "string") sc.text(msg.name);
  scanContent(sc, msg.content);
  if (Array.isArray(msg.tool_calls)) {
    for (const call of msg.tool_calls) {
      const fn = isRecord(call) ? call.function : undefined;
      if (!isRecord(fn)) continue;
      if (typeof fn.name === "string") sc.text(fn.name);
      if (typeof fn.arguments === "string") sc.text(fn.arguments);
    }
  }
  if (typeof msg.tool_call_id === "string") sc.text(msg.tool_call_id);
}

/**
 * Tokenizes a conversation as the simulator bills it: per message a role marker and three
 * closing markers (MESSAGE_OVERHEAD_TOKENS), plus the tokens of its name, content, tool calls
 * (function name and arguments) and tool_call_id. reasoning_content of earlier turns is not
 * counted. Messages must already be validated objects with a role. `probe` sees every prefix.
 */
export function scanPrompt(messages: readonly unknown[], probe?: PrefixProbe): PromptScan {
  const sc = new Scanner(probe);
  for (const msg of messages) {
    if (!isRecord(msg)) continue;
    scanMessageBody(sc, msg);
    sc.push("\u0001");
    sc.push("\u0002");
    sc.push("\u0003");
  }
  return finishScan(sc);
}

function finishScan(sc: Scanner): PromptScan {
  const seed = ((sc.h1 ^ Math.imul(sc.h2, 0x2c1b3c6d)) + sc.tokens) >>> 0;
  return { tokens: sc.tokens, key: sc.key, seed, state: sc };
}

/** Tokens a FIM request adds on top of its prompt and suffix (begin, hole and end markers). */
export const FIM_OVERHEAD_TOKENS = 3;

/** Tokenizes a FIM request as the simulator bills it: the markers, the prompt and the suffix. */
export function scanFim(prompt: string, suffix: string, probe?: PrefixProbe): PromptScan {
  const sc = new Scanner(probe);
  sc.push("\u0000fim_begin");
  sc.text(prompt);
  sc.push("\u0000fim_hole");
  sc.text(suffix);
  sc.push("\u0000fim_end");
  return finishScan(sc);
}

/**
 * The key of the prompt followed by the model's answer as a later prompt repeats it (an
 * assistant message with this content and tool calls), up to the end of the answer.
 */
export function answerKey(scan: PromptScan, answer: { content: string; tool_calls?: unknown[] }): number {
  const sc = scan.state.fork();
  scanMessageBody(sc, { role: "assistant", ...answer });
  return sc.key;
}

/** Prompt tokens of a conversation, as reported in usage.prompt_tokens. */
export function countPromptTokens(messages: readonly unknown[]): number {
  return scanPrompt(messages).tokens;
}
