import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { startStack, type Stack } from '../helpers/stack';

const APP = 'http://127.0.0.1:5173';
const OTHER = 'https://evil.example';
const SDK_HEADERS = 'authorization, content-type, x-stainless-os, x-stainless-lang, x-stainless-retry-count';

const preflight = (url: string, origin: string, method = 'POST') =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': SDK_HEADERS } });

function expectNoCors(res: Response) {
  for (const name of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers']) {
    expect(res.headers.get(name)).toBeNull();
  }
}

describe('CORS with a list of allowed origins', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack({ env: { TOLLGATE_CORS_ORIGINS: `${APP},https://chat.example.com`, TOLLGATE_ADMIN_TOKEN: 'tg-admin-cors-test-0123456789', TOLLGATE_MAX_BODY_BYTES: '4096' } });
    key = await stack.key();
  });
  afterAll(() => stack.close());

  const chat = (origin: string | null, authorization: string, stream = false) =>
    fetch(`${stack.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...(origin ? { origin } : {}), authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi' }], stream }),
    });

  it('answers a preflight from an allowed origin with 204, that origin, the methods, the asked-for headers and a max age', async () => {
    for (const path of ['/v1/chat/completions', '/chat/completions', '/v1/models', '/models', '/models/deepseek-v4-flash', '/user/balance', '/api/usage', '/api/usage/daily', '/api/key/settings']) {
      const res = await preflight(`${stack.gw.url}${path}`, APP);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(res.headers.get('access-control-allow-headers')).toBe(SDK_HEADERS);
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('gives a disallowed origin an answer without CORS headers, so the browser refuses', async () => {
    const res = await preflight(`${stack.gw.url}/v1/chat/completions`, OTHER);
    expect(res.status).toBe(204);
    expectNoCors(res);
    const actual = await chat(OTHER, `Bearer ${key}`);
    expect(actual.status).toBe(200);
    expectNoCors(actual);
    expect(actual.headers.get('vary')).toContain('Origin');
  });

  it('puts the origin, Vary and the exposed headers on answers, streams and errors alike', async () => {
    const plain = await chat(APP, `Bearer ${key}`);
    const streamed = await chat(APP, `Bearer ${key}`, true);
    const refused = await chat(APP, 'Bearer sk-gateway-nope');
    const models = await fetch(`${stack.gw.url}/v1/models`, { headers: { origin: APP, authorization: `Bearer ${key}` } });
    expect([plain.status, streamed.status, refused.status, models.status]).toEqual([200, 200, 401, 200]);
    expect(await streamed.text()).toContain('data: [DONE]');
    for (const res of [plain, streamed, refused, models]) {
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('vary')).toContain('Origin');
      const exposed = res.headers.get('access-control-expose-headers') ?? '';
      for (const name of ['x-request-id', 'retry-after', 'x-ratelimit-remaining-requests', 'x-tollgate-cost-usd', 'x-tollgate-remaining-usd']) expect(exposed).toContain(name);
    }
    expect(plain.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the browser read even a 413 for a body over the size limit', async () => {
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('sends no CORS at all on the admin API, checkout and order look-ups', async () => {
    const token = 'tg-admin-cors-test-0123456789';
    for (const path of ['/admin/api/overview', '/api/checkout', '/api/orders/lookup', '/api/orders/rotate-key']) {
      expectNoCors(await preflight(`${stack.gw.url}${path}`, APP));
    }
    expectNoCors(await fetch(`${stack.gw.url}/admin/api/overview`, { headers: { origin: APP, authorization: `Bearer ${token}` } }));
    expectNoCors(await fetch(`${stack.gw.url}/admin`, { headers: { origin: APP } }));
    const lookup = await fetch(`${stack.gw.url}/api/orders/lookup`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: JSON.stringify({ order_id: 'ord_x', email: 'a@example.com' }) });
    expect(lookup.status).toBe(404);
    expectNoCors(lookup);
  });
});

describe('CORS for any origin (the default)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('answers preflights and answers with Access-Control-Allow-Origin: *', async () => {
    const pre = await preflight(`${gw.url}/v1/chat/completions`, OTHER);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const res = await fetch(`${gw.url}/v1/models`, { headers: { origin: OTHER } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses to echo a malformed Access-Control-Request-Headers list', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { method: 'OPTIONS', headers: { origin: OTHER, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-a, x-b; evil=1' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
  });
});

describe('CORS turned off', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_CORS_ORIGINS: 'none' } });
  });
  afterAll(() => gw.close());

  it('sends no CORS headers anywhere', async () => {
    expectNoCors(await fetch(`${gw.url}/v1/models`, { headers: { origin: APP } }));
    const pre = await preflight(`${gw.url}/v1/chat/completions`, APP);
    expect(pre.status).toBeGreaterThanOrEqual(400);
    expectNoCors(pre);
  });
});
