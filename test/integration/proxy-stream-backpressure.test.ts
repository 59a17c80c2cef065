import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { ledgerRows, startStack, type Stack } from '../helpers/stack';

// A client that stops reading a long stream: the gateway's writes meet the socket's backpressure
// and wait (no answer is buffered whole), and once the client reads again the stream goes on to
// its end, every token delivered and billed once. The stream is far longer than the loopback
// socket buffers can hold, so while the client does not read it cannot have ended, whatever the
// machine's speed.

const TOKENS = 150_000;

describe('a stream to a client that stops reading', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack();
    key = await stack.key({ budget: '50' });
  });
  afterAll(() => stack.close());

  it('waits for the client, then delivers every token and settles once', async () => {
    const body = JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: `a long one #tokens=${TOKENS}` }], thinking: { type: 'disabled' }, stream: true, stream_options: { include_usage: true } });
    const { port } = new URL(stack.gw.url);
    const socket: Socket = connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);

    // the first bytes arrive, then the client stops reading
    while (chunks.length === 0) await Bun.sleep(5);
    socket.pause();
    const rowsWhilePaused: number[] = [];
    for (let i = 0; i < 10; i++) {
      await Bun.sleep(50);
      rowsWhilePaused.push(ledgerRows(stack).length);
    }
    expect(rowsWhilePaused.every((n) => n === 0)).toBe(true);
    expect(stack.gw.deps.proxy.openStreams).toBe(1);

    socket.resume();
    await closed;
    const text = Buffer.concat(chunks).toString('utf8');
    const events = text.slice(text.indexOf('\r\n\r\n') + 4);
    // chunked transfer framing aside, every content event and the end came through
    expect(events).toContain('data: [DONE]');
    const usage = /"usage":\{"prompt_tokens":\d+,"completion_tokens":(\d+)/.exec(events);
    expect(Number(usage?.[1])).toBe(TOKENS);
    const rows = ledgerRows(stack);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ output_tokens: TOKENS, basis: 'upstream', http_status: 200 });
    expect(stack.gw.deps.proxy.openStreams).toBe(0);
  }, 60_000);
});
