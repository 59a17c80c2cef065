import { expect } from 'bun:test';
import { bearer, chat, keyRow, ledgerRows, type Stack } from './stack';

// Checks shared by the bad-input suites: the contract's error shape, nothing charged, still serving.

export type ErrorBody = { error: { message: string; type: string; code: string; param: string | null } };

/** The response is `status` with the contract's JSON error of that `code`. */
export async function expectContractError(res: Response, status: number, code: string): Promise<ErrorBody> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
  return body;
}

/** The key spent nothing and has no ledger row. */
export function expectNothingCharged(stack: Stack, key: string): void {
  const row = keyRow(stack, key);
  expect(row.spent_nano).toBe(0);
  expect(ledgerRows(stack, `key_id = '${row.id}'`)).toHaveLength(0);
}

/** A normal request with a fresh key is answered in full. */
export async function expectStillServing(stack: Stack): Promise<void> {
  const key = await stack.key();
  const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'still there? #tokens=2' }] });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
}

/** POSTs raw bytes to the chat endpoint with a valid key. */
export function postChat(stack: Stack, key: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { ...bearer(key), ...headers }, body });
}

export interface RawExchange {
  /** everything the server sent, as latin1 text */
  text: string;
  status: number | null;
  /** ms from connect until the server closed, or null if it was still open at the end */
  closedAfterMs: number | null;
}

/**
 * Writes raw bytes on a fresh TCP connection (for what fetch refuses to send) and collects the
 * answer until the server closes or `waitMs` passes.
 */
export async function rawExchange(port: number, payload: string | Uint8Array, waitMs = 3000): Promise<RawExchange> {
  const started = Date.now();
  let text = '';
  let closedAfterMs: number | null = null;
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => (settle = resolve));
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_socket, chunk) {
        text += Buffer.from(chunk).toString('latin1');
      },
      close() {
        closedAfterMs ??= Date.now() - started;
        settle();
      },
      error() {
        closedAfterMs ??= Date.now() - started;
        settle();
      },
    },
  });
  socket.write(payload);
  const timer = setTimeout(settle, waitMs);
  await finished;
  clearTimeout(timer);
  if (closedAfterMs === null) socket.end();
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  return { text, status: status ? Number(status) : null, closedAfterMs };
}

/** The body of a raw HTTP/1.1 answer (after the blank line). */
export const rawBody = (exchange: RawExchange) => exchange.text.slice(exchange.text.indexOf('\r\n\r\n') + 4);

/**
 * One raw HTTP/1.1 request, Host header spelled exactly as given, answered status and JSON body
 * (null when the body is not JSON). For what fetch will not send. With `host: null` it is an
 * HTTP/1.0 request with no Host at all (Bun itself answers 400 to an HTTP/1.1 one).
 */
export async function rawRequest(
  port: number,
  opts: { method?: string; target: string; host: string | null; headers?: Record<string, string>; body?: string },
): Promise<{ status: number | null; body: any; closed: boolean }> {
  const lines = [`${opts.method ?? 'GET'} ${opts.target} HTTP/${opts.host === null ? '1.0' : '1.1'}`];
  if (opts.host !== null) lines.push(`Host: ${opts.host}`);
  for (const [name, value] of Object.entries(opts.headers ?? {})) lines.push(`${name}: ${value}`);
  if (opts.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(opts.body)}`);
  lines.push('Connection: close', '', opts.body ?? '');
  const exchange = await rawExchange(port, lines.join('\r\n'));
  let body: any = null;
  try {
    body = JSON.parse(rawBody(exchange));
  } catch {
    // not JSON
  }
  return { status: exchange.status, body, closed: exchange.closedAfterMs !== null };
}
