import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type OpenAI from 'openai';
import { fixedClock } from '../../server/lib/clock';
import { REASONING_MEMORY_LIMITS } from '../../server/modules/proxy/reasoning-memory';
import { keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// DeepSeek V4 thinks by default and answers 400 when an assistant turn that made tool calls comes
// back without its reasoning_content; the gateway removes reasoning_content by default. A tool
// loop must still work: the turn keeps its reasoning, and what a client drops is put back.

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Tools = OpenAI.Chat.Completions.ChatCompletionTool[];
type Streamed = { role: 'assistant'; content: string | null; reasoning_content?: string; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] };

const clock = fixedClock(Date.parse('2026-11-21T12:00:00Z'));
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ clock });
});
afterAll(() => stack.close());

const tools: Tools = [
  { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];
const MODEL = 'deepseek-v4-flash';
const reasoningOf = (message: object) => (message as { reasoning_content?: unknown }).reasoning_content;

/** The streamed answer put together the way clients do: content and reasoning appended, tool calls by index. */
async function streamedMessage(client: OpenAI, messages: Message[]): Promise<{ message: Streamed; finish: string | null; reasoningChunks: number }> {
  const stream = await client.chat.completions.create({ model: MODEL, messages, tools, stream: true });
  const message: Streamed = { role: 'assistant', content: null };
  let finish: string | null = null;
  let reasoningChunks = 0;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as typeof choice.delta & { reasoning_content?: string };
    if (delta.content) message.content = (message.content ?? '') + delta.content;
    if (typeof delta.reasoning_content === 'string') {
      reasoningChunks++;
      message.reasoning_content = (message.reasoning_content ?? '') + delta.reasoning_content;
      // the reasoning a tool-call turn keeps comes with its first tool call
      expect(delta.tool_calls?.length).toBeGreaterThan(0);
    }
    for (const call of delta.tool_calls ?? []) {
      message.tool_calls ??= [];
      const slot = (message.tool_calls[call.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.function.name += call.function.name;
      if (call.function?.arguments) slot.function.arguments += call.function.arguments;
    }
    finish = choice.finish_reason ?? finish;
  }
  return { message, finish, reasoningChunks };
}

/** What DeepSeek was sent for the last request: its assistant turns that made tool calls. */
async function lastToolTurnsUpstream() {
  const last = (await stack.upstreamRequests()).at(-1)!;
  return (last.body.messages as Record<string, unknown>[]).filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls));
}

describe('a tool loop on the default model and reasoning filter', () => {
  it('works over three turns with the openai package appending each message as received', async () => {
    const key = await stack.key();
    const client = stack.client(key);
    const messages: Message[] = [{ role: 'user', content: 'What is the weather in Paris? Please call get_weather.' }];

    const first = await client.chat.completions.create({ model: MODEL, messages, tools });
    const turn1 = first.choices[0]!;
    expect(turn1.finish_reason).toBe('tool_calls');
    const reasoning = reasoningOf(turn1.message);
    expect(typeof reasoning).toBe('string');
    expect((reasoning as string).length).toBeGreaterThan(0);
    messages.push(turn1.message);
    messages.push({ role: 'tool', tool_call_id: turn1.message.tool_calls![0]!.id, content: '{"temp": 21}' });

    const second = await client.chat.completions.create({ model: MODEL, messages, tools });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    // a plain turn is still filtered
    expect(reasoningOf(second.choices[0]!.message)).toBeUndefined();
    messages.push(second.choices[0]!.message);
    messages.push({ role: 'user', content: 'And in Rome? Please call get_weather again.' });

    const third = await client.chat.completions.create({ model: MODEL, messages, tools });
    expect(third.choices[0]!.finish_reason).toBe('tool_calls');
    expect(typeof reasoningOf(third.choices[0]!.message)).toBe('string');
    const [sent] = await lastToolTurnsUpstream();
    expect(sent!.reasoning_content).toBe(reasoning);

    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows.map((r) => [r.protocol, r.http_status])).toEqual([['chat', 200], ['chat', 200], ['chat', 200]]);
  });

  it('works over three streamed turns with the accumulated message appended', async () => {
    const client = stack.client(await stack.key());
    const messages: Message[] = [{ role: 'user', content: 'Weather in Oslo? Please call get_weather.' }];

    const turn1 = await streamedMessage(client, messages);
    expect(turn1.finish).toBe('tool_calls');
    expect(turn1.reasoningChunks).toBe(1);
    expect(turn1.message.reasoning_content!.length).toBeGreaterThan(0);
    expect(turn1.message.tool_calls![0]!.id).toStartWith('call_');
    messages.push(turn1.message as Message);
    messages.push({ role: 'tool', tool_call_id: turn1.message.tool_calls![0]!.id, content: '{"temp": 3}' });

    const turn2 = await streamedMessage(client, messages);
    expect(turn2.finish).toBe('stop');
    expect(turn2.reasoningChunks).toBe(0);
    expect(turn2.message.content!.length).toBeGreaterThan(0);
    messages.push(turn2.message as Message);
    messages.push({ role: 'user', content: 'And Bergen? Please call get_weather again.' });

    const turn3 = await streamedMessage(client, messages);
    expect(turn3.finish).toBe('tool_calls');
    expect((await lastToolTurnsUpstream())[0]!.reasoning_content).toBe(turn1.message.reasoning_content);
  });

  it('also with the openai package’s own stream helper and its final message', async () => {
    const client = stack.client(await stack.key());
    const messages: Message[] = [{ role: 'user', content: 'Weather in Lima? Please call get_weather.' }];
    const runner = client.chat.completions.stream({ model: MODEL, messages, tools });
    const message = await runner.finalMessage();
    expect(message.tool_calls?.length).toBe(1);
    expect(typeof reasoningOf(message)).toBe('string');
    messages.push(message);
    messages.push({ role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: '{"temp": 19}' });
    const next = await client.chat.completions.create({ model: MODEL, messages, tools });
    expect(next.choices[0]!.finish_reason).toBe('stop');
  });

  it('puts back the reasoning a client dropped, plain and streamed', async () => {
    const key = await stack.key();
    const client = stack.client(key);
    for (const streamed of [false, true]) {
      const messages: Message[] = [{ role: 'user', content: `Weather in Kyiv${streamed ? ' (streamed)' : ''}? Please call get_weather.` }];
      const turn1 = streamed ? (await streamedMessage(client, messages)).message : ((await client.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.message as Streamed);
      const reasoning = turn1.reasoning_content;
      // a framework that keeps only the fields it knows
      const { reasoning_content: _dropped, ...known } = turn1;
      messages.push(known as Message);
      messages.push({ role: 'tool', tool_call_id: turn1.tool_calls![0]!.id, content: '{"temp": 8}' });
      const next = streamed ? await streamedMessage(client, messages) : { finish: (await client.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.finish_reason };
      expect(next.finish).toBe('stop');
      expect((await lastToolTurnsUpstream())[0]!.reasoning_content).toBe(reasoning);
    }
    expect(ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`).every((r) => r.http_status === 200)).toBe(true);
  });

  it('never uses the record of another key: that one gets DeepSeek’s 400, at no cost', async () => {
    const owner = stack.client(await stack.key());
    const messages: Message[] = [{ role: 'user', content: 'Weather in Quito? Please call get_weather.' }];
    const turn1 = (await owner.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.message;
    const { reasoning_content: _dropped, ...known } = turn1 as typeof turn1 & { reasoning_content?: string };
    messages.push(known);
    messages.push({ role: 'tool', tool_call_id: turn1.tool_calls![0]!.id, content: '{"temp": 14}' });

    const other = await stack.key();
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages, tools }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('reasoning_content');
    expect((await lastToolTurnsUpstream())[0]!.reasoning_content).toBeUndefined();
    expect(keyRow(stack, other).spent_nano).toBe(0);
  });

  it('keeps the record 30 minutes: later, a turn sent back without its reasoning gets DeepSeek’s 400', async () => {
    const client = stack.client(await stack.key());
    const messages: Message[] = [{ role: 'user', content: 'Weather in Cairo? Please call get_weather.' }];
    const turn1 = (await client.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.message;
    const { reasoning_content: _dropped, ...known } = turn1 as typeof turn1 & { reasoning_content?: string };
    messages.push(known);
    messages.push({ role: 'tool', tool_call_id: turn1.tool_calls![0]!.id, content: '{"temp": 30}' });
    clock.advance(REASONING_MEMORY_LIMITS.ttlMs - 60_000);
    expect((await client.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.finish_reason).toBe('stop');
    clock.advance(120_000);
    const late = await client.chat.completions.create({ model: MODEL, messages, tools }).catch((error: unknown) => error);
    expect((late as { status?: number }).status).toBe(400);
  });

  it('does not add reasoning to a request that does not think', async () => {
    const client = stack.client(await stack.key());
    const messages: Message[] = [{ role: 'user', content: 'Weather in Lagos? Please call get_weather.' }];
    const turn1 = (await client.chat.completions.create({ model: MODEL, messages, tools })).choices[0]!.message;
    const { reasoning_content: _dropped, ...known } = turn1 as typeof turn1 & { reasoning_content?: string };
    messages.push(known);
    messages.push({ role: 'tool', tool_call_id: turn1.tool_calls![0]!.id, content: '{"temp": 33}' });
    // deepseek-chat is the non-thinking alias
    const answer = await client.chat.completions.create({ model: 'deepseek-chat', messages, tools });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect((await lastToolTurnsUpstream())[0]!.reasoning_content).toBeUndefined();
  });
});
