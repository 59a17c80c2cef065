import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { errorResponse, toGatewayError } from '../../server/errors';
import { KEY_AUTH_FAILURE_LIMIT } from '../../server/modules/metering/auth-failures';
import { credentialGuard } from '../../server/plugins/auth';
import { edgeTarget } from '../../server/plugins/edge';
import { rawRequest } from '../helpers/bad-input';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

// With a Host that Bun cannot put in a URL ("x/y", "a?b", "a#b", "u@h", empty, missing…) Bun hands
// over request.url as the bare target, "/admin/api/keys". The old path reader then skipped to the
// second "/", saw "/api/keys" and never asked for the admin token, while Elysia routed the real
// path: every key listed, keys issued, buyers' keys rotated. Such a request is now refused with
// 400 before anything looks at it, and the admin routes check the token on the route they are.

const TOKEN = 'tg-admin-request-target-0123456789';
const WRONG_KEY = `sk-gateway-${'Q'.repeat(40)}`;

const MALFORMED_HOSTS: [string, string | null][] = [
  ['a slash', 'x/y'],
  ['a question mark', 'a?b'],
  ['a hash', 'a#b'],
  ['an at sign', 'u@h'],
  ['an empty Host', ''],
  ['no Host at all (HTTP/1.0)', null],
  ['a space', 'x y'],
  ['a backslash', 'a\\b'],
  ['a comma', 'a,b'],
  ['a port and no host', ':80'],
  ['an unclosed IPv6 bracket', '[::1'],
];

let gw: TestGateway;
let buyer: { key: string; id: string };
const keyCount = () => (gw.deps.database!.sqlite.query('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n;
const requestLines = () => gw.logLines.map((line) => JSON.parse(line) as Record<string, any>).filter((line) => line.msg === 'request');

beforeAll(async () => {
  gw = await startTestGateway({ env: { TOLLGATE_ADMIN_TOKEN: TOKEN } });
  const issued = await gw.deps.metering.createKey({ planId: 'pro', email: 'buyer@example.com' });
  buyer = { key: issued.key, id: issued.row.id };
});
afterAll(() => gw.close());

describe('the admin API through a malformed Host header', () => {
  it.each(MALFORMED_HOSTS)('GET /admin/api/keys with %s is a 400 that lists no key', async (_, host) => {
    const res = await rawRequest(gw.port, { target: '/admin/api/keys', host });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request_error', type: 'invalid_request_error', param: null });
    expect(JSON.stringify(res.body)).not.toContain(buyer.id);
    expect(res.closed).toBe(true);
  });

  it.each(MALFORMED_HOSTS)('POST /admin/api/keys with %s issues no key', async (_, host) => {
    const before = keyCount();
    const res = await rawRequest(gw.port, { method: 'POST', target: '/admin/api/keys', host, headers: { 'content-type': 'application/json' }, body: '{"plan_id":"pro","budget_usd":"1000"}' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('sk-gateway-');
    expect(keyCount()).toBe(before);
  });

  it.each(MALFORMED_HOSTS)("rotating a buyer's key with %s leaves the buyer's key working", async (_, host) => {
    const res = await rawRequest(gw.port, { method: 'POST', target: `/admin/api/keys/${buyer.id}/rotate`, host });
    expect(res.status).toBe(400);
    expect((await gw.deps.metering.identify(`Bearer ${buyer.key}`)).id).toBe(buyer.id);
  });

  it('is refused even with the right token: the target itself is malformed', async () => {
    const res = await rawRequest(gw.port, { target: '/admin/api/keys', host: 'x/y', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
  });

  it('asks for the token behind a short Host, which shifts Elysia’s own idea of the path', async () => {
    const res = await rawRequest(gw.port, { method: 'POST', target: `/admin/api/keys/${buyer.id}/rotate`, host: 'a' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_admin_token');
    expect((await gw.deps.metering.identify(`Bearer ${buyer.key}`)).id).toBe(buyer.id);
    const allowed = await rawRequest(gw.port, { target: '/admin/api/keys', host: 'a', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
  });

  it('asks for the token on an absolute-form target, whatever authority it names', async () => {
    for (const target of ['http://evil/admin/api/keys', 'http://u@evil/admin/api/keys?x=1', 'https://127.0.0.1/admin/api/keys']) {
      const res = await rawRequest(gw.port, { target, host: '127.0.0.1' });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_admin_token');
    }
    const listed = await rawRequest(gw.port, { target: 'http://evil/admin/api/keys', host: '127.0.0.1', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect(listed.body.data.length).toBeGreaterThan(0);
  });

  it('still serves a proper request with a sane Host (name, address, IPv6, port)', async () => {
    for (const host of ['gateway.example.com', 'localhost:8080', '127.0.0.1', '[::1]:8080', 'api.example.com.']) {
      const res = await rawRequest(gw.port, { target: '/api/plans', host });
      expect(res.status).toBe(200);
    }
  });
});

describe('the key-guess lockout through a malformed Host', () => {
  it('cannot be stepped around: the guesses are refused before any key is looked at', async () => {
    const attacker = '203.0.113.99';
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT; i++) {
      const res = await fetch(`${gw.url}/v1/models`, { headers: { 'x-forwarded-for': attacker, authorization: `Bearer ${WRONG_KEY}` } });
      expect(res.status).toBe(401);
    }
    // "/api/usage" read as "/usage" was no key-holder path: the lockout never looked at it
    for (const host of ['x/y', 'a?b', null]) {
      const res = await rawRequest(gw.port, { target: '/api/usage', host, headers: { 'x-forwarded-for': attacker, authorization: `Bearer ${WRONG_KEY}` } });
      expect(res.status).toBe(400);
    }
    const locked = await rawRequest(gw.port, { target: '/api/usage', host: 'a', headers: { 'x-forwarded-for': attacker, authorization: `Bearer ${WRONG_KEY}` } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limit_exceeded');
  });
});

describe('the request log line', () => {
  it('records the path that was asked for, not one that skips its first segment', async () => {
    const before = requestLines().length;
    await rawRequest(gw.port, { target: '/admin/api/keys?q=x', host: 'x/y' });
    await rawRequest(gw.port, { target: '/admin/api/keys/no-such-key', host: 'a', headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 100 && requestLines().length < before + 2; i++) await Bun.sleep(10);
    const [refused, notFound] = requestLines().slice(before);
    expect(refused).toMatchObject({ path: '/admin/api/keys', status: 400, error: 'invalid_request_error' });
    expect(notFound).toMatchObject({ path: '/admin/api/keys/no-such-key', route: '/admin/api/keys/:id', status: 404 });
  });
});

describe('an admin route reached by a path the early check misread', () => {
  it('still asks for the token: the route Elysia chose decides', async () => {
    const guard = credentialGuard(gw.deps, TOKEN);
    const app = new Elysia()
      .use(edgeTarget())
      // a path reader that gets it wrong, as the old one did
      .onRequest((ctx) => {
        (ctx as unknown as { tgPath: string }).tgPath = '/api/keys';
      })
      .use(guard.guard)
      .onError(({ code, error, path }) => errorResponse(toGatewayError(code, error, path), 'en'))
      .get('/admin/api/secret', () => 'secret')
      .post('/admin/api/secret', () => 'secret');
    for (const method of ['GET', 'POST']) {
      const refused = await app.handle(new Request('http://gw.test/admin/api/secret', { method }));
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('secret"');
    }
    const allowed = await app.handle(new Request('http://gw.test/admin/api/secret', { headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(await allowed.text()).toBe('secret');
  });
});
