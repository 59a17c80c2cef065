import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { rawBody, rawExchange } from '../helpers/bad-input';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { DIST_DIR, ensureWebBuilt } from '../helpers/web-build';

// Paths that try to climb out of web/dist, sent byte for byte over a raw socket (fetch and URL
// would clean the dot segments and backslashes away first). None may return a file from outside
// web/dist: the answer is a 404, either the JSON one or the pages' own 404 page.

let gw: TestGateway;
let indexHtml: string;
beforeAll(async () => {
  ensureWebBuilt();
  indexHtml = await Bun.file(join(DIST_DIR, 'index.html')).text();
  gw = await startTestGateway();
}, 120_000);
afterAll(() => gw.close());

/** The pages' index.html (possibly with per-response additions such as a CSP nonce). */
const isIndexPage = (body: string) => body.startsWith('<!doctype html>') && body.includes(/<script[^>]+src="([^"]+)"/.exec(indexHtml)?.[1] ?? 'no script');

const get = (target: string) => rawExchange(gw.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);

/** Text that appears in files outside web/dist that an attacker would want. */
const SECRETS = ['root:x:0:0', '"name": "tollgate"', '#!/usr/bin/env bun', 'SQLite format 3', 'admin-token', 'import { '];

const ATTEMPTS = [
  '/../../etc/passwd',
  '/../../../../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%2E%2E/%2E%2E/etc/passwd',
  '/.%2e/.%2e/etc/passwd',
  '/assets/..%2f..%2fpackage.json',
  '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
  '/%252e%252e/%252e%252e/etc/passwd',
  '/assets/%252e%252e%252f%252e%252e%252fpackage.json',
  '/..\\..\\etc\\passwd',
  '/assets\\..\\..\\package.json',
  '/%5c..%5c..%5cpackage.json',
  '/index.html%00.js',
  '/assets/%00../../package.json',
  '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
  '/%e0%80%ae%e0%80%ae/etc/passwd',
  '/./../package.json',
  '//etc/passwd',
  '/assets/../../server/main.ts',
  '/assets/..;/..;/package.json',
  '/%2fetc%2fpasswd',
  '/favicon.svg/..%2f..%2f..%2fpackage.json',
];

describe('path traversal against the pages', () => {
  for (const target of ATTEMPTS) {
    it(`never leaks a file for ${JSON.stringify(target)}`, async () => {
      const exchange = await get(target);
      const body = rawBody(exchange);
      for (const secret of SECRETS) expect(body).not.toContain(secret);
      expect(exchange.status).toBe(404);
      if (body.startsWith('{')) expect(JSON.parse(body).error.code).toBe('not_found');
      else expect(isIndexPage(body)).toBe(true);
    });
  }

  it('still serves the real pages and assets afterwards', async () => {
    const page = await get('/pricing');
    expect(page.status).toBe(200);
    expect(isIndexPage(rawBody(page))).toBe(true);
    const script = /<script[^>]+src="([^"]+)"/.exec(indexHtml)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${gw.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('answers HEAD and odd methods on the pages without a body or a file', async () => {
    const head = await rawExchange(gw.port, 'HEAD /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(head.status).toBe(404);
    expect(head.text).not.toContain('root:x:0:0');
    const del = await rawExchange(gw.port, 'DELETE /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(del.status).toBe(404);
    expect(JSON.parse(rawBody(del)).error.code).toBe('not_found');
  });
});
