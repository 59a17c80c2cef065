import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startCheckoutStack } from '../helpers/checkout';

// SQL-looking text in every text field of the public endpoints and the admin search: the answers
// are ordinary 2xx/4xx in the contract's shape, the tables are all still there with the same rows,
// and the database passes its integrity check. (Every query is parameterised; this proves it.)

const SQL = ["'; DROP TABLE api_keys; --", '" OR 1=1 --', "' OR '1'='1", "1; DELETE FROM ledger WHERE '1'='1", "x') UNION SELECT key_hash FROM api_keys --", '%_%', '\\'];

type J = Record<string, any>;
let stack: Awaited<ReturnType<typeof startCheckoutStack>>;
let key = '';
let tablesBefore: string[] = [];
let countsBefore: Record<string, number> = {};

const tableNames = () => stack.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => r.name as string);
const counts = () => Object.fromEntries(['api_keys', 'orders', 'ledger', 'plans'].map((t) => [t, stack.rows(`SELECT count(*) AS n FROM ${t}`)[0]?.n as number]));

async function call(method: string, path: string, init: { body?: unknown; bearer?: string } = {}): Promise<{ status: number; body: J }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json()) as J;
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return { status: res.status, body };
}

beforeAll(async () => {
  stack = await startCheckoutStack({ deepseek: true });
  key = (await stack.gw.deps.metering.createKey({ planId: 'pro', rpmOverride: 0, concurrencyOverride: 0, email: 'buyer@example.com' })).key;
  await stack.checkout('starter', 'buyer@example.com');
  tablesBefore = tableNames();
  countsBefore = counts();
});
afterAll(() => stack.close());

describe('SQL-looking text in every text field', () => {
  it('is only text in chat content and model names', async () => {
    for (const text of SQL) {
      const ok = await call('POST', '/v1/chat/completions', { bearer: key, body: { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: `${text} #tokens=2` }] } });
      expect(ok.status).toBe(200);
      const unknown = await call('POST', '/v1/chat/completions', { bearer: key, body: { model: text, messages: [{ role: 'user', content: 'x' }] } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('model_not_found');
    }
    countsBefore.ledger = (countsBefore.ledger ?? 0) + SQL.length;
  });

  it('is refused as a checkout email or plan id', async () => {
    for (const text of SQL) {
      const badEmail = await call('POST', '/api/checkout', { body: { plan_id: 'starter', email: text } });
      expect(badEmail.status).toBe(400);
      const badPlan = await call('POST', '/api/checkout', { body: { plan_id: text, email: 'buyer@example.com' } });
      expect([400, 404]).toContain(badPlan.status);
    }
  });

  it('finds no order for an order id or email of SQL', async () => {
    // few lookups: the order lookup is rate-limited per address
    for (const text of SQL.slice(0, 3)) {
      const lookup = await call('POST', '/api/orders/lookup', { body: { order_id: text, email: text } });
      expect([400, 404]).toContain(lookup.status);
    }
    const rotate = await call('POST', '/api/orders/rotate-key', { body: { order_id: SQL[0], email: `x${SQL[2]}@example.com` } });
    expect([400, 404]).toContain(rotate.status);
  });

  it('matches nothing in the admin searches (LIKE wildcards alone count as an empty search)', async () => {
    const token = stack.gw.admin.token;
    const everything = {
      keys: (await call('GET', '/admin/api/keys', { bearer: token })).body.data,
      orders: (await call('GET', '/admin/api/orders', { bearer: token })).body.data,
    };
    expect(everything.keys.length).toBeGreaterThan(0);
    expect(everything.orders.length).toBeGreaterThan(0);
    for (const text of SQL) {
      const q = encodeURIComponent(text);
      // %, _ and \ are searched for as text (escaped, never LIKE's wildcards); a text of only those means no filter
      const onlyWildcards = text.replace(/[%_\\]/g, '') === '';
      const keys = await call('GET', `/admin/api/keys?q=${q}`, { bearer: token });
      expect(keys.status).toBe(200);
      expect(keys.body.data).toEqual(onlyWildcards ? everything.keys : []);
      const orders = await call('GET', `/admin/api/orders?q=${q}`, { bearer: token });
      expect(orders.status).toBe(200);
      expect(orders.body.data).toEqual(onlyWildcards ? everything.orders : []);
      for (const path of [`/admin/api/keys?status=${q}&plan_id=${q}`, `/admin/api/orders?status=${q}`, `/admin/api/ledger?key_id=${q}&model=${q}&status=${q}&from=${q}&to=${q}`, `/admin/api/overview?days=${q}`]) {
        const res = await call('GET', path, { bearer: token });
        if (res.status === 200) expect({ path, data: res.body.data ?? [] }).toEqual({ path, data: [] });
        else expect(res.status).toBe(400);
      }
    }
  });

  it('is refused, not run, in the usage query parameters', async () => {
    for (const text of SQL) {
      const q = encodeURIComponent(text);
      for (const path of [`/api/usage/daily?days=${q}`, `/api/usage/requests?limit=${q}`]) {
        const res = await call('GET', path, { bearer: key });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('invalid_request_error');
      }
    }
    const settings = await call('PATCH', '/api/key/settings', { bearer: key, body: { show_reasoning: SQL[1] } });
    expect(settings.status).toBe(400);
  });

  it('leaves every table in place with its rows, and the database intact', async () => {
    expect(tableNames()).toEqual(tablesBefore);
    expect(counts()).toEqual(countsBefore);
    expect(stack.rows('PRAGMA integrity_check')[0]?.integrity_check).toBe('ok');
    const usage = await call('GET', '/api/usage', { bearer: key });
    expect(usage.status).toBe(200);
    expect(usage.body.requests).toBe(SQL.length);
  });
});
