import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join, resolve } from 'node:path';
import { PAGE_PATHS } from '../../web/src/routes';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { startStack, type Stack } from '../helpers/stack';
import { ensureWebBuilt } from '../helpers/web-build';

const WEB_SRC = resolve(import.meta.dir, '../../web/src');
const ADMIN_TOKEN = 'tg-admin-headers-test-0123456789';

describe('the pages, served over plain http', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    ensureWebBuilt();
    gw = await startTestGateway({ env: { TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN } });
  }, 120_000);
  afterAll(() => gw.close());

  it('carry a CSP and the usual security headers on every page, and no HSTS', async () => {
    for (const path of [...Object.values(PAGE_PATHS), '/no-such-page', '/admin/keys/abc']) {
      const res = await fetch(`${gw.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('permissions-policy')).toContain('camera=()');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('allow no PayPal origin in any CSP: checkout leaves for PayPal by navigation, no page loads PayPal code', async () => {
    const sources = await Array.fromAsync(new Bun.Glob('**/*.{ts,tsx}').scan(WEB_SRC));
    expect(sources.length).toBeGreaterThan(10);
    const texts = await Promise.all(sources.map((file) => Bun.file(join(WEB_SRC, file)).text()));
    // the premise: no PayPal script or frame anywhere in the UI
    expect(texts.some((text) => /paypal(objects)?\.com/i.test(text))).toBe(false);
    for (const path of Object.values(PAGE_PATHS)) {
      const res = await fetch(`${gw.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('content-security-policy')?.toLowerCase()).not.toContain('paypal');
    }
  });

  it('keep the admin console and its API out of search engines, and nothing else', async () => {
    const tagged = [
      await fetch(`${gw.url}/admin`),
      await fetch(`${gw.url}/admin/orders`),
      await fetch(`${gw.url}/admin/api/overview`),
      await fetch(`${gw.url}/admin/api/overview`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      await fetch(`${gw.url}/admin/api/no-such-thing`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    ];
    expect(tagged.map((res) => res.status)).toEqual([200, 200, 401, 200, 404]);
    for (const res of tagged) expect(res.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    for (const path of ['/', '/pricing', '/api/plans']) expect((await fetch(`${gw.url}${path}`)).headers.get('x-robots-tag')).toBeNull();
  });

  it('serve a robots.txt that keeps crawlers out of /admin and /api', async () => {
    const res = await fetch(`${gw.url}/robots.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const lines = (await res.text()).split('\n');
    expect(lines).toContain('Disallow: /admin');
    expect(lines).toContain('Disallow: /api/');
  });
});

describe('the pages behind an https public URL', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    ensureWebBuilt();
    gw = await startTestGateway({ env: { TOLLGATE_PUBLIC_URL: 'https://gateway.example.com' } });
  }, 120_000);
  afterAll(() => gw.close());

  it('carry Strict-Transport-Security', async () => {
    for (const path of ['/', '/pricing', '/admin']) {
      const res = await fetch(`${gw.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/);
    }
  });
});

describe('streamed answers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('tell nginx not to buffer them (X-Accel-Buffering: no)', async () => {
    const key = await stack.key();
    const post = (stream: boolean) =>
      fetch(`${stack.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi' }], stream }),
      });
    const streamed = await post(true);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.headers.get('x-accel-buffering')).toBe('no');
    expect(streamed.headers.get('cache-control')).toContain('no-cache');
    expect(await streamed.text()).toContain('data: [DONE]');
  });
});
