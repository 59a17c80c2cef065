import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chat, sseEvents, startStack, UPSTREAM_KEY, user, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

type Line = Record<string, any>;
const requestLines = (): Line[] => stack.gw.logLines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request');

async function until(check: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await Bun.sleep(10);
}

describe('/healthz', () => {
  it('reports the database and the upstreams in rotation', async () => {
    const res = await fetch(`${stack.gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'ok', upstreams: { active: 1, total: 1 } });
  });

  it('stays 200 but says degraded when no upstream is in rotation', async () => {
    const [upstream] = stack.gw.deps.pool.list();
    stack.gw.deps.pool.markFailing(upstream!, 'test');
    try {
      const res = await fetch(`${stack.gw.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'degraded', database: 'ok', upstreams: { active: 0, total: 1 } });
    } finally {
      stack.gw.deps.pool.restore(upstream!.id);
    }
  });
});

describe('the request log', () => {
  it('writes one line per request, with tokens and cost for proxied ones, and never a key', async () => {
    const key = await stack.key();
    await Bun.sleep(50); // lines of the requests before this test are written after their responses
    const before = requestLines().length;

    const plain = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('log me #tokens=4') });
    expect(plain.status).toBe(200);
    const plainId = plain.headers.get('x-request-id');
    await plain.text();

    const streamed = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('stream me #tokens=3'), stream: true });
    const streamId = streamed.headers.get('x-request-id');
    await sseEvents(streamed);

    const denied = await chat(stack, 'sk-gateway-0000000000000000000000000000000000000000', { model: 'deepseek-v4-flash', messages: user('nope') });
    expect(denied.status).toBe(401);
    const missing = await fetch(`${stack.gw.url}/v1/nothing-here`, { headers: { authorization: `Bearer ${key}` } });
    expect(missing.status).toBe(404);
    const unknownModel = await chat(stack, key, { model: 'no-such-model', messages: user('x') });
    expect(unknownModel.status).toBe(404);

    await until(() => requestLines().length >= before + 5);
    await Bun.sleep(50);
    const lines = requestLines().slice(before);
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line.level).toMatch(/^(info|warn)$/);
      expect(line.request_id).toMatch(/^req_/);
      expect(typeof line.route).toBe('string');
      expect(typeof line.status).toBe('number');
      expect(typeof line.duration_ms).toBe('number');
      expect('key_hint' in line).toBe(true);
      expect('model' in line).toBe(true);
    }

    const byId = (id: string | null) => lines.find((l) => l.request_id === id)!;
    const plainLine = byId(plainId);
    expect(plainLine).toMatchObject({ route: '/v1/chat/completions', status: 200, model: 'deepseek-v4-flash', stream: false, basis: 'upstream' });
    // the stored hint without the key prefix (the logger's redact() would mangle `sk-gateway-abcd`)
    expect(`sk-gateway-${plainLine.key_hint}`).toBe((await stack.gw.deps.metering.findKey(key))!.keyHint);
    expect(plainLine.tokens.output).toBeGreaterThanOrEqual(4);
    expect(plainLine.cost_usd).toBe(plain.headers.get('x-tollgate-cost-usd'));
    const streamLine = byId(streamId);
    expect(streamLine).toMatchObject({ status: 200, stream: true, finish_reason: 'stop' });
    expect(streamLine.tokens.cache_miss + streamLine.tokens.cache_hit).toBeGreaterThan(0);
    expect(streamLine.cost_usd).toMatch(/^\d+\.\d{9}$/);

    expect(lines.find((l) => l.status === 401)).toMatchObject({ route: '/v1/chat/completions', error: 'invalid_api_key', key_hint: '0000…0000' });
    expect(lines.find((l) => l.path === '/v1/nothing-here')).toMatchObject({ status: 404, error: 'not_found' });
    expect(lines.find((l) => l.status === 404 && l.error === 'model_not_found')).toMatchObject({ model: 'no-such-model' });

    const all = stack.gw.logLines.join('');
    expect(all).not.toContain(key);
    expect(all).not.toContain(UPSTREAM_KEY);
    expect(all).not.toMatch(/bearer/i);
    expect(all).not.toContain('sk-gateway-0000000000000000000000000000000000000000');
  });
});

describe('/metrics', () => {
  it('exposes requests, latency, tokens, cost, streams, holds, upstream errors and database size', async () => {
    const key = await stack.key();
    await (await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('count me #tokens=2') })).text();
    await stack.control('next', { status: 503, times: 1 });
    // DeepSeek answers 503 once: the only key is retried after its backoff, or the buyer gets a 503.
    await (await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('retry me #tokens=2') })).text();

    const res = await fetch(`${stack.gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toMatch(/^tollgate_http_requests_total\{route="\/v1\/chat\/completions",status="200",model="deepseek-v4-flash"\} \d+$/m);
    expect(text).toMatch(/^tollgate_http_request_duration_seconds_bucket\{route="\/v1\/chat\/completions",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^tollgate_upstream_ttfb_seconds_count\{model="deepseek-v4-flash"\} \d+$/m);
    for (const kind of ['cache_hit', 'cache_miss', 'output', 'reasoning']) expect(text).toMatch(new RegExp(`^tollgate_tokens_total\\{model="deepseek-v4-flash",kind="${kind}"\\} \\d+$`, 'm'));
    expect(text).toMatch(/^tollgate_cost_usd_total\{model="deepseek-v4-flash"\} [\d.e-]+$/m);
    const upstreamId = stack.gw.deps.pool.list()[0]!.id;
    expect(text).toContain(`tollgate_upstream_errors_total{upstream="${upstreamId}",reason="503"} 1`);
    expect(text).toMatch(/^tollgate_open_streams 0$/m);
    expect(text).toMatch(/^tollgate_holds_outstanding 0$/m);
    expect(text).toMatch(/^tollgate_holds_outstanding_usd 0$/m);
    expect(Number(/^tollgate_database_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(4096);
    expect(text).toMatch(/^tollgate_upstreams_active 1$/m);
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(key);
    // every sample line is `name{labels} value` or `name value`
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+|\w+(\{[^}]*\})? \+?Inf)$/);
  });

  it('counts a stream and its hold as open until it ends', async () => {
    const slow = await startStack({ sim: { tokensPerSecond: 50 } });
    try {
      const res = await chat(slow, await slow.key(), { model: 'deepseek-v4-flash', messages: user('slow #tokens=20'), stream: true });
      const reader = res.body!.getReader();
      await reader.read();
      const during = await (await fetch(`${slow.gw.url}/metrics`)).text();
      expect(during).toMatch(/^tollgate_open_streams 1$/m);
      expect(during).toMatch(/^tollgate_holds_outstanding 1$/m);
      expect(Number(/^tollgate_holds_outstanding_usd ([\d.e-]+)$/m.exec(during)?.[1])).toBeGreaterThan(0);
      while (!(await reader.read()).done);
      const open = () => /^tollgate_open_streams (\d+)$/m.exec(slow.gw.deps.metrics.render({ holds: { count: 0, nano: 0 }, databaseBytes: 0, upstreams: { active: 1, total: 1 } }))?.[1];
      await until(() => open() === '0');
      expect(await (await fetch(`${slow.gw.url}/metrics`)).text()).toMatch(/^tollgate_open_streams 0$/m);
    } finally {
      await slow.close();
    }
  });
});
