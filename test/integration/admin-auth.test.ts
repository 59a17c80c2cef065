import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { LOCKED_OUT_DELAY_MS } from '../../server/plugins/auth';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

const TOKEN = 'tg-admin-test-token-0123456789';

describe('the admin token', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => gw.close());

  const overview = (headers: Record<string, string> = {}) => fetch(`${gw.url}/admin/api/overview`, { headers });

  it('answers 401 invalid_admin_token without a token, in the OpenAI error shape', async () => {
    const res = await overview();
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; type: string; message: string; param: null } };
    expect(body.error).toMatchObject({ code: 'invalid_admin_token', type: 'authentication_error', param: null });
    expect(body.error.message.length).toBeGreaterThan(0);
  });

  it('answers 401 for a wrong token, and 401 before looking at a bad body', async () => {
    expect((await overview({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    const res = await fetch(`${gw.url}/admin/api/keys`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{not json' });
    expect(res.status).toBe(401);
  });

  it('lets the right token in', async () => {
    const res = await overview({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { current_period: string }).current_period).toMatch(/^(peak|off_peak)$/);
  });

  it('locks the address out after 10 failures in 10 minutes: wrong tokens get 429, the right one is slowed, not refused', async () => {
    // three failures so far (the tests above); seven more reach the limit
    for (let i = 0; i < 7; i++) expect((await overview({ authorization: `Bearer wrong-${i}` })).status).toBe(401);
    const locked = await overview({ authorization: 'Bearer wrong-again' });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect((await overview()).status).toBe(429);
    const started = performance.now();
    const right = await overview({ authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(LOCKED_OUT_DELAY_MS - 5);
    // the buyer API is not affected
    expect((await fetch(`${gw.url}/api/plans`)).status).toBe(200);
  });
});

describe('a generated admin token', () => {
  it('is the one printed at start and stored in the data dir', async () => {
    const gw = await startTestGateway();
    try {
      expect(gw.admin.token).toMatch(/^tg-admin-/);
      expect((await fetch(`${gw.url}/admin/api/settings`, { headers: { authorization: `Bearer ${gw.admin.token}` } })).status).toBe(200);
      expect((await fetch(`${gw.url}/admin/api/settings`)).status).toBe(401);
    } finally {
      await gw.close();
    }
  });
});
