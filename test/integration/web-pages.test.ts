import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { rawBody, rawExchange } from '../helpers/bad-input';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { DIST_DIR, ensureWebBuilt } from '../helpers/web-build';

let gw: TestGateway;
let indexHtml: string;

beforeAll(async () => {
  ensureWebBuilt();
  indexHtml = await Bun.file(join(DIST_DIR, 'index.html')).text();
  gw = await startTestGateway();
}, 120_000);
afterAll(() => gw.close());

/** The JS files index.html loads before any page chunk: its module script and modulepreloads. */
function initialScripts(html: string): string[] {
  const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1] as string);
  const preloads = [...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map((m) => m[1] as string);
  return [...new Set([...scripts, ...preloads])];
}

/** Sends a request line exactly as written (fetch would clean up the path first). */
async function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  const res = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  return { status: res.status ?? 0, body: rawBody(res) };
}

const PAGES = ['/', '/pricing', '/guide', '/guide/sillytavern', '/guide/claude-code', '/guide/codex', '/guide/editor', '/order', '/order?order_id=ord_x&view=y', '/dashboard', '/admin', '/admin/keys/abc', '/pricing/'];

describe('the web pages', () => {
  for (const path of PAGES) {
    it(`answers ${path} with index.html, not cached, with the security headers`, async () => {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toBe(indexHtml);
    });
  }

  it('answers an unknown page with index.html and status 404, so the app shows its 404 page', async () => {
    for (const path of ['/nothing-here', '/guide/unknown', '/index.html', '/docs-typo']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe(indexHtml);
    }
  });

  it('serves hashed assets as immutable, with the right type, gzipped when asked', async () => {
    const scripts = initialScripts(indexHtml);
    expect(scripts.length).toBeGreaterThan(0);
    const path = scripts[0] as string;
    expect(path).toMatch(/^\/assets\/.+\.js$/);
    const res = await fetch(`${gw.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe(await Bun.file(join(DIST_DIR, path)).text());

    const css = /href="(\/assets\/[^"]+\.css)"/.exec(indexHtml)?.[1];
    expect(css).toBeDefined();
    const cssRes = await fetch(`${gw.url}${css}`);
    expect(cssRes.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(cssRes.headers.get('cache-control')).toContain('immutable');
  });

  it('answers a missing asset with a 404, not with the page', async () => {
    const res = await fetch(`${gw.url}/assets/index-doesnotexist.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('serves the other built files (the icon) with a short cache', async () => {
    const res = await fetch(`${gw.url}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('keeps the first-load JavaScript under 60 KB gzipped', async () => {
    let total = 0;
    for (const path of initialScripts(indexHtml)) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(200);
      total += Bun.gzipSync(new Uint8Array(await res.arrayBuffer())).byteLength;
    }
    expect(total).toBeGreaterThan(5_000); // preact and the app shell are really in there
    expect(total).toBeLessThan(60 * 1024);
  });
});

describe('paths that belong to the API', () => {
  for (const path of ['/api/nothing', '/v1/nothing', '/v1', '/beta/x', '/user/x', '/_internal', '/chat/x']) {
    it(`answers unknown ${path} with the JSON 404, never the page`, async () => {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ error: { message: `Not found: ${path}`, type: 'invalid_request_error', code: 'not_found', param: null } });
    });
  }

  it('guards /admin/api/… before routing: 401 without the token, the JSON 404 with it', async () => {
    const path = '/admin/api/nothing';
    const anonymous = await fetch(`${gw.url}${path}`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('invalid_admin_token');
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${gw.admin.token}` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers other methods on unknown paths with the JSON 404', async () => {
    const res = await fetch(`${gw.url}/pricing`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('leaves the real API routes alone', async () => {
    const res = await fetch(`${gw.url}/api/plans`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
  });
});

describe('path traversal', () => {
  const attempts = [
    '/../package.json',
    '/assets/../../package.json',
    '/assets/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/assets/%2e%2e/%2e%2e/server/main.ts',
    '/..%5c..%5cpackage.json',
    '/assets\\..\\..\\package.json',
    '/assets/%252e%252e/package.json',
    '/favicon.svg%00.js',
  ];
  for (const target of attempts) {
    it(`refuses ${target}`, async () => {
      const res = await rawGet(gw.port, target);
      expect([400, 404]).toContain(res.status);
      expect(res.body).not.toContain('"name": "tollgate"');
      expect(res.body).not.toContain('#!/usr/bin/env bun');
      expect(res.body).not.toContain('<svg');
    });
  }
});
