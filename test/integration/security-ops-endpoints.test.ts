import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expectContractError } from '../helpers/bad-input';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway';
import { spawnGateway } from '../helpers/process';

// /metrics shows spend per model, outstanding holds and upstream ids with their error reasons;
// /healthz the upstream rotation. On 0.0.0.0 by default they were anyone's. The test client is
// on 127.0.0.1, a trusted proxy by default: X-Forwarded-For names a caller from outside.

const OUTSIDER = { 'x-forwarded-for': '203.0.113.50' };
const METRICS_TOKEN = 'metrics-token-0123456789';

describe('without TOLLGATE_METRICS_TOKEN', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_TRUSTED_PROXIES: '127.0.0.1,::1,198.51.100.10' } });
  });
  afterAll(() => gw.close());

  it('serves /metrics to this machine', async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('tollgate_holds_outstanding');
  });

  it('serves /metrics to a trusted proxy asking for itself', async () => {
    expect((await fetch(`${gw.url}/metrics`, { headers: { 'x-forwarded-for': '198.51.100.10' } })).status).toBe(200);
  });

  it('refuses /metrics with 403 to a caller from outside, through the reverse proxy or not', async () => {
    const body = await expectContractError(await fetch(`${gw.url}/metrics`, { headers: OUTSIDER }), 403, 'metrics_forbidden');
    expect(body.error.message).toContain('TOLLGATE_METRICS_TOKEN');
    expect(body.error.message).not.toContain('tollgate_');
    await expectContractError(await fetch(`${gw.url}/metrics`, { headers: { 'x-forwarded-for': '198.51.100.10, 203.0.113.50' } }), 403, 'metrics_forbidden');
  });

  it('shows a caller from outside only the status of /healthz', async () => {
    const res = await fetch(`${gw.url}/healthz`, { headers: OUTSIDER });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'degraded' });
  });

  it('shows this machine and the trusted proxies the full /healthz', async () => {
    for (const headers of [{}, { 'x-forwarded-for': '198.51.100.10' }] as Record<string, string>[]) {
      expect(await (await fetch(`${gw.url}/healthz`, { headers })).json()).toEqual({ status: 'degraded', database: 'ok', upstreams: { active: 0, total: 0 } });
    }
  });
});

describe('with TOLLGATE_METRICS_TOKEN', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { TOLLGATE_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(() => gw.close());

  it('answers /metrics 401 without the token, from this machine too', async () => {
    await expectContractError(await fetch(`${gw.url}/metrics`), 401, 'invalid_metrics_token');
    await expectContractError(await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } }), 401, 'invalid_metrics_token');
    await expectContractError(await fetch(`${gw.url}/metrics`, { headers: { ...OUTSIDER, authorization: 'Basic abc' } }), 401, 'invalid_metrics_token');
  });

  it('serves /metrics to the token, from anywhere', async () => {
    for (const headers of [{}, OUTSIDER] as Record<string, string>[]) {
      const res = await fetch(`${gw.url}/metrics`, { headers: { ...headers, authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('tollgate_http_requests_total');
    }
  });

  it('shows the full /healthz to the token, and only the status to others from outside', async () => {
    expect(Object.keys(await (await fetch(`${gw.url}/healthz`, { headers: { ...OUTSIDER, authorization: `Bearer ${METRICS_TOKEN}` } })).json()).sort()).toEqual(['database', 'status', 'upstreams']);
    expect(await (await fetch(`${gw.url}/healthz`, { headers: OUTSIDER })).json()).toEqual({ status: 'degraded' });
  });
});

describe('the admin token generated at first start', () => {
  it('is written to the data dir, and the start line says where it is, never what it is', async () => {
    const dataDir = join(tempDir(), 'data');
    const { proc } = await spawnGateway(['--data-dir', dataDir], { TOLLGATE_LOG_LEVEL: 'info' });
    let stdout: string;
    try {
      expect(existsSync(join(dataDir, 'admin-token'))).toBe(true);
    } finally {
      proc.kill();
      stdout = await new Response(proc.stdout).text();
      await proc.exited;
    }
    const tokenFile = join(dataDir, 'admin-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
    expect(token).toMatch(/^tg-admin-[A-Za-z0-9]{32}$/);
    expect(stdout).toContain(tokenFile);
    expect(stdout).not.toContain(token);
    expect(stdout).not.toMatch(/tg-admin-[A-Za-z0-9]{8,}/);
  }, 30_000);
});
