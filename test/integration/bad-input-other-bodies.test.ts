import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { expectContractError, expectStillServing } from '../helpers/bad-input';
import { startStack, type Stack } from '../helpers/stack';

// The JSON bodies of checkout, orders, key settings, the admin API and PayPal's webhook get the
// same limits as chat bodies: 413 also when chunked without a Content-Length, 400 for broken
// UTF-8 and runaway nesting; the gateway goes on serving.

const LIMIT = 16_384;
const ADMIN_TOKEN = 'tg-admin-bad-input-bodies-0001';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: String(LIMIT), TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN } });
});
afterAll(() => stack.close());
afterEach(() => expectStillServing(stack));

const encoder = new TextEncoder();

/** A JSON document a little over LIMIT bytes, sent in pieces with no Content-Length. */
function chunkedOverLimit(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"order_id":"'));
      for (let i = 0; i < 5; i++) controller.enqueue(encoder.encode('x'.repeat(4096)));
      controller.enqueue(encoder.encode('","email":"a@example.com"}'));
      controller.close();
    },
  });
}

const routes: [string, string, Record<string, string>][] = [
  ['POST', '/api/checkout', {}],
  ['POST', '/api/orders/lookup', {}],
  ['POST', '/api/orders/rotate-key', {}],
  ['POST', '/api/paypal/webhook', {}],
  ['POST', '/admin/api/keys', { authorization: `Bearer ${ADMIN_TOKEN}` }],
  ['PATCH', '/api/key/settings', {}],
];

describe('JSON bodies outside chat', () => {
  it.each(routes)('%s %s answers 413 to a chunked body over the limit', async (method, path, headers) => {
    const auth: Record<string, string> = path === '/api/key/settings' ? { authorization: `Bearer ${await stack.key()}` } : {};
    const res = await fetch(`${stack.gw.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers, ...auth }, body: chunkedOverLimit() });
    await expectContractError(res, 413, 'request_too_large');
  });

  it('answers 400 to an order lookup that is not UTF-8', async () => {
    const body = new Uint8Array([...encoder.encode('{"order_id":"'), 0xff, 0xfe, ...encoder.encode('","email":"a@example.com"}')]);
    const error = await expectContractError(await fetch(`${stack.gw.url}/api/orders/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 400, 'invalid_request_error');
    expect(error.error.message).toContain('UTF-8');
  });

  it('answers 400 to a checkout nested far too deep', async () => {
    const body = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    await expectContractError(await fetch(`${stack.gw.url}/api/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 400, 'invalid_request_error');
  });

  it('still takes a normal admin body after all that', async () => {
    const res = await fetch(`${stack.gw.url}/admin/api/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ plan_id: 'starter' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { key: string }).key).toMatch(/^sk-gateway-/);
  });
});
