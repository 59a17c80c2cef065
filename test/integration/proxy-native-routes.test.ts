import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createApp } from '../../server/app';
import { ADAPTERS } from '../../server/modules/proxy/protocols';
import { keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// The relayed routes are answered by their own Bun route handlers (proxy/native-routes.ts), not by
// Elysia's hook chain. Both must answer alike: the same request sent to the running gateway (the
// native handler) and to the app's Elysia pipeline over the same services (app.handle) gets the
// same status, body and CORS headers, and is counted the same way.

const ORIGIN = 'http://127.0.0.1:5173';
const MAX_BODY = 4096;

const bodies: Record<string, Record<string, unknown>> = {
  chat: { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'disabled' } },
  fim: { model: 'deepseek-v4-flash', prompt: 'def add(a, b):', max_tokens: 16 },
  anthropic: { model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] },
  responses: { model: 'deepseek-v4-flash', input: 'hi' },
};
/** one body per protocol that its schema refuses */
const badBodies: Record<string, unknown> = {
  chat: { model: 'deepseek-v4-flash', messages: 'hi' },
  fim: { model: 'deepseek-v4-flash', prompt: 7 },
  anthropic: { model: 'claude-sonnet-4-5', max_tokens: 'many', messages: [{ role: 'user', content: 'hi' }] },
  responses: { model: 42, input: 'hi' },
};

/** the field each of those bodies gets wrong */
const badParams: Record<string, string> = { chat: 'messages', fim: 'prompt', anthropic: 'max_tokens', responses: 'model' };

const paths = ADAPTERS.flatMap((adapter) => adapter.paths.map((path) => ({ path, protocol: adapter.protocol })));

describe('the relayed routes’ own handlers', () => {
  let stack: Stack;
  let app: ReturnType<typeof createApp>;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ env: { TOLLGATE_CORS_ORIGINS: ORIGIN, TOLLGATE_MAX_BODY_BYTES: String(MAX_BODY) } });
    app = createApp(stack.gw.deps);
    key = await stack.key({ budget: '10' });
  });
  afterAll(() => stack.close());

  /** The same request to the native handler (over HTTP) and to Elysia's pipeline (app.handle). */
  async function both(path: string, init: { headers?: Record<string, string>; body?: string }) {
    const request = (base: string) => new Request(`${base}${path}`, { method: 'POST', headers: { origin: ORIGIN, ...init.headers }, body: init.body });
    const native = await fetch(request(stack.gw.url));
    const elysia = await app.handle(request('http://127.0.0.1'));
    return { native, elysia };
  }

  const corsOf = (res: Response) => ({ allow: res.headers.get('access-control-allow-origin'), expose: res.headers.get('access-control-expose-headers'), vary: res.headers.get('vary') });

  async function expectAlike(pair: { native: Response; elysia: Response }, status: number) {
    expect(pair.native.status).toBe(status);
    expect(pair.elysia.status).toBe(status);
    expect(await pair.native.json()).toEqual(await pair.elysia.json());
    expect(corsOf(pair.native)).toEqual(corsOf(pair.elysia));
    expect(corsOf(pair.native).allow).toBe(ORIGIN);
  }

  for (const { path, protocol } of paths) {
    describe(`POST ${path}`, () => {
      it('refuses an unknown key with 401 before looking at the body, as the hooks do', async () => {
        await expectAlike(await both(path, { headers: { authorization: 'Bearer sk-gateway-00000000000000000000000000000000', 'x-api-key': 'sk-gateway-00000000000000000000000000000000', 'content-type': 'application/json' }, body: '{}' }), 401);
      });

      it('refuses a body its schema refuses with a 400 naming the shallowest wrong field, and counts it against the key once per request', async () => {
        const before = (await stack.gw.deps.metering.refusals.totals({ keyId: keyRow(stack, key).id })).total;
        const { native, elysia } = await both(path, { headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(badBodies[protocol]) });
        expect(native.status).toBe(400);
        expect(elysia.status).toBe(400);
        expect(corsOf(native)).toEqual(corsOf(elysia));
        const error = ((await native.json()) as { error: { param?: string; message: string } }).error;
        // Anthropic's error shape has no param: its message names the field
        if (protocol === 'anthropic') expect(error.message).toContain(badParams[protocol] as string);
        else expect(error.param).toBe(badParams[protocol] as string);
        // Elysia's own check first coerces a string into an array and names its items; the native check names the field itself
        if (protocol === 'chat') expect(error.message).toBe('Invalid value for messages: Expected array');
        const after = (await stack.gw.deps.metering.refusals.totals({ keyId: keyRow(stack, key).id })).total;
        expect(after - before).toBe(2);
      });

      it('answers a body that is not JSON, and one over the size limit, alike', async () => {
        await expectAlike(await both(path, { headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"model":' }), 400);
        await expectAlike(await both(path, { headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: 'x'.repeat(MAX_BODY + 1) }), 413);
      });

      it('relays a good request: one ledger row each, the same answer shape and headers', async () => {
        const rowsBefore = ledgerRows(stack).length;
        const { native, elysia } = await both(path, { headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(bodies[protocol]) });
        expect(native.status).toBe(200);
        expect(elysia.status).toBe(200);
        expect(Object.keys((await native.json()) as object).sort()).toEqual(Object.keys((await elysia.json()) as object).sort());
        expect(corsOf(native)).toEqual(corsOf(elysia));
        for (const res of [native, elysia]) {
          expect(res.headers.get('x-request-id')).toStartWith('req_');
          expect(res.headers.get('x-tollgate-cost-usd')).toMatch(/^\d+\.\d+$/);
          expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
        }
        expect(ledgerRows(stack).length - rowsBefore).toBe(2);
      });
    });
  }

  it('logs and counts natively answered requests as the hooks do: one line each, in the route’s metrics', async () => {
    const lines = () => stack.gw.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.route === '/v1/chat/completions');
    const before = lines().length;
    const res = await fetch(`${stack.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-gateway-11111111111111111111111111111111' }, body: '{}' });
    expect(res.status).toBe(401);
    await Bun.sleep(20);
    const line = lines().slice(before);
    expect(line.length).toBe(1);
    expect(line[0]).toMatchObject({ status: 401, error: 'invalid_api_key', path: '/v1/chat/completions' });
    const metrics = await (await fetch(`${stack.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_http_requests_total\{route="\/v1\/chat\/completions",status="401",model=""\} [1-9]/);
  });
});
