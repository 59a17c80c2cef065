// FIM completion (`/beta/completions`): prompt + suffix in, the text between out, in the legacy
// `text_completion` shape. Non-thinking only, max_tokens at most 4K; usage as on chat. Streams
// are data-only chunks ending `data: [DONE]`, usage only with stream_options.include_usage
// (a last chunk with `choices: []`).

import { makeUsage, openAiStreamError, DONE_EVENT } from "./chat-reply.ts";
import { deserializeError, formatError, MODEL_NOT_EXIST } from "./errors.ts";
import { contentLogprobs } from "./logprobs.ts";
import type { Exchange, Protocol } from "./pipeline.ts";
import { describe, fail, isRecord, optBool, optNumber, optString, parseStop, readRequest, requireString, resolveModel, type ParseResult, type SimRequest } from "./request.ts";
import { scanFim } from "./tokenizer.ts";

export const FIM_MAX_TOKENS = 4096;
export const FIM_THINKING = "FIM completion does not support thinking mode";

export interface FimRequest extends SimRequest {
  promptText: string;
  suffix: string;
  echo: boolean;
  /** Alternatives per token (the `logprobs` integer), undefined without. */
  logprobs: number | undefined;
  includeUsage: boolean;
}

export function parseFimRequest(body: unknown, models: ReadonlySet<string>): ParseResult<FimRequest> {
  return readRequest(() => {
    if (!isRecord(body)) fail(deserializeError(`invalid type: ${describe(body)}, expected a request object`));
    if (body.model === undefined) fail(deserializeError("missing field `model`"));
    if (typeof body.model !== "string") fail(deserializeError(`model: invalid type: ${describe(body.model)}, expected a string`));
    const promptText = requireString(body, "prompt");
    const th = body.thinking;
    if (th !== undefined && th !== null) {
      if (!isRecord(th) || (th.type !== "enabled" && th.type !== "disabled")) fail(deserializeError(`thinking: expected {"type": "enabled" | "disabled"}, got ${JSON.stringify(th)}`));
      if (th.type === "enabled") fail(formatError(FIM_THINKING));
    }
    const model = resolveModel(body.model, models);
    if (!model) fail(MODEL_NOT_EXIST);
    const suffix = optString(body, "suffix") ?? "";
    const echo = optBool(body, "echo") ?? false;
    const logprobs = optNumber(body, "logprobs", 0, 20, true);
    const mt = body.max_tokens;
    if (mt !== undefined && mt !== null && (typeof mt !== "number" || !Number.isInteger(mt))) {
      fail(deserializeError(`max_tokens: invalid type: ${describe(mt)}, expected u32`));
    }
    if (typeof mt === "number" && (mt < 1 || mt > FIM_MAX_TOKENS)) {
      fail(formatError(`Invalid max_tokens value, the valid range of max_tokens is [1, ${FIM_MAX_TOKENS}]`));
    }
    optNumber(body, "temperature", 0, 2);
    optNumber(body, "top_p", 0, 1);
    optNumber(body, "frequency_penalty", -2, 2);
    optNumber(body, "presence_penalty", -2, 2);
    const stop = parseStop(body.stop);
    const stream = optBool(body, "stream") ?? false;
    const so = body.stream_options;
    if (so !== undefined && so !== null && !isRecord(so)) fail(deserializeError(`stream_options: invalid type: ${describe(so)}, expected a map`));
    const includeUsage = isRecord(so) ? (optBool(so, "include_usage") ?? false) : false;
    return {
      model,
      messages: [{ role: "user", content: promptText }],
      stream,
      thinking: false,
      maxTokens: typeof mt === "number" ? mt : FIM_MAX_TOKENS,
      stop,
      tools: [],
      toolChoice: "none",
      serverTools: [],
      jsonMode: false,
      userId: "",
      prefix: promptText,
      promptText,
      suffix,
      echo,
      logprobs,
      includeUsage,
    };
  });
}

/** The legacy completions logprobs: parallel arrays, offsets into the returned text. */
function legacyLogprobs(pieces: readonly string[], top: number, seed: number, offset: number) {
  const lp = contentLogprobs(pieces, top, seed);
  const text_offset: number[] = [];
  let at = offset;
  for (const p of pieces) {
    text_offset.push(at);
    at += p.length;
  }
  return {
    tokens: lp.map((t) => t.token),
    token_logprobs: lp.map((t) => t.logprob),
    top_logprobs: top > 0 ? lp.map((t) => Object.fromEntries(t.top_logprobs.map((a) => [a.token, a.logprob]))) : null,
    text_offset,
  };
}

function renderFim(x: Exchange<FimRequest>): string {
  const c = x.completion;
  const r = x.req;
  const text = (r.echo ? r.promptText : "") + c.content.join("");
  const logprobs = r.logprobs === undefined ? null : legacyLogprobs(c.content, r.logprobs, x.seed, r.echo ? r.promptText.length : 0);
  return JSON.stringify({
    id: x.id,
    object: "text_completion",
    created: x.created,
    model: r.model,
    system_fingerprint: x.fingerprint,
    choices: [{ index: 0, text, logprobs, finish_reason: c.finishReason }],
    usage: makeUsage(x.promptTokens, x.hitTokens, c),
  });
}

function renderFimStream(x: Exchange<FimRequest>) {
  const c = x.completion;
  const r = x.req;
  const head = `data: {"id":${JSON.stringify(x.id)},"object":"text_completion","created":${x.created},"model":${JSON.stringify(r.model)},"system_fingerprint":${JSON.stringify(x.fingerprint)},"choices":`;
  const usageTail = r.includeUsage ? ',"usage":null' : "";
  const events: string[] = [];
  const tokens: number[] = [];
  const chunk = (text: string, logprobs: unknown, finish: string | null, n: number) => {
    events.push(`${head}[{"index":0,"text":${JSON.stringify(text)},"logprobs":${JSON.stringify(logprobs)},"finish_reason":${JSON.stringify(finish)}}]${usageTail}}\n\n`);
    tokens.push(n);
  };
  if (r.echo) chunk(r.promptText, null, null, 0);
  const all = r.logprobs === undefined ? undefined : legacyLogprobs(c.content, r.logprobs, x.seed, r.echo ? r.promptText.length : 0);
  c.content.forEach((p, i) => {
    const lp = all && {
      tokens: [all.tokens[i]],
      token_logprobs: [all.token_logprobs[i]],
      top_logprobs: all.top_logprobs && [all.top_logprobs[i]],
      text_offset: [all.text_offset[i]],
    };
    chunk(p, lp ?? null, null, 1);
  });
  chunk("", null, c.finishReason, 0);
  if (r.includeUsage) {
    events.push(`${head}[],"usage":${JSON.stringify(makeUsage(x.promptTokens, x.hitTokens, c))}}\n\n`);
    tokens.push(0);
  }
  events.push(DONE_EVENT);
  tokens.push(0);
  return { events, tokens, failEvent: () => openAiStreamError() };
}

export const fimProtocol: Protocol<FimRequest> = {
  peek: (body) => ({ stream: body.stream === true, tools: [] }),
  parse: parseFimRequest,
  scan: (r, probe) => scanFim(r.promptText, r.suffix, probe),
  answerRepeats: false,
  render: (x) => (x.req.stream ? renderFimStream(x) : { json: renderFim(x) }),
};
