import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { startDemo } from '../../server/demo';
import { expectContractError, expectNothingCharged, expectStillServing, rawBody, rawExchange } from '../helpers/bad-input';
import { tempDir } from '../helpers/gateway';
import { startStack, type Stack } from '../helpers/stack';

// The transport edge. Bun's own body limit used to answer a large Content-Length before the
// gateway saw it: a bare 413 with no body, which an OpenAI SDK cannot read. Bun's limit now sits
// far above the gateway's, so the gateway answers, in the contract's shape, whatever the length;
// chunked bodies are counted by the readers, whatever their content type. And the key is checked
// before the body: a client testing its key with a minimal body is told about the key.

const LIMIT = 16_384;
const ADMIN_TOKEN = 'tg-admin-edge-test-0123456789';
const UNKNOWN_KEY = `sk-gateway-${'U'.repeat(40)}`;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: String(LIMIT), TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN } });
});
afterAll(() => stack.close());

const head = (method: string, path: string, headers: Record<string, string>) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

describe('a Content-Length over the limit', () => {
  it.each([
    ['30 MB', String(30 * 1024 * 1024)],
    ['100 GB', '99999999999'],
    ['2^53 - 1 bytes', '9007199254740991'],
    ['one byte over', String(LIMIT + 1)],
  ])('of %s gets the contract’s 413 with a JSON body, before any of the body is sent, and the connection closes', async (_, length) => {
    const key = await stack.key();
    const exchange = await rawExchange(
      stack.gw.port,
      head('POST', '/v1/chat/completions', { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': length }) + '{"model":',
    );
    expect(exchange.status).toBe(413);
    expect(exchange.text.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(rawBody(exchange)).error).toMatchObject({ code: 'request_too_large', type: 'invalid_request_error' });
    expect(exchange.closedAfterMs).not.toBeNull();
    expectNothingCharged(stack, key);
  });

  it.each([
    ['POST', '/api/checkout'],
    ['POST', '/api/orders/lookup'],
    ['POST', '/api/paypal/webhook'],
    ['POST', '/admin/api/keys'],
    ['PATCH', '/api/key/settings'],
  ])('gets the same 413 on %s %s', async (method, path) => {
    const exchange = await rawExchange(stack.gw.port, head(method, path, { 'content-type': 'application/json', 'content-length': String(30 * 1024 * 1024) }));
    expect(exchange.status).toBe(413);
    expect(JSON.parse(rawBody(exchange)).error.code).toBe('request_too_large');
  });
});

describe('a chunked body over the limit', () => {
  const chunked = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'])('of type %s gets the 413 too: no body reaches an unbounded parser', async (type) => {
    const exchange = await rawExchange(
      stack.gw.port,
      head('POST', '/api/checkout', { 'content-type': type, 'transfer-encoding': 'chunked', connection: 'close' }) + chunked('x'.repeat(LIMIT * 3)),
    );
    expect(exchange.status).toBe(413);
    expect(JSON.parse(rawBody(exchange)).error.code).toBe('request_too_large');
  });

  it('reads a JSON body under the limit whatever its content type says, as curl -d sends it', async () => {
    const res = await fetch(`${stack.gw.url}/api/orders/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ order_id: 'ord_nothing', email: 'nobody@example.com' }),
    });
    await expectContractError(res, 404, 'order_not_found');
  });

  it('keeps serving', () => expectStillServing(stack));
});

describe('the key, checked before the body', () => {
  const post = (path: string, authorization: string | null, body: string, method = 'POST') =>
    fetch(`${stack.gw.url}${path}`, { method, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });

  it.each([
    ['an empty object', '{}'],
    ['a body that is not JSON', '{"model": '],
    ['a body of the wrong shape', '{"model": 5, "messages": "hi"}'],
    ['an empty body', ''],
  ])('is a 401 for an unknown key with %s, on every chat path', async (_, body) => {
    for (const path of ['/v1/chat/completions', '/chat/completions']) {
      await expectContractError(await post(path, `Bearer ${UNKNOWN_KEY}`, body), 401, 'invalid_api_key');
      await expectContractError(await post(path, null, body), 401, 'invalid_api_key');
      await expectContractError(await post(path, 'Bearer not-a-key', body), 401, 'invalid_api_key');
    }
  });

  it('is a 401 on the key holder’s own API whatever the body or query', async () => {
    await expectContractError(await post('/api/key/settings', `Bearer ${UNKNOWN_KEY}`, '{"show_reasoning": "maybe"}', 'PATCH'), 401, 'invalid_api_key');
    await expectContractError(await fetch(`${stack.gw.url}/api/usage/daily?days=lots`, { headers: { authorization: `Bearer ${UNKNOWN_KEY}` } }), 401, 'invalid_api_key');
    await expectContractError(await fetch(`${stack.gw.url}/v1/models/anything`, { headers: { authorization: `Bearer ${UNKNOWN_KEY}` } }), 401, 'invalid_api_key');
  });

  it('is a 401 for a disabled key with a broken body', async () => {
    const key = await stack.key();
    await stack.gw.deps.metering.updateKey((await stack.gw.deps.metering.findKey(key))!.id, { status: 'disabled' });
    await expectContractError(await post('/v1/chat/completions', `Bearer ${key}`, '{}'), 401, 'invalid_api_key');
  });

  it('lets a valid key on to the body check: then the body is the problem', async () => {
    const key = await stack.key();
    await expectContractError(await post('/v1/chat/completions', `Bearer ${key}`, '{}'), 400, 'invalid_request_error');
    await expectContractError(await post('/v1/chat/completions', `Bearer ${key}`, '{"model": '), 400, 'invalid_request_error');
    expectNothingCharged(stack, key);
  });

  it('is the admin token on the admin API, whatever the body', async () => {
    await expectContractError(await post('/admin/api/keys', null, '{}'), 401, 'invalid_admin_token');
    await expectContractError(await post('/admin/api/keys', 'Bearer wrong', '{"plan_id": 5'), 401, 'invalid_admin_token');
    await expectContractError(await post('/admin/api/keys', `Bearer ${ADMIN_TOKEN}`, '{}'), 400, 'invalid_request_error');
  });
});

describe('a body for the demo’s mounted PayPal simulator', () => {
  it('is read with the same limit: 413 past it, chunked or not', async () => {
    const parent = tempDir();
    const demo = await startDemo({ dataDir: `${parent}/data-demo`, quiet: true, env: { TOLLGATE_MAX_BODY_BYTES: String(LIMIT) } });
    try {
      const port = Number(new URL(demo.url).port);
      const exchange = await rawExchange(
        port,
        head('POST', '/paypal-sandbox/v1/oauth2/token', { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked', connection: 'close' }) +
          `${(LIMIT * 2).toString(16)}\r\n${'a'.repeat(LIMIT * 2)}\r\n0\r\n\r\n`,
      );
      expect(exchange.status).toBe(413);
      expect(JSON.parse(rawBody(exchange)).error.code).toBe('request_too_large');
      // a normal body still reaches it
      const token = await fetch(`${demo.url}/paypal-sandbox/v1/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa('demo-client:demo-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(token.status).toBe(200);
    } finally {
      await demo.stop();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
