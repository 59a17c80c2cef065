import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { expectContractError, expectNothingCharged, expectStillServing, postChat, rawBody, rawExchange } from '../helpers/bad-input';
import { startStack, user, type Stack } from '../helpers/stack';

// Chat bodies that are broken, mistyped, too deep, too big or not text: each one is a clear 400
// or 413 in the contract's shape, nothing is charged, and the gateway goes on serving.

const LIMIT = 65_536;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: String(LIMIT) } });
});
afterAll(() => stack.close());
afterEach(() => expectStillServing(stack));

const VALID = { model: 'deepseek-v4-flash', messages: user('hi #tokens=2') };
const encoder = new TextEncoder();
const concat = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...encoder.encode(p)] : p)));

async function expectRefused(body: BodyInit, status: number, code: string, param?: string | null) {
  const key = await stack.key();
  await stack.control('reset', {});
  const error = await expectContractError(await postChat(stack, key, body), status, code);
  if (param !== undefined) expect(error.error.param).toBe(param);
  expect(await stack.upstreamRequests()).toHaveLength(0);
  expectNothingCharged(stack, key);
  return error;
}

describe('chat bodies that are not JSON', () => {
  it.each([
    ['malformed', '{"model": "deepseek-v4-flash", "messages": [}'],
    ['truncated', JSON.stringify(VALID).slice(0, 37)],
    ['empty', ''],
    ['a bare word', 'hello'],
    ['two documents', `${JSON.stringify(VALID)}${JSON.stringify(VALID)}`],
    ['NUL bytes', '\0\0\0\0'],
    ['a raw NUL inside a string', `{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"a\0b"}]}`],
  ])('answers 400 to a %s body', async (_, body) => {
    const error = await expectRefused(body, 400, 'invalid_request_error', null);
    expect(error.error.message).toContain('JSON');
  });

  it('answers 400 to a body that is not UTF-8, naming the encoding', async () => {
    const body = concat('{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"', [0xff, 0xfe, 0xc3, 0x28], '"}]}');
    const error = await expectRefused(body, 400, 'invalid_request_error', null);
    expect(error.error.message).toContain('UTF-8');
  });

  it('answers 400 to an overlong UTF-8 encoding of "/" and a lone surrogate', async () => {
    await expectRefused(concat('{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"', [0xc0, 0xaf], '"}]}'), 400, 'invalid_request_error', null);
    await expectRefused(concat('{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"', [0xed, 0xa0, 0x80], '"}]}'), 400, 'invalid_request_error', null);
  });
});

describe('chat bodies with the wrong types', () => {
  it.each([
    ['messages as a string', { ...VALID, messages: 'hello' }, 'messages'],
    ['messages empty', { ...VALID, messages: [] }, 'messages'],
    ['a message without a role', { ...VALID, messages: [{ content: 'x' }] }, 'messages.0.role'],
    ['model as a number', { ...VALID, model: 42 }, 'model'],
    ['model empty', { ...VALID, model: '' }, 'model'],
    ['max_tokens as a string', { ...VALID, max_tokens: '10' }, 'max_tokens'],
    ['max_tokens negative', { ...VALID, max_tokens: -1 }, 'max_tokens'],
    ['max_tokens zero', { ...VALID, max_tokens: 0 }, 'max_tokens'],
    ['max_tokens fractional', { ...VALID, max_tokens: 1.5 }, 'max_tokens'],
    ['max_tokens 1e12', { ...VALID, max_tokens: 1e12 }, 'max_tokens'],
    ['max_tokens 2^63', { ...VALID, max_tokens: 2 ** 63 }, 'max_tokens'],
    ['max_completion_tokens as a string', { ...VALID, max_completion_tokens: '1e3' }, 'max_completion_tokens'],
    ['stream as "yes"', { ...VALID, stream: 'yes' }, 'stream'],
    ['temperature as a string', { ...VALID, temperature: '1' }, 'temperature'],
    ['stop with 17 sequences', { ...VALID, stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, 'stop'],
  ])('answers 400 to %s, naming the field', async (_, body, param) => {
    const error = await expectRefused(JSON.stringify(body), 400, 'invalid_request_error');
    expect(error.error.param?.startsWith(param)).toBe(true);
  });

  it('answers 400 to max_tokens written as 2^63 in the JSON text itself', async () => {
    await expectRefused('{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"x"}],"max_tokens":9223372036854775808}', 400, 'invalid_request_error', 'max_tokens');
  });

  it.each([['an array', '[]'], ['null', 'null'], ['a number', '42'], ['a string', '"hello"']])('answers 400 to %s instead of an object', async (_, body) => {
    await expectRefused(body, 400, 'invalid_request_error');
  });

  it('answers 400 to a NUL character in message text, naming the message', async () => {
    await expectRefused(JSON.stringify({ ...VALID, messages: user('before\u0000after') }), 400, 'invalid_request_error', 'messages.0.content');
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'fine' }, { type: 'text', text: '\u0000' }] }];
    await expectRefused(JSON.stringify({ ...VALID, messages: parts }), 400, 'invalid_request_error', 'messages.0.content.1.text');
  });

  it('answers 404 model_not_found to an unknown model, even one with a NUL in its name', async () => {
    for (const model of ['gpt-99', 'deepseek-v4-flash\u0000', '../../etc/passwd', 'x'.repeat(5000)]) {
      const error = await expectRefused(JSON.stringify({ ...VALID, model }), 404, 'model_not_found', 'model');
      expect(error.error.message.length).toBeLessThan(6000);
    }
  });
});

describe('chat bodies that are too deep or too big', () => {
  it('answers 400 to JSON nested 100,000 levels deep inside the limit', async () => {
    // 100k levels of [] do not fit 64 KB, so the depth is checked on a gateway with room for them
    const roomy = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: String(1024 * 1024) } });
    try {
      const key = await roomy.key();
      const deep = `{"model":"deepseek-v4-flash","messages":[{"role":"user","content":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
      const started = Date.now();
      const error = await expectContractError(await postChat(roomy, key, deep), 400, 'invalid_request_error');
      expect(error.error.message).toContain('nested');
      // the depth is checked in one linear pass (milliseconds); 10 s only catches a scan gone
      // quadratic or a stack overflow retried, with room for a loaded machine
      expect(Date.now() - started).toBeLessThan(10_000);
      const deepObject = `{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"x","meta":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]}`;
      await expectContractError(await postChat(roomy, key, deepObject), 400, 'invalid_request_error');
      // a modest depth inside a string or in a pass-through field is fine
      const ok = await postChat(roomy, key, JSON.stringify({ ...VALID, messages: user(`${'['.repeat(2000)} #tokens=2`), metadata: JSON.parse('['.repeat(50) + ']'.repeat(50)) }));
      expect(ok.status).toBe(200);
      expect(await roomy.upstreamRequests()).toHaveLength(1);
    } finally {
      await roomy.close();
    }
  });

  it('answers 413 to a body over TOLLGATE_MAX_BODY_BYTES sent with its Content-Length', async () => {
    await expectRefused(JSON.stringify({ ...VALID, messages: user('x'.repeat(LIMIT)) }), 413, 'request_too_large');
  });

  it('answers 413 to a chunked body over the limit that has no Content-Length', async () => {
    const piece = encoder.encode('x'.repeat(8192));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"'));
        for (let i = 0; i < 12; i++) controller.enqueue(piece);
        controller.enqueue(encoder.encode('"}]}'));
        controller.close();
      },
    });
    const key = await stack.key();
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: stream });
    await expectContractError(res, 413, 'request_too_large');
    expectNothingCharged(stack, key);
  });

  it('accepts a chunked body under the limit', async () => {
    const key = await stack.key();
    const text = JSON.stringify(VALID);
    const raw = await rawExchange(
      stack.gw.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `${(10).toString(16)}\r\n${text.slice(0, 10)}\r\n${(text.length - 10).toString(16)}\r\n${text.slice(10)}\r\n0\r\n\r\n`,
    );
    expect(raw.status).toBe(200);
    expect(JSON.parse(rawBody(raw)).object).toBe('chat.completion');
  });

  it('answers 413 in the contract shape to a chunked body far over the limit, sent raw', async () => {
    const key = await stack.key();
    const big = 'a'.repeat(LIMIT * 4);
    const raw = await rawExchange(
      stack.gw.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );
    expect(raw.status).toBe(413);
    expect(JSON.parse(rawBody(raw)).error.code).toBe('request_too_large');
    expectNothingCharged(stack, key);
  });

  it('refuses a Content-Length far past the limit before reading any body', async () => {
    const key = await stack.key();
    const raw = await rawExchange(
      stack.gw.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{"model":`,
    );
    // Bun's own backstop or our 413: either way a 413, and the connection is not left waiting for 100 GB
    expect(raw.status).toBe(413);
    expect(raw.closedAfterMs).not.toBeNull();
    expectNothingCharged(stack, key);
  });
});
