import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { describeBrowser, launchBrowser, openPage } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

// A chat front-end on another origin calls the gateway from a real browser, as a buyer's web
// app would: the browser itself enforces the CORS answers.

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>client</title></head><body>client</body></html>';

describeBrowser('a browser app on another origin', () => {
  let browser: Browser;
  let stack: Stack;
  let allowed: ReturnType<typeof Bun.serve>;
  let other: ReturnType<typeof Bun.serve>;
  let key: string;

  beforeAll(async () => {
    const serve = () => Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(PAGE, { headers: { 'content-type': 'text/html' } }) });
    allowed = serve();
    other = serve();
    stack = await startStack({ env: { TOLLGATE_CORS_ORIGINS: `http://127.0.0.1:${allowed.port}`, TOLLGATE_ADMIN_TOKEN: 'tg-admin-browser-cors-0123456789' } });
    key = await stack.key();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    allowed?.stop(true);
    other?.stop(true);
  });

  /** Runs the calls inside a page served from `origin`; answers what the page's script could see. */
  async function callFrom(origin: string) {
    const { context, page } = await openPage(browser);
    try {
      await page.goto(origin);
      return await page.evaluate(
        async ({ gateway, key }) => {
          const attempt = async (run: () => Promise<Record<string, unknown>>) => {
            try {
              return await run();
            } catch (error) {
              return { blocked: String(error) };
            }
          };
          const stream = await attempt(async () => {
            const res = await fetch(`${gateway}/v1/chat/completions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-stainless-lang': 'js' },
              body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'hi #tokens=4' }], stream: true }),
            });
            return { status: res.status, requestId: res.headers.get('x-request-id'), remaining: res.headers.get('x-ratelimit-remaining-requests'), body: await res.text() };
          });
          const usage = await attempt(async () => {
            const res = await fetch(`${gateway}/api/usage`, { headers: { authorization: `Bearer ${key}` } });
            return { status: res.status, body: await res.json() };
          });
          const admin = await attempt(async () => {
            const res = await fetch(`${gateway}/admin/api/overview`, { headers: { authorization: 'Bearer tg-admin-browser-cors-0123456789' } });
            return { status: res.status };
          });
          return { stream, usage, admin };
        },
        { gateway: stack.gw.url, key },
      );
    } finally {
      await context.close();
    }
  }

  it('streams a chat from an allowed origin, reads the exposed headers and the usage, but not the admin API', async () => {
    const seen = await callFrom(`http://127.0.0.1:${allowed.port}/`);
    expect(seen.stream.status).toBe(200);
    expect(String(seen.stream.body)).toContain('data: [DONE]');
    expect(String(seen.stream.requestId)).toMatch(/^req_/);
    expect(seen.stream.remaining).not.toBeNull();
    expect(seen.usage.status).toBe(200);
    expect((seen.usage.body as { requests: number }).requests).toBeGreaterThanOrEqual(1);
    expect(String(seen.admin.blocked)).toContain('TypeError');
  }, 30_000);

  it('is refused by the browser from an origin that is not allowed', async () => {
    const seen = await callFrom(`http://127.0.0.1:${other.port}/`);
    expect(String(seen.stream.blocked)).toContain('TypeError');
    expect(String(seen.usage.blocked)).toContain('TypeError');
  }, 30_000);
});
