import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { expectContractError, expectNothingCharged, expectStillServing, rawBody, rawExchange } from '../helpers/bad-input';
import { keyRow, startStack, user, type Stack } from '../helpers/stack';

// Odd and hostile Authorization headers: a 401 in the contract's shape (or Bun's 431 for a header
// past its size limit), no upstream call, nothing charged, and the gateway goes on serving.
// Fewer than 20 failures per file: more from one address would trip the per-IP brute-force lock.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
afterEach(() => expectStillServing(stack));

const BODY = JSON.stringify({ model: 'deepseek-v4-flash', messages: user('hi #tokens=2') });

/** Sends the chat request with exactly this Authorization value, byte for byte, over a raw socket. */
async function rawChat(authorization: string | Uint8Array) {
  const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n`;
  const auth = typeof authorization === 'string' ? Buffer.from(`Authorization: ${authorization}\r\n`, 'latin1') : Buffer.concat([Buffer.from('Authorization: '), authorization, Buffer.from('\r\n')]);
  return rawExchange(stack.gw.port, Buffer.concat([Buffer.from(head), auth, Buffer.from(`\r\n${BODY}`)]));
}

describe('odd Authorization headers', () => {
  it.each([
    ['no header at all', null],
    ['a key without "Bearer"', 'KEY'],
    ['"Bearer " and nothing', 'Bearer '],
    ['"Bearer" alone', 'Bearer'],
    ['another scheme', 'Basic Zm9vOmJhcg=='],
    ['a key with the right prefix but the wrong length', 'Bearer sk-gateway-abc'],
    ['a key with the right prefix and length but unknown', 'Bearer sk-gateway-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['the key followed by another word', 'Bearer KEY extra'],
    ['a key of SQL', "Bearer sk-gateway-' OR 1=1 --"],
  ])('answers 401 to %s', async (_, template) => {
    const key = await stack.key();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (template !== null) headers.authorization = template.replace('KEY', key);
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers, body: BODY });
    await expectContractError(res, 401, 'invalid_api_key');
    expectNothingCharged(stack, key);
  });

  it('answers 401 to non-ASCII bytes in the key, sent raw (fetch refuses them)', async () => {
    const exchange = await rawChat(Buffer.concat([Buffer.from('Bearer sk-gateway-'), Buffer.from('ключ密钥🔑', 'utf8')]));
    expect(exchange.status).toBe(401);
    expect(JSON.parse(rawBody(exchange)).error.code).toBe('invalid_api_key');
    const latin1 = await rawChat('Bearer \xe9\xe9\xff');
    expect(latin1.status).toBe(401);
  });

  it('accepts the scheme in any case and more than one space before the key, as HTTP allows', async () => {
    const key = await stack.key();
    for (const authorization of [`bearer ${key}`, `BEARER ${key}`, `Bearer  ${key}`]) {
      const res = await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: BODY });
      expect(res.status).toBe(200);
    }
    expect(keyRow(stack, key).spent_nano).toBeGreaterThan(0);
  });

  it('answers a 64 KB Authorization header with 431 and closes, before any key lookup', async () => {
    const key = await stack.key();
    const exchange = await rawChat(`Bearer ${key}${'A'.repeat(64 * 1024)}`);
    expect(exchange.status).toBe(431);
    expect(exchange.closedAfterMs).not.toBeNull();
    expectNothingCharged(stack, key);
  });

  it('answers 401 to a long key that still fits the header limit (8 KB)', async () => {
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer sk-gateway-${'x'.repeat(8 * 1024)}`, 'content-type': 'application/json' }, body: BODY });
    const error = await expectContractError(res, 401, 'invalid_api_key');
    expect(error.error.message).not.toContain('xxxxxxxx');
  });
});

describe('oversized and odd request heads', () => {
  it('answers 431 and closes for a single 100 KB header', async () => {
    const exchange = await rawExchange(stack.gw.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    expect(exchange.status).toBe(431);
    expect(exchange.closedAfterMs).not.toBeNull();
  });

  it('answers 431 and closes for a thousand small headers', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    const exchange = await rawExchange(stack.gw.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${many}\r\n\r\n`);
    expect(exchange.status).toBe(431);
  });

  it.each([
    ['a request line of garbage', '\x00\x01\x02 HELLO\r\n\r\n'],
    ['a negative Content-Length', 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n'],
    ['two different Content-Lengths', 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello'],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n'],
  ])('answers 400 and closes for %s', async (_, payload) => {
    const exchange = await rawExchange(stack.gw.port, payload);
    expect(exchange.status).toBe(400);
    expect(exchange.closedAfterMs).not.toBeNull();
  });
});
