import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { KEY_AUTH_FAILURE_LIMIT } from '../../server/modules/metering/auth-failures';
import { LOCKED_OUT_DELAY_MS } from '../../server/plugins/auth';
import { auditRows } from '../helpers/admin';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { startStack, type Stack } from '../helpers/stack';

type ErrorBody = { error: { code: string; type: string; message: string } };

const WRONG_KEY = `sk-gateway-${'W'.repeat(40)}`;

describe('wrong API keys from one address', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack();
    key = await stack.key();
  });
  afterAll(() => stack.close());

  // the test client is on 127.0.0.1, a trusted proxy by default: X-Forwarded-For names the caller
  const models = (from: string, authorization?: string) =>
    fetch(`${stack.gw.url}/v1/models`, { headers: { 'x-forwarded-for': from, ...(authorization ? { authorization } : {}) } });
  const chat = (from: string, authorization: string) =>
    fetch(`${stack.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-forwarded-for': from, authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it(`are answered 401 up to ${KEY_AUTH_FAILURE_LIMIT} times, then 429 with Retry-After; a valid key is slowed, never refused`, async () => {
    const attacker = '203.0.113.7';
    const guess = (i: number) => `Bearer sk-gateway-${String(i).padStart(40, 'G')}`;
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT; i++) {
      const res = i % 2 === 0 ? await models(attacker, guess(i)) : await chat(attacker, guess(i));
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    }
    for (const res of [await models(attacker, `Bearer ${WRONG_KEY}`), await chat(attacker, guess(99))]) {
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(500);
      expect(retryAfter).toBeLessThanOrEqual(600);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
      expect(body.error.message).not.toContain(WRONG_KEY);
    }
    // the buyer behind the same address (a NAT, a shared proxy) still gets through, a little later
    for (const call of [() => models(attacker, `Bearer ${key}`), () => chat(attacker, `Bearer ${key}`)]) {
      const started = performance.now();
      const res = await call();
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(LOCKED_OUT_DELAY_MS - 5);
    }
    // the usage API is a key-holder path too
    expect((await fetch(`${stack.gw.url}/api/usage`, { headers: { 'x-forwarded-for': attacker, authorization: `Bearer ${WRONG_KEY}` } })).status).toBe(429);
    const usage = await fetch(`${stack.gw.url}/api/usage`, { headers: { 'x-forwarded-for': attacker, authorization: `Bearer ${key}` } });
    expect(usage.status).toBe(200);
    expect(((await usage.json()) as { requests: number }).requests).toBe(1);
  });

  it('does not count missing or garbled Authorization headers, which are broken clients and not guesses', async () => {
    const developer = '203.0.113.40';
    const garbled = [undefined, 'Bearer', 'Basic abc', 'Bearer sk-gateway-short', `Bearer ${'x'.repeat(600)}`, 'bearer  ', `Token ${key}`];
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT * 3; i++) {
      const res = await models(developer, garbled[i % garbled.length]);
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    }
    expect((await models(developer, `Bearer ${key}`)).status).toBe(200);
  });

  it('leaves other addresses alone, and the pages and public API of the locked one', async () => {
    expect((await models('203.0.113.8', `Bearer ${key}`)).status).toBe(200);
    expect((await chat('203.0.113.8', `Bearer ${key}`)).status).toBe(200);
    expect((await fetch(`${stack.gw.url}/api/plans`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(200);
  });

  it("does not let one address's successes wipe out another's failures", async () => {
    const slow = '203.0.113.20';
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT - 1; i++) expect((await models(slow, `Bearer ${WRONG_KEY}`)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await models('203.0.113.21', `Bearer ${key}`)).status).toBe(200);
    expect((await models(slow, `Bearer ${WRONG_KEY}`)).status).toBe(401);
    expect((await models(slow, `Bearer ${WRONG_KEY}`)).status).toBe(429);
  });

  it('counts a whole IPv6 /64 as one address', async () => {
    const network = '2001:db8:77:1';
    for (let i = 1; i <= KEY_AUTH_FAILURE_LIMIT; i++) expect((await models(`${network}::${i.toString(16)}`, `Bearer ${WRONG_KEY}`)).status).toBe(401);
    expect((await models(`${network}:ffff:ffff:ffff:ffff`, `Bearer ${WRONG_KEY}`)).status).toBe(429);
    expect((await models('2001:db8:77:2::1', `Bearer ${WRONG_KEY}`)).status).toBe(401);
    expect((await models(`${network}::beef`, `Bearer ${key}`)).status).toBe(200);
  });

  it('counts only 401s: a valid key over its budget or rate is not a failure', async () => {
    const broke = await stack.key({ budget: '0' });
    const from = '203.0.113.30';
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT + 5; i++) expect((await chat(from, `Bearer ${broke}`)).status).toBe(402);
    expect((await models(from, `Bearer ${key}`)).status).toBe(200);
  });
});

describe('the address behind an untrusted peer', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_TRUSTED_PROXIES: 'none', TOLLGATE_ADMIN_TOKEN: 'tg-admin-brute-force-test-0001' } });
  });
  afterAll(() => gw.close());

  it('is the socket peer: a client cannot dodge the limit by inventing X-Forwarded-For', async () => {
    for (let i = 0; i < KEY_AUTH_FAILURE_LIMIT; i++) {
      const res = await fetch(`${gw.url}/v1/models`, { headers: { 'x-forwarded-for': `198.51.100.${i}`, authorization: `Bearer ${WRONG_KEY}` } });
      expect(res.status).toBe(401);
    }
    const res = await fetch(`${gw.url}/v1/models`, { headers: { 'x-forwarded-for': '198.51.100.250', authorization: `Bearer ${WRONG_KEY}` } });
    expect(res.status).toBe(429);
  });

  it('is the same for the admin token limiter', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${gw.url}/admin/api/overview`, { headers: { 'x-forwarded-for': `198.51.100.${i}`, authorization: 'Bearer wrong' } })).status).toBe(401);
    }
    expect((await fetch(`${gw.url}/admin/api/overview`, { headers: { 'x-forwarded-for': '198.51.100.250', authorization: 'Bearer wrong' } })).status).toBe(429);
    // the operator behind the same peer: slowed, not refused
    expect((await fetch(`${gw.url}/admin/api/overview`, { headers: { authorization: 'Bearer tg-admin-brute-force-test-0001' } })).status).toBe(200);
  });
});

describe('a forwarded hop that is not an IP address', () => {
  let gw: TestGateway;
  const TOKEN = 'tg-admin-brute-force-test-0003';
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => gw.close());

  it('is never stored as the audit IP: the proxy that passed it on is', async () => {
    for (const forwarded of ['<script>alert(1)</script>', '203.0.113.5, <img src=x>', "' OR 1=1 --"]) {
      const res = await fetch(`${gw.url}/admin/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-forwarded-for': forwarded },
        body: JSON.stringify({ plan_id: 'trial' }),
      });
      expect(res.status).toBe(200);
    }
    const ips = auditRows(gw.deps.database!.sqlite, 'key.create').map((row) => row.ip);
    expect(ips).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('is never a lockout address of its own: guesses behind it count against the proxy', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${gw.url}/admin/api/overview`, { headers: { authorization: 'Bearer wrong', 'x-forwarded-for': `<script>${i}</script>` } });
      expect(res.status).toBe(401);
    }
    expect((await fetch(`${gw.url}/admin/api/overview`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(429);
  });
});

describe('the admin token limiter behind a trusted proxy', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_ADMIN_TOKEN: 'tg-admin-brute-force-test-0002' } });
  });
  afterAll(() => gw.close());

  it('locks out the forwarded address, not the proxy', async () => {
    const overview = (from: string, token: string) => fetch(`${gw.url}/admin/api/overview`, { headers: { 'x-forwarded-for': from, authorization: `Bearer ${token}` } });
    for (let i = 0; i < 10; i++) expect((await overview('192.0.2.1', 'wrong')).status).toBe(401);
    expect((await overview('192.0.2.1', 'wrong')).status).toBe(429);
    expect((await overview('192.0.2.2', 'wrong')).status).toBe(401);
    expect((await overview('192.0.2.1', 'tg-admin-brute-force-test-0002')).status).toBe(200);
  });
});
