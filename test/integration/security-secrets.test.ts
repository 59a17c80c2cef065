import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDemo } from '../../server/demo';
import { PAYPAL_CLIENT_SECRET, startCheckoutStack, type CheckoutStack } from '../helpers/checkout';
import { startTestGateway, tempDir } from '../helpers/gateway';
import { runCli } from '../helpers/process';
import { UPSTREAM_KEY } from '../helpers/stack';

const mode = (path: string) => statSync(path).mode & 0o777;
const FULL_KEY = /sk-gateway-[A-Za-z0-9]{40}/;

describe('the secret files', () => {
  it('are created 0600 in a 0700 data dir by a first start', async () => {
    const parent = tempDir();
    const dataDir = join(parent, 'data');
    const gw = await startTestGateway({ dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'server-secret'))).toBe(0o600);
      expect(mode(join(dataDir, 'admin-token'))).toBe(0o600);
      for (const name of ['tollgate.sqlite', 'tollgate.sqlite-wal', 'tollgate.sqlite-shm']) expect(mode(join(dataDir, name))).toBe(0o600);
    } finally {
      await gw.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('are 0600 after `tollgate keys create` makes the data dir', () => {
    const parent = tempDir();
    const dataDir = join(parent, 'data');
    try {
      const result = runCli(['keys', 'create', '--plan', 'trial', '--data-dir', dataDir], {});
      expect(result.code).toBe(0);
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'server-secret'))).toBe(0o600);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('include the demo key, 0600, after the demo starts', async () => {
    const parent = tempDir();
    const dataDir = join(parent, 'data-demo');
    const demo = await startDemo({ dataDir, quiet: true });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const name of ['server-secret', 'admin-token', 'demo-key']) expect(mode(join(dataDir, name))).toBe(0o600);
    } finally {
      await demo.stop();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('the server secret of a database that already holds sealed keys', () => {
  /** A data dir with one issued key in its database, as a restore leaves it, and its secret. */
  function dataDirWithAKey(): { parent: string; dataDir: string; secret: string } {
    const parent = tempDir();
    const dataDir = join(parent, 'data');
    const created = runCli(['keys', 'create', '--plan', 'trial', '--data-dir', dataDir], {});
    expect(created.code).toBe(0);
    return { parent, dataDir, secret: readFileSync(join(dataDir, 'server-secret'), 'utf8') };
  }

  it('is not made anew when it is missing: the start stops with one line and status 2', () => {
    const { parent, dataDir } = dataDirWithAKey();
    try {
      rmSync(join(dataDir, 'server-secret'));
      const result = runCli(['keys', 'list', '--data-dir', dataDir], {});
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `tollgate: ${join(dataDir, 'server-secret')}: missing, but the database holds keys sealed with a server secret: put the original server-secret there (kept apart from the backups) before starting`,
      ]);
      expect(existsSync(join(dataDir, 'server-secret'))).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('is asked for by a restore into a data dir that has none', () => {
    const { parent, dataDir } = dataDirWithAKey();
    const restored = join(parent, 'restored');
    try {
      const backup = join(parent, 'backup.sqlite');
      expect(runCli(['backup', backup, '--data-dir', dataDir], {}).code).toBe(0);
      const result = runCli(['restore', backup, '--data-dir', restored], {});
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`before the first start, put the original server-secret in ${restored}`);
      expect(existsSync(join(restored, 'server-secret'))).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('is refused when it cannot open them, and the gateway does not start', async () => {
    const { parent, dataDir, secret } = dataDirWithAKey();
    try {
      const other = randomBytes(32).toString('base64');
      writeFileSync(join(dataDir, 'server-secret'), `${other}\n`);
      const result = runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { TOLLGATE_LOG_LEVEL: 'warn' });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `tollgate: ${join(dataDir, 'server-secret')}: cannot open the keys sealed in this database: it is not the secret they were sealed with; put the original server-secret back before starting`,
      ]);
      // nothing was rewritten or generated on the way out
      expect(readFileSync(join(dataDir, 'server-secret'), 'utf8')).toBe(`${other}\n`);
      expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);

      // the original secret back: the same data dir serves again
      writeFileSync(join(dataDir, 'server-secret'), secret);
      const gw = await startTestGateway({ dataDir });
      try {
        expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
      } finally {
        await gw.close();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('a day of traffic', () => {
  let stack: CheckoutStack;
  const secrets = new Set<string>([UPSTREAM_KEY, PAYPAL_CLIENT_SECRET]);
  const errorBodies: string[] = [];
  const ADMIN_TOKEN = 'tg-admin-secrets-test-0123456789abcdef';

  beforeAll(async () => {
    stack = await startCheckoutStack({ deepseek: true, env: { TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN } });
    secrets.add(ADMIN_TOKEN);
  });
  afterAll(() => stack.close());

  /** Every answer goes through here: error bodies are kept for the check. */
  async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; text: string }> {
    const headers = new Headers(init.headers);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    const res = await fetch(`${stack.url}${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
    const text = await res.text();
    if (res.status >= 400 || text.includes('"error"')) errorBodies.push(`${res.status} ${path} ${text}`);
    return { status: res.status, text };
  }
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}, token = ADMIN_TOKEN) =>
    call(`/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const chat = (key: string, extra: Record<string, unknown> = {}) =>
    call('/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}` }, json: { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hello #tokens=5' }], ...extra } });

  it('runs keys, chats, failures, wrong credentials, admin work, checkout, look-ups and rotation', async () => {
    // the operator issues a key and adds an upstream key
    const created = await admin('/keys', { method: 'POST', json: { plan_id: 'pro', budget_usd: '5' } });
    expect(created.status).toBe(200);
    const key = JSON.parse(created.text).key as string;
    const keyId = JSON.parse(created.text).data.id as string;
    secrets.add(key);
    const extraUpstream = 'sk-upstream-added-by-admin-0123456789';
    secrets.add(extraUpstream);
    expect((await admin('/upstreams', { method: 'POST', json: { key: extraUpstream, label: 'second' } })).status).toBeLessThan(300);
    expect((await admin('/overview', {}, `${ADMIN_TOKEN}x`)).status).toBe(401);
    expect((await admin('/overview', {}, 'Bearer-looking tg-admin-guess')).status).toBe(401);

    // chats that work, stream and not, and one the upstream fails
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key, { stream: true })).text).toContain('[DONE]');
    await fetch(`${stack.deepseek!.url}/_control/next`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 503, times: 8 }) });
    expect((await chat(key)).status).toBeGreaterThanOrEqual(500);
    await fetch(`${stack.deepseek!.url}/_control/reset`, { method: 'POST' });
    expect((await chat(key, { model: 'no-such-model' })).status).toBe(404);

    // wrong keys of every shape: none may come back in an answer
    const wrongKeys = [`sk-gateway-${'Q'.repeat(40)}`, `${key.slice(0, -1)}X`, key.slice(0, 30), `${key}${key}`, `sk-gateway-${'Z'.repeat(39)}!`];
    for (const wrong of wrongKeys) {
      secrets.add(wrong);
      expect((await chat(wrong)).status).toBe(401);
      expect((await call('/api/usage', { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    }
    expect((await call('/v1/models', { headers: { authorization: key } })).status).toBe(401);
    expect((await call('/v1/models', { headers: { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` } })).status).toBe(401);
    expect((await call('/api/usage', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    // a buyer checks out through PayPal, looks the order up, rotates the key
    const order = await stack.checkout('starter', 'buyer@example.com');
    secrets.add(order.view_token);
    await stack.pay(order);
    await stack.quiesce();
    expect((await call(`/api/orders/${order.order_id}?view=${order.view_token}`)).status).toBe(200);
    // one character off (a token that already ends in x gets a y)
    expect((await call(`/api/orders/${order.order_id}?view=${order.view_token.slice(0, -1)}${order.view_token.endsWith('x') ? 'y' : 'x'}`)).status).toBe(404);
    const looked = await call('/api/orders/lookup', { method: 'POST', json: { order_id: order.order_id, email: 'buyer@example.com' } });
    const boughtKey = JSON.parse(looked.text).key as string;
    expect(boughtKey).toMatch(FULL_KEY);
    secrets.add(boughtKey);
    const rotated = await call('/api/orders/rotate-key', { method: 'POST', json: { order_id: order.order_id, email: 'buyer@example.com' } });
    const newKey = JSON.parse(rotated.text).key as string;
    secrets.add(newKey);
    expect((await chat(boughtKey)).status).toBe(401);
    expect((await chat(newKey)).status).toBe(200);
    expect((await call('/api/orders/lookup', { method: 'POST', json: { order_id: order.order_id, email: 'other@example.com' } })).status).toBe(404);

    // the operator rotates and disables keys
    const rotatedByAdmin = await admin(`/keys/${keyId}/rotate`, { method: 'POST' });
    secrets.add(JSON.parse(rotatedByAdmin.text).key as string);
    expect((await admin(`/keys/${keyId}`, { method: 'PATCH', json: { status: 'disabled' } })).status).toBe(200);
    expect((await chat(JSON.parse(rotatedByAdmin.text).key as string)).status).toBe(401);
    await stack.quiesce();
    expect(stack.logLines.length).toBeGreaterThan(30);
    expect(errorBodies.length).toBeGreaterThan(15);
  });

  it('leaves no key, token or secret in any log line', () => {
    for (const line of stack.logLines) {
      expect(line).not.toMatch(FULL_KEY);
      expect(line).not.toMatch(/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/i);
      expect(line).not.toMatch(/A21AA[A-Za-z0-9]{20,}/);
      for (const secret of secrets) if (line.includes(secret)) throw new Error(`a log line holds a secret (${secret.slice(0, 12)}…): ${line.slice(0, 200)}`);
    }
  });

  it('echoes no submitted key or token in any error message', () => {
    for (const body of errorBodies) {
      expect(body).not.toMatch(FULL_KEY);
      for (const secret of secrets) if (body.includes(secret)) throw new Error(`an error answer holds a secret (${secret.slice(0, 12)}…): ${body.slice(0, 200)}`);
    }
  });
});
