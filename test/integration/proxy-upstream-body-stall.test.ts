import type { TCPSocketListener } from 'bun';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// A non-stream answer with a Content-Length is read in one go by the runtime (issue 14); the upstream
// idle time-out must still end one whose body stops halfway: a 504 in the error shape, the request
// billed once (estimated), the gateway still serving.

let stack: Stack;
let stalling: TCPSocketListener<{ answered: boolean }>;

beforeAll(async () => {
  // answers every request with a head that promises 500 bytes, sends 30 and goes quiet
  stalling = Bun.listen<{ answered: boolean }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(socket) {
        socket.data = { answered: false };
      },
      data(socket) {
        if (socket.data.answered) return;
        socket.data.answered = true;
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":"stalled","object":"chat');
      },
    },
  });
  stack = await startStack({ env: { DEEPSEEK_BASE_URL: `http://127.0.0.1:${stalling.port}`, TOLLGATE_UPSTREAM_IDLE_TIMEOUT_MS: '300' } });
});

afterAll(async () => {
  await stack.close();
  stalling.stop(true);
});

describe('a non-stream answer whose body stalls after its head', () => {
  it('ends as an upstream time-out in the error shape, billed once', async () => {
    const key = await stack.key();
    const res = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('hi #tokens=2') });
    expect(res.status).toBe(504);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('upstream_timeout');
    expect(body.error.type).toBe('api_error');
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.basis).toBe('estimated');
    expect(rows[0]!.http_status).toBe(504);
    // the gateway's own routes still answer
    expect((await fetch(`${stack.gw.url}/healthz`)).status).toBe(200);
  }, 15_000);
});
