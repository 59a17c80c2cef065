// The DeepSeek simulator, driven over real HTTP by the official `openai` client and by raw fetch.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import {
  countPromptTokens,
  countSimTokens,
  createDeepSeekSimulator,
  DEFAULT_CONTENT_TOKENS,
  DEFAULT_REASONING_TOKENS,
  INTERRUPT_REASONS,
  MESSAGE_OVERHEAD_TOKENS,
  simTokenize,
  startDeepSeekSimulator,
  THINKING_LOGPROBS,
} from "../../server/simulators/deepseek.ts";

type Sim = ReturnType<typeof startDeepSeekSimulator>;

const KEY = "sk-sim-key-aaaa1234";
const KEY_B = "sk-sim-key-bbbb5678";

let sim: Sim;
let client: OpenAI;

/** Body fields the OpenAI SDK does not know about (thinking, user_id), passed through as-is. */
function extra(fields: Record<string, unknown>): {} {
  return fields;
}

function user(content: string) {
  return [{ role: "user" as const, content }];
}

async function post(path: string, body: unknown, key: string | null = KEY, base = sim.url): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(base + path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function control(action: string, body: unknown = {}, base = sim.url): Promise<Response> {
  const r = await fetch(`${base}/_control/${action}`, { method: "POST", body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return r;
}

/** Splits an SSE body into its events (the text between blank lines). */
function sseEvents(body: string): string[] {
  expect(body.endsWith("\n\n")).toBe(true);
  return body.slice(0, -2).split("\n\n");
}

function dataChunks(body: string): Record<string, any>[] {
  return sseEvents(body)
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice("data: ".length)));
}

async function expectApiError(p: Promise<unknown>, status: number): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OpenAI.APIError);
    const err = e as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(status);
    return err;
  }
  throw new Error(`expected an APIError with status ${status}`);
}

beforeAll(() => {
  sim = startDeepSeekSimulator({ keys: [KEY, KEY_B], keepAliveIntervalMs: 40 });
  client = new OpenAI({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(async () => {
  await control("reset");
});

describe("non-streaming chat", () => {
  test("content, reasoning and exact usage arithmetic", async () => {
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("Hello there, 你好!") });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe("deepseek-flash");
    expect(res.system_fingerprint).toStartWith("fp_");
    expect(typeof res.id).toBe("string");
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.index).toBe(0);
    const content = choice.message.content ?? "";
    const reasoning = (choice.message as unknown as { reasoning_content: string }).reasoning_content;
    expect(countSimTokens(content)).toBe(DEFAULT_CONTENT_TOKENS);
    expect(countSimTokens(reasoning)).toBe(DEFAULT_REASONING_TOKENS);

    const u = res.usage as unknown as Record<string, any>;
    // Hello there , 你 好 ! = 6 tokens + the message overhead.
    expect(u.prompt_tokens).toBe(6 + MESSAGE_OVERHEAD_TOKENS);
    expect(u.prompt_cache_hit_tokens + u.prompt_cache_miss_tokens).toBe(u.prompt_tokens);
    expect(u.prompt_tokens_details.cached_tokens).toBe(u.prompt_cache_hit_tokens);
    expect(u.completion_tokens_details.reasoning_tokens).toBe(DEFAULT_REASONING_TOKENS);
    expect(u.completion_tokens).toBe(DEFAULT_CONTENT_TOKENS + DEFAULT_REASONING_TOKENS);
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
  });

  test("replies are deterministic per prompt and differ between prompts", async () => {
    const a1 = await client.chat.completions.create({ model: "deepseek-flash", messages: user("prompt one") });
    const a2 = await client.chat.completions.create({ model: "deepseek-flash", messages: user("prompt one") });
    const b = await client.chat.completions.create({ model: "deepseek-flash", messages: user("prompt two") });
    expect(a2.choices[0]!.message.content).toBe(a1.choices[0]!.message.content!);
    expect(b.choices[0]!.message.content).not.toBe(a1.choices[0]!.message.content!);
  });

  test("#tokens and #think directives set the lengths", async () => {
    const res = await client.chat.completions.create({ model: "deepseek-v4-pro", messages: user("go #tokens=7 #think=3") });
    expect(res.model).toBe("deepseek-v4-pro");
    expect(countSimTokens(res.choices[0]!.message.content!)).toBe(7);
    expect(res.usage!.completion_tokens).toBe(10);
    expect((res.usage as any).completion_tokens_details.reasoning_tokens).toBe(3);
  });

  test("legacy deepseek-v4-flash is served as deepseek-flash", async () => {
    const res = await client.chat.completions.create({ model: "deepseek-v4-flash", messages: user("hi") });
    expect(res.model).toBe("deepseek-flash");
  });

  test("thinking disabled: no reasoning_content, zero reasoning tokens", async () => {
    const res = await client.chat.completions.create({
      model: "deepseek-flash",
      messages: user("no thinking #tokens=5"),
      ...extra({ thinking: { type: "disabled" } }),
    });
    const msg = res.choices[0]!.message as unknown as Record<string, unknown>;
    expect("reasoning_content" in msg).toBe(false);
    expect(res.usage!.completion_tokens).toBe(5);
    expect((res.usage as any).completion_tokens_details.reasoning_tokens).toBe(0);
  });

  test("max_tokens truncates reasoning + content with finish_reason length", async () => {
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("long #think=3 #tokens=50"), max_tokens: 8 });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("length");
    expect(res.usage!.completion_tokens).toBe(8);
    expect(countSimTokens(choice.message.content!)).toBe(5);
    const capped = await client.chat.completions.create({ model: "deepseek-flash", messages: user("long #think=30"), max_tokens: 10 });
    expect(capped.choices[0]!.finish_reason).toBe("length");
    expect(capped.choices[0]!.message.content).toBe("");
    expect((capped.usage as any).completion_tokens_details.reasoning_tokens).toBe(10);
  });

  test("stop sequences end the content early with finish_reason stop", async () => {
    const params = { model: "deepseek-flash", messages: user("stop test #tokens=20"), ...extra({ thinking: { type: "disabled" } }) };
    const full = (await client.chat.completions.create(params)).choices[0]!.message.content!;
    const words = full.split(" ");
    const stop = ` ${words[10]}`;
    const cut = full.slice(0, full.indexOf(stop));
    const res = await client.chat.completions.create({ ...params, stop });
    expect(res.choices[0]!.message.content).toBe(cut);
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(res.usage!.completion_tokens).toBe(countSimTokens(cut));
  });

  test("tools: asking to call a tool yields a tool call", async () => {
    const tools = [
      { type: "function" as const, function: { name: "lookup_order", parameters: { type: "object", properties: { id: { type: "string" } } } } },
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" }, unit: { type: "string", enum: ["c", "f"] } } },
        },
      },
    ];
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("Please call get_weather for me"), tools });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]! as { id: string; type: string; function: { name: string; arguments: string } };
    expect(call.id).toStartWith("call_");
    expect(call.type).toBe("function");
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.city).toBe("string");
    expect(Number.isInteger(args.days)).toBe(true);
    expect(args.unit).toBe("c");
    const reasoning = (choice.message as any).reasoning_content as string;
    expect(res.usage!.completion_tokens).toBe(countSimTokens(reasoning) + countSimTokens("get_weather") + countSimTokens(call.function.arguments));

    // Without a request for a tool, the model answers in prose.
    const prose = await client.chat.completions.create({ model: "deepseek-flash", messages: user("just chat"), tools });
    expect(prose.choices[0]!.finish_reason).toBe("stop");
    expect(prose.choices[0]!.message.tool_calls ?? []).toHaveLength(0);

    // After the tool result the model answers in prose; the earlier turn must carry reasoning_content.
    const followUp = [
      { role: "user" as const, content: "Please call get_weather for me" },
      { role: "assistant" as const, content: "", tool_calls: [call as any], reasoning_content: reasoning },
      { role: "tool" as const, tool_call_id: call.id, content: '{"temp": 21}' },
    ];
    const answer = await client.chat.completions.create({ model: "deepseek-flash", messages: followUp as any, tools });
    expect(answer.choices[0]!.finish_reason).toBe("stop");
    expect(countSimTokens(answer.choices[0]!.message.content!)).toBe(DEFAULT_CONTENT_TOKENS);

    const withoutReasoning = followUp.map((m) => (m.role === "assistant" ? { ...m, reasoning_content: undefined } : m));
    const err = await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: withoutReasoning as any, tools }), 400);
    expect(err.message).toContain("reasoning_content");
  });
});

describe("streaming chat", () => {
  test("assembles content and reasoning; usage only on the last chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "deepseek-flash",
      messages: user("stream me #tokens=6 #think=4"),
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let reasoning = "";
    const chunks: any[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      const delta = chunk.choices[0]?.delta as any;
      content += delta?.content ?? "";
      reasoning += delta?.reasoning_content ?? "";
    }
    expect(chunks.length).toBe(1 + 4 + 6 + 1);
    expect(countSimTokens(content)).toBe(6);
    expect(countSimTokens(reasoning)).toBe(4);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toHaveLength(1);
    expect(last.choices[0].finish_reason).toBe("stop");
    expect(last.usage.completion_tokens).toBe(10);
    expect(last.usage.completion_tokens_details.reasoning_tokens).toBe(4);
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.choices[0].finish_reason === null)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    // The non-stream reply for the same prompt is the same text.
    const same = await client.chat.completions.create({ model: "deepseek-flash", messages: user("stream me #tokens=6 #think=4") });
    expect(same.choices[0]!.message.content).toBe(content);
  });

  test("streamed tool call deltas assemble into a valid call", async () => {
    const stream = await client.chat.completions.create({
      model: "deepseek-flash",
      messages: user("use the tool please"),
      tools: [{ type: "function", function: { name: "search", parameters: { type: "object", properties: { query: { type: "string" }, limit: { type: "number" } } } } }],
      stream: true,
    });
    let id = "";
    let name = "";
    let args = "";
    let finish: string | null = null;
    let argChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      for (const tc of choice.delta.tool_calls ?? []) {
        expect(tc.index).toBe(0);
        if (tc.id) id = tc.id;
        if (tc.function?.name) name = tc.function.name;
        if (tc.function?.arguments) {
          args += tc.function.arguments;
          argChunks++;
        }
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(id).toStartWith("call_");
    expect(name).toBe("search");
    expect(argChunks).toBeGreaterThan(1);
    expect(Object.keys(JSON.parse(args)).sort()).toEqual(["limit", "query"]);
    expect(finish).toBe("tool_calls");
  });

  test("raw SSE bytes: data lines, blank-line separation, usage absent without include_usage, [DONE] last", async () => {
    const r = await post("/chat/completions", { model: "deepseek-flash", stream: true, thinking: { type: "disabled" }, messages: user("raw #tokens=3") });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toStartWith("text/event-stream");
    const body = await r.text();
    const events = sseEvents(body);
    expect(events.every((e) => e.startsWith("data: ") && !e.includes("\n"))).toBe(true);
    expect(events[events.length - 1]).toBe("data: [DONE]");
    const chunks = dataChunks(body);
    expect(chunks).toHaveLength(5);
    expect(chunks[0]!.choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "deepseek-flash")).toBe(true);
    expect(chunks.slice(0, -1).every((c) => !("usage" in c))).toBe(true);
    expect(chunks.slice(1, -1).every((c) => countSimTokens(c.choices[0].delta.content) === 1)).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0].delta).toEqual({ content: "" });
    expect(last.choices[0].finish_reason).toBe("stop");
    expect(last.usage.completion_tokens).toBe(3);
    expect(last.usage.prompt_tokens).toBe(last.usage.prompt_cache_hit_tokens + last.usage.prompt_cache_miss_tokens);

    const withUsage = await post("/v1/chat/completions", {
      model: "deepseek-flash",
      stream: true,
      stream_options: { include_usage: true },
      messages: user("raw #tokens=3"),
    });
    const chunks2 = dataChunks(await withUsage.text());
    expect(chunks2.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks2[chunks2.length - 1]!.usage.total_tokens).toBeGreaterThan(0);
    // Thinking on: reasoning chunks carry content null.
    expect(chunks2[1]!.choices[0].delta.content).toBeNull();
    expect(typeof chunks2[1]!.choices[0].delta.reasoning_content).toBe("string");
  });

  test("max_tokens in a stream ends with finish_reason length", async () => {
    const r = await post("/chat/completions", { model: "deepseek-flash", stream: true, max_tokens: 4, messages: user("x #think=2 #tokens=9") });
    const chunks = dataChunks(await r.text());
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0].finish_reason).toBe("length");
    expect(last.usage.completion_tokens).toBe(4);
    expect(chunks).toHaveLength(1 + 4 + 1);
  });

  test("tokensPerSecond paces the stream, and an aborted stream stops generating", async () => {
    const paced = createDeepSeekSimulator({ tokensPerSecond: 100 });
    const start = performance.now();
    const r = await paced.fetch(
      new Request("http://sim/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer any-key" },
        body: JSON.stringify({ model: "deepseek-flash", stream: true, thinking: { type: "disabled" }, messages: user("pace #tokens=20") }),
      }),
    );
    const chunks = dataChunks(await r.text());
    expect(chunks).toHaveLength(22);
    expect(performance.now() - start).toBeGreaterThanOrEqual(150);

    const slow = createDeepSeekSimulator({ tokensPerSecond: 20 });
    const ac = new AbortController();
    const r2 = await slow.fetch(
      new Request("http://sim/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer any-key" },
        body: JSON.stringify({ model: "deepseek-flash", stream: true, messages: user("abort #tokens=200") }),
        signal: ac.signal,
      }),
    );
    const reader = r2.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("reasoning_content\":\" ")) text += decoder.decode((await reader.read()).value);
    ac.abort();
    // reading on ends soon after the abort: had generation gone on, this loop would read all 200
    // tokens (10 s at 20 a second), which the chunk count below refuses
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).not.toContain("[DONE]");
    expect(text.split("data: ").length - 1).toBeLessThan(10);
  });
});

describe("errors", () => {
  test("401 for a missing or unknown key, in DeepSeek's shape", async () => {
    const bad = new OpenAI({ baseURL: sim.url, apiKey: "sk-unknown-zzzz9876", maxRetries: 0 });
    const err = await expectApiError(bad.chat.completions.create({ model: "deepseek-flash", messages: user("hi") }), 401);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toContain("****9876");

    const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("hi") }, null);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({
      error: { message: "Authentication Fails, Your api key: **** is invalid", type: "authentication_error", param: null, code: "invalid_request_error" },
    });
    expect((await fetch(`${sim.url}/models`)).status).toBe(401);
  });

  test("402 and an empty balance for a key marked out of balance", async () => {
    await control("balance", { key: KEY, available: false });
    const err = await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("hi") }), 402);
    expect((err.error as any).message).toBe("Insufficient Balance");
    expect((err.error as any).type).toBe("unknown_error");

    const bal = await (await fetch(`${sim.url}/user/balance`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    expect(bal).toEqual({
      is_available: false,
      balance_infos: [{ currency: "USD", total_balance: "0.00", granted_balance: "0.00", topped_up_balance: "0.00" }],
    });
    const other = await (await fetch(`${sim.url}/user/balance`, { headers: { authorization: `Bearer ${KEY_B}` } })).json();
    expect(other.is_available).toBe(true);
    expect(other.balance_infos[0].total_balance).toBe("100.00");

    await control("balance", { key: KEY, available: true });
    const ok = await client.chat.completions.create({ model: "deepseek-flash", messages: user("hi") });
    expect(ok.choices[0]!.finish_reason).toBe("stop");
  });

  test("a balance set through the control API: zero is unavailable (402), a top-up makes it usable", async () => {
    const balanceOf = async () => (await fetch(`${sim.url}/user/balance`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    await control("balance", { key: KEY, total_balance: "0.00" });
    expect(await balanceOf()).toMatchObject({ is_available: false, balance_infos: [{ total_balance: "0.00" }] });
    await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("hi") }), 402);
    await control("balance", { key: KEY, total_balance: "12.5" });
    expect(await balanceOf()).toMatchObject({ is_available: true, balance_infos: [{ total_balance: "12.50", topped_up_balance: "12.50" }] });
    expect((await client.chat.completions.create({ model: "deepseek-flash", messages: user("hi") })).choices[0]!.finish_reason).toBe("stop");
    const bad = await fetch(`${sim.url}/_control/balance`, { method: "POST", body: JSON.stringify({ key: KEY, total_balance: "lots" }) });
    expect(bad.status).toBe(400);
  });

  test("400 for retired and unknown models", async () => {
    for (const model of ["deepseek-chat", "deepseek-reasoner", "gpt-4o"]) {
      const err = await expectApiError(client.chat.completions.create({ model, messages: user("hi") }), 400);
      expect((err.error as any).message).toBe("Model Not Exist");
      expect((err.error as any).type).toBe("invalid_request_error");
    }
  });

  test("400 for malformed JSON and missing messages; 422 for out-of-range parameters", async () => {
    const malformed = await post("/chat/completions", "{not json");
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.type).toBe("invalid_request_error");

    const missing = await post("/chat/completions", { model: "deepseek-flash" });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toContain("messages");

    for (const params of [{ temperature: 2.5 }, { max_tokens: 0 }, { max_tokens: 393217 }, { top_p: 1.5 }]) {
      const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("hi"), ...params });
      expect(r.status).toBe(422);
      const body = await r.json();
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(body.error.message).toContain(Object.keys(params)[0]!);
    }
    const okMax = await post("/chat/completions", { model: "deepseek-flash", messages: user("hi"), max_tokens: 393216, temperature: 2 });
    expect(okMax.status).toBe(200);
  });

  test("/_control/next injects statuses, counts times, and can target one key", async () => {
    await control("next", { status: 503, times: 2 });
    await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("a") }), 503);
    const err = await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("a") }), 503);
    expect((err.error as any).message).toBe("Server Overloaded");
    const ok = await client.chat.completions.create({ model: "deepseek-flash", messages: user("a") });
    expect(ok.choices).toHaveLength(1);

    // Key A fails, key B works; the rule waits for key A.
    await control("next", { status: 500, key: KEY });
    const clientB = new OpenAI({ baseURL: sim.url, apiKey: KEY_B, maxRetries: 0 });
    expect((await clientB.chat.completions.create({ model: "deepseek-flash", messages: user("b") })).choices).toHaveLength(1);
    await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("a") }), 500);
    expect((await client.chat.completions.create({ model: "deepseek-flash", messages: user("a") })).choices).toHaveLength(1);

    for (const status of [400, 401, 402, 422, 429]) {
      await control("next", { status });
      const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("a") });
      expect(r.status).toBe(status);
      const body = await r.json();
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    }
    const bad = await fetch(`${sim.url}/_control/next`, { method: "POST", body: JSON.stringify({ status: 418 }) });
    expect(bad.status).toBe(400);
  });
});

describe("queueing, stalls and cuts", () => {
  test("a queued stream sends : keep-alive comments before the first data chunk", async () => {
    await control("next", { queue_ms: 200 });
    const start = performance.now();
    const r = await post("/chat/completions", { model: "deepseek-flash", stream: true, messages: user("queued #tokens=2") });
    const body = await r.text();
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
    const events = sseEvents(body);
    const firstData = events.findIndex((e) => e.startsWith("data: "));
    expect(firstData).toBeGreaterThanOrEqual(3);
    expect(events.slice(0, firstData).every((e) => e === ": keep-alive")).toBe(true);
    expect(events.slice(firstData).every((e) => e.startsWith("data: "))).toBe(true);
    expect(events[events.length - 1]).toBe("data: [DONE]");
  });

  test("a queued non-stream response sends blank lines, then the JSON (the SDK still parses it)", async () => {
    await control("next", { queue_ms: 200 });
    const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("queued #tokens=2") });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    const text = await r.text();
    const blank = /^\n+/.exec(text)?.[0] ?? "";
    expect(blank.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(text.slice(blank.length)).choices[0].finish_reason).toBe("stop");

    await control("next", { queue_ms: 120 });
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("sdk queued #tokens=4") });
    expect(countSimTokens(res.choices[0]!.message.content!)).toBe(4);
    await control("next", { queue_ms: 120 });
    let content = "";
    for await (const c of await client.chat.completions.create({ model: "deepseek-flash", messages: user("sdk queued #tokens=4"), stream: true })) {
      content += c.choices[0]?.delta.content ?? "";
    }
    expect(content).toBe(res.choices[0]!.message.content!);
  });

  test("stall_ms delays the first byte, of the next request only", async () => {
    await control("next", { stall_ms: 250 });
    const start = performance.now();
    const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("stall") });
    // a lower bound, which load cannot break
    expect(performance.now() - start).toBeGreaterThanOrEqual(240);
    expect(r.status).toBe(200);

    // Only one request takes a stall: with a stall longer than the test may run, a second request
    // answers while the first still waits (ordering, not a clock margin).
    await control("next", { stall_ms: 600_000 });
    const ac = new AbortController();
    let stalledDone = false;
    const stalled = fetch(`${sim.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "deepseek-flash", messages: user("stalled") }),
      signal: ac.signal,
    }).then(
      () => (stalledDone = true),
      () => (stalledDone = true),
    );
    // the simulator logs a request just before it takes its fault: once logged, the stall is its
    let logged = false;
    for (let i = 0; i < 100 && !logged; i++) {
      const log = (await (await fetch(`${sim.url}/_control/requests`)).json()) as { data: { body: { messages?: { content: string }[] } }[] };
      logged = log.data.some((entry) => entry.body?.messages?.[0]?.content === "stalled");
      if (!logged) await Bun.sleep(20);
    }
    expect(logged).toBe(true);
    const next = await post("/chat/completions", { model: "deepseek-flash", messages: user("not stalled") });
    expect(next.status).toBe(200);
    await next.text();
    expect(stalledDone).toBe(false);
    ac.abort();
    await stalled;
  });

  test("cut_after_chunks ends the stream abruptly: K chunks, no finish, no [DONE]", async () => {
    await control("next", { cut_after_chunks: 3 });
    const r = await post("/chat/completions", { model: "deepseek-flash", stream: true, messages: user("cut #tokens=30") });
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let failed = false;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(text).not.toContain("[DONE]");
    expect(text).not.toContain('"finish_reason":"');
    expect(text.split("\n\n").filter((e) => e.startsWith("data: "))).toHaveLength(3);

    // A non-stream request does not consume the cut; the next stream does.
    await control("next", { cut_after_chunks: 1 });
    expect((await post("/chat/completions", { model: "deepseek-flash", messages: user("x") })).status).toBe(200);
    const stream = await client.chat.completions.create({ model: "deepseek-flash", messages: user("x"), stream: true });
    let sdkChunks = 0;
    let sdkFailed = false;
    try {
      for await (const _ of stream) sdkChunks++;
    } catch {
      sdkFailed = true;
    }
    expect(sdkFailed).toBe(true);
    expect(sdkChunks).toBeLessThanOrEqual(1);
  });
});

describe("prefix cache (DeepSeek's request-boundary units)", () => {
  const longConversation = [
    { role: "system" as const, content: "You are a careful assistant. ".repeat(20) },
    { role: "user" as const, content: "Tell me about the history of the harbor and its lanterns, please. ".repeat(5) },
  ];
  const nonThinking = { thinking: { type: "disabled" } };

  async function answerFor(messages: unknown, userId?: string, fields: Record<string, unknown> = nonThinking) {
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: messages as any, ...extra({ ...fields, ...(userId === undefined ? {} : { user_id: userId }) }) });
    return { usage: res.usage as any, content: res.choices[0]!.message.content ?? "" };
  }
  const usageFor = async (messages: unknown, userId?: string, fields?: Record<string, unknown>) => (await answerFor(messages, userId, fields)).usage;

  test("a prompt that repeats an earlier request's whole prompt hits all of it, under the same user_id only", async () => {
    const first = await usageFor(longConversation, "buyer-1");
    expect(first.prompt_cache_hit_tokens).toBe(0);
    expect(first.prompt_cache_miss_tokens).toBe(first.prompt_tokens);

    const second = await usageFor(longConversation, "buyer-1");
    expect(second.prompt_cache_hit_tokens).toBe(first.prompt_tokens);
    expect(second.prompt_cache_miss_tokens).toBe(0);
    expect(second.prompt_tokens_details.cached_tokens).toBe(second.prompt_cache_hit_tokens);

    expect((await usageFor(longConversation, "buyer-2")).prompt_cache_hit_tokens).toBe(0);
    expect((await usageFor(longConversation)).prompt_cache_hit_tokens).toBe(0);
    await control("reset");
    expect((await usageFor(longConversation, "buyer-1")).prompt_cache_hit_tokens).toBe(0);
  });

  test("a continued conversation hits the whole earlier prompt, not a multiple of 64 tokens", async () => {
    const first = await usageFor(longConversation, "buyer-1");
    expect(first.prompt_tokens % 64).not.toBe(0);
    const continued = [...longConversation, { role: "assistant" as const, content: "Sure." }, { role: "user" as const, content: "More!" }];
    const cont = await usageFor(continued, "buyer-1");
    expect(cont.prompt_cache_hit_tokens).toBe(first.prompt_tokens);
    expect(cont.prompt_cache_miss_tokens).toBe(cont.prompt_tokens - first.prompt_tokens);
  });

  test("the next turn, carrying the model's own answer, hits up to the end of that answer", async () => {
    const first = await answerFor(longConversation, "buyer-1");
    const next = [...longConversation, { role: "assistant" as const, content: first.content }, { role: "user" as const, content: "And then?" }];
    const usage = await usageFor(next, "buyer-1");
    // the earlier prompt, the assistant's role marker and every token of its answer
    expect(usage.prompt_cache_hit_tokens).toBe(first.usage.prompt_tokens + 1 + first.usage.completion_tokens);
  });

  test("only a whole unit counts: A+B then A+C shares a prefix but does not hit", async () => {
    const a = { role: "system" as const, content: "A shared system prompt that is fairly long. ".repeat(10) };
    await usageFor([a, { role: "user" as const, content: "Question B" }], "buyer-1");
    const other = await usageFor([a, { role: "user" as const, content: "Question C" }], "buyer-1");
    expect(other.prompt_cache_hit_tokens).toBe(0);
  });

  test("in thinking mode only the input is a unit: the reasoning never comes back in a prompt", async () => {
    const first = await answerFor(longConversation, "buyer-1", {});
    const next = [...longConversation, { role: "assistant" as const, content: first.content }, { role: "user" as const, content: "And then?" }];
    expect((await usageFor(next, "buyer-1", {})).prompt_cache_hit_tokens).toBe(first.usage.prompt_tokens);
  });
});

describe("finish reasons DeepSeek ends an answer with early (injected)", () => {
  for (const reason of INTERRUPT_REASONS) {
    test(`${reason}: half the answer, that finish reason, usage of what was generated (non-stream and stream)`, async () => {
      await control("next", { finish_reason: reason });
      const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("cut short #tokens=20"), ...extra({ thinking: { type: "disabled" } }) });
      expect(res.choices[0]!.finish_reason as string).toBe(reason);
      expect(countSimTokens(res.choices[0]!.message.content!)).toBe(10);
      expect(res.usage!.completion_tokens).toBe(10);

      await control("next", { finish_reason: reason });
      const stream = await post("/chat/completions", { model: "deepseek-flash", stream: true, messages: user("cut short #tokens=20 #think=8") });
      const chunks = dataChunks(await stream.text());
      const last = chunks.at(-1)!;
      expect(last.choices[0].finish_reason).toBe(reason);
      expect(last.usage.completion_tokens).toBe(14);
      expect(last.usage.completion_tokens_details.reasoning_tokens).toBe(8);
    });
  }

  test("an unknown finish reason is refused by the control API", async () => {
    const r = await fetch(`${sim.url}/_control/next`, { method: "POST", body: JSON.stringify({ finish_reason: "tired" }) });
    expect(r.status).toBe(400);
  });
});

describe("logprobs", () => {
  const noThinking = extra({ thinking: { type: "disabled" } });

  test("non-stream: one entry per content token with token, logprob, bytes and top_logprobs", async () => {
    const res = await client.chat.completions.create({ model: "deepseek-flash", messages: user("probabilities #tokens=6"), logprobs: true, top_logprobs: 3, ...noThinking });
    const choice = res.choices[0]!;
    const content = choice.logprobs!.content!;
    expect(content).toHaveLength(6);
    expect(content.map((t) => t.token).join("")).toBe(choice.message.content!);
    for (const t of content) {
      expect(t.bytes).toEqual(Array.from(new TextEncoder().encode(t.token)));
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0]).toEqual({ token: t.token, logprob: t.logprob, bytes: t.bytes });
      const values = t.top_logprobs.map((a) => a.logprob);
      expect([...values].sort((x, y) => y - x)).toEqual(values);
      expect(new Set(t.top_logprobs.map((a) => a.token)).size).toBe(3);
    }
    expect("refusal" in choice.logprobs!).toBe(false);
  });

  test("without top_logprobs each token has an empty list; without logprobs the field is null", async () => {
    const plain = await client.chat.completions.create({ model: "deepseek-flash", messages: user("plain #tokens=3"), logprobs: true, ...noThinking });
    expect(plain.choices[0]!.logprobs!.content!.every((t) => t.top_logprobs.length === 0)).toBe(true);
    const none = await client.chat.completions.create({ model: "deepseek-flash", messages: user("plain #tokens=3"), ...noThinking });
    expect(none.choices[0]!.logprobs).toBeNull();
  });

  test("stream: each content chunk carries the log probability of its token", async () => {
    const res = await post("/chat/completions", { model: "deepseek-flash", stream: true, messages: user("streamed #tokens=4"), logprobs: true, top_logprobs: 2, thinking: { type: "disabled" } });
    const chunks = dataChunks(await res.text());
    const withContent = chunks.filter((c) => c.choices[0].delta.content);
    expect(withContent).toHaveLength(4);
    for (const c of withContent) {
      expect(c.choices[0].logprobs.content).toHaveLength(1);
      expect(c.choices[0].logprobs.content[0].token).toBe(c.choices[0].delta.content);
      expect(c.choices[0].logprobs.content[0].top_logprobs).toHaveLength(2);
    }
  });

  test("thinking mode refuses logprobs and top_logprobs with a 400 (DeepSeek: setting them triggers an error)", async () => {
    for (const fields of [{ logprobs: true }, { top_logprobs: 2 }]) {
      const err = await expectApiError(client.chat.completions.create({ model: "deepseek-flash", messages: user("think"), ...fields } as any), 400);
      expect((err.error as any).message).toBe(THINKING_LOGPROBS);
    }
    // false and null are what many clients send by default: accepted
    const ok = await client.chat.completions.create({ model: "deepseek-flash", messages: user("think"), logprobs: false, top_logprobs: null } as any);
    expect(ok.choices[0]!.logprobs).toBeNull();
  });
});

describe("chat prefix completion (beta)", () => {
  const messages = [
    { role: "user", content: "Write a line #tokens=5" },
    { role: "assistant", content: "Once upon", prefix: true },
  ];

  test("accepted on /beta: the reply continues the prefix", async () => {
    const r = await post("/beta/chat/completions", { model: "deepseek-flash", messages, thinking: { type: "disabled" } });
    expect(r.status).toBe(200);
    const body = await r.json();
    const content: string = body.choices[0].message.content;
    expect(content.startsWith(" ")).toBe(true);
    expect(countSimTokens(content)).toBe(5);
    expect(body.usage.prompt_tokens).toBe(countPromptTokens(messages));
  });

  test("400 on the plain paths, naming the beta endpoint", async () => {
    for (const path of ["/chat/completions", "/v1/chat/completions"]) {
      const r = await post(path, { model: "deepseek-flash", messages });
      expect(r.status).toBe(400);
      const body = await r.json();
      expect(body.error.message).toContain("beta");
      expect(body.error.type).toBe("invalid_request_error");
    }
  });
});

describe("models, balance, recorded requests", () => {
  test("GET /models and /v1/models list the served models", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["deepseek-flash", "deepseek-v4-pro"]);
    const raw = await (await fetch(`${sim.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    expect(raw).toEqual({
      object: "list",
      data: [
        { id: "deepseek-flash", object: "model", owned_by: "deepseek" },
        { id: "deepseek-v4-pro", object: "model", owned_by: "deepseek" },
      ],
    });
  });

  test("GET /user/balance in DeepSeek's shape", async () => {
    const r = await fetch(`${sim.url}/user/balance`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await r.json()).toEqual({
      is_available: true,
      balance_infos: [{ currency: "USD", total_balance: "100.00", granted_balance: "0.00", topped_up_balance: "100.00" }],
    });
  });

  test("/_control/requests records requests with the key masked", async () => {
    await post("/chat/completions", { model: "deepseek-flash", messages: user("recorded"), user_id: "u-1" });
    await post("/chat/completions", "{raw text");
    const { data } = await (await fetch(`${sim.url}/_control/requests`)).json();
    expect(data).toHaveLength(2);
    expect(data[0].path).toBe("/chat/completions");
    expect(data[0].method).toBe("POST");
    expect(data[0].headers.authorization).toBe("Bearer ****1234");
    expect(data[0].body.user_id).toBe("u-1");
    expect(data[1].body).toBe("{raw text");
    expect(Number.isNaN(Date.parse(data[0].received_at))).toBe(false);
    expect(JSON.stringify(data)).not.toContain(KEY);
  });

  test("any non-empty bearer key works when no keys are configured", async () => {
    const open = startDeepSeekSimulator();
    try {
      const r = await post("/chat/completions", { model: "deepseek-flash", messages: user("hi") }, "whatever", open.url);
      expect(r.status).toBe(200);
      const none = await post("/chat/completions", { model: "deepseek-flash", messages: user("hi") }, null, open.url);
      expect(none.status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});

describe("tokenizer", () => {
  test("words, punctuation marks and CJK characters are one token each", () => {
    expect(simTokenize("Hello, world! 你好 don't")).toEqual(["Hello", ",", "world", "!", "你", "好", "don", "'", "t"]);
    expect(countSimTokens("  ")).toBe(0);
    expect(countPromptTokens([{ role: "user", content: "a b" }])).toBe(2 + MESSAGE_OVERHEAD_TOKENS);
  });

  test("invariant: prompt tokens never exceed the UTF-8 bytes of JSON.stringify(messages)", async () => {
    const samples: unknown[][] = [
      [{ role: "user", content: "" }],
      [{ role: "user", content: "a" }],
      [{ role: "user", content: "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" }],
      [{ role: "user", content: "中文字符测试，。！" }],
      [{ role: "user", content: "😀👍🏽🎉 \u0301 é ½ ∑ ∞" }],
      [{ role: "system", content: "a" }, { role: "user", content: "b" }, { role: "assistant", content: "c" }, { role: "user", content: "d" }],
      [{ role: "user", content: [{ type: "text", text: "x,y;z" }, { type: "text", text: "。、" }] }],
      [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: '{"a":1,"b":[2,3]}' } }] },
        { role: "tool", tool_call_id: "c", content: "{}" },
      ],
    ];
    // Random mixes of the densest characters.
    const alphabet = ["a", "!", "中", "😀", " ", ",", "\n", "é", "\"", "\\"];
    let seed = 42;
    for (let i = 0; i < 200; i++) {
      let s = "";
      const len = i % 40;
      for (let j = 0; j < len; j++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        s += alphabet[seed % alphabet.length];
      }
      samples.push([{ role: "user", content: s }]);
    }
    for (const messages of samples) {
      expect(countPromptTokens(messages)).toBeLessThanOrEqual(Buffer.byteLength(JSON.stringify(messages)));
    }
    // The server reports the same count.
    for (const messages of samples.slice(0, 8)) {
      const r = await post("/chat/completions", { model: "deepseek-flash", messages, thinking: { type: "disabled" } });
      expect(r.status).toBe(200);
      const body = await r.json();
      expect(body.usage.prompt_tokens).toBe(countPromptTokens(messages));
      expect(body.usage.prompt_tokens).toBeLessThanOrEqual(Buffer.byteLength(JSON.stringify(messages)));
    }
  });
});
