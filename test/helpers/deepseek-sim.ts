// Talking to the DeepSeek simulator over loopback in the protocol tests: start it, post bodies
// with any headers, inject faults, and read both SSE flavours (data-only and `event:` framed).

import { expect } from 'bun:test';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';

export type Sim = ReturnType<typeof startDeepSeekSimulator>;

export const SIM_KEY = 'sk-sim-key-aaaa1234';
export const SIM_KEY_B = 'sk-sim-key-bbbb5678';

export function startSim(): Sim {
  return startDeepSeekSimulator({ keys: [SIM_KEY, SIM_KEY_B], keepAliveIntervalMs: 40 });
}

export async function postTo(sim: Sim, path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SIM_KEY}` }): Promise<Response> {
  return fetch(sim.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function simControl(sim: Sim, action: string, body: unknown = {}): Promise<void> {
  const r = await fetch(`${sim.url}/_control/${action}`, { method: 'POST', body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}

export async function recorded(sim: Sim): Promise<{ path: string; query: string; headers: Record<string, string>; body: any }[]> {
  return (await (await fetch(`${sim.url}/_control/requests`)).json()).data;
}

export interface NamedEvent {
  event: string;
  data: any;
}

/** An `event:`-framed SSE body (Anthropic, Responses): every frame has an event line and JSON data. */
export function namedEvents(body: string): NamedEvent[] {
  expect(body.endsWith('\n\n')).toBe(true);
  return body
    .slice(0, -2)
    .split('\n\n')
    .filter((frame) => !frame.startsWith(':'))
    .map((frame) => {
      const m = /^event: (\S+)\ndata: (.*)$/s.exec(frame);
      if (!m) throw new Error(`not an event frame: ${frame}`);
      const data = JSON.parse(m[2]!);
      expect(data.type).toBe(m[1]!);
      return { event: m[1]!, data };
    });
}

/** A data-only SSE body (chat, FIM): the JSON chunks, and whether it ended with [DONE]. */
export function dataEvents(body: string): { chunks: any[]; done: boolean } {
  const frames = body.split('\n\n').filter((f) => f !== '' && !f.startsWith(':'));
  const done = frames.at(-1) === 'data: [DONE]';
  const chunks = frames.filter((f) => f !== 'data: [DONE]').map((f) => {
    expect(f.startsWith('data: ')).toBe(true);
    return JSON.parse(f.slice('data: '.length));
  });
  return { chunks, done };
}

/** Reads a body to its end, noting whether the connection broke instead of ending. */
export async function readToEnd(res: Response): Promise<{ text: string; broken: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { text, broken: false };
      text += decoder.decode(value);
    }
  } catch {
    return { text, broken: true };
  }
}
