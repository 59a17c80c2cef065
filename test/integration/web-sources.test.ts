import { describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { Elysia } from 'elysia';
import type { Deps } from '../../server/deps';
import { errorResponse, toGatewayError } from '../../server/errors';
import { diskSource, embeddedSource, webPlugin, type WebSource } from '../../server/plugins/web';
import { tempDir } from '../helpers/gateway';

/** The web plugin alone behind the gateway's error mapper, on a source of our choosing. */
function appWith(source: WebSource) {
  return new Elysia()
    .onError({ as: 'global' }, ({ code, error, path }) => errorResponse(toGatewayError(code, error, path), 'en'))
    .use(webPlugin({ config: { publicUrl: 'http://localhost' } } as Deps, source));
}

const get = (app: ReturnType<typeof appWith>, path: string) => app.handle(new Request(`http://local${path}`));

describe('the pages in the compiled binary (embedded files)', () => {
  const index = '<!doctype html><title>embedded</title>';
  const js = 'console.log("embedded asset")';
  const source = embeddedSource([
    new File([index], 'dist/index.html', { type: 'text/html' }),
    new File([js], 'dist/assets/index-abc123.js'),
    new File(['SELECT 1;'], 'drizzle/0000_init.sql'),
  ]);

  it('serves index.html for the page routes from the embedded blobs', async () => {
    const res = await get(appWith(source), '/dashboard');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(index);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('maps names after dist/ to URLs, with the immutable cache header', async () => {
    const res = await get(appWith(source), '/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe(js);
  });

  it('does not serve embedded files from outside dist/', async () => {
    const res = await get(appWith(source), '/drizzle/0000_init.sql');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(index);
  });
});

describe('a checkout without a build', () => {
  it('answers page routes with a 503 that says how to build, and keeps API paths JSON', async () => {
    const empty = tempDir('tollgate-nodist-');
    try {
      const app = appWith(diskSource(empty));
      const page = await get(app, '/pricing');
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('bun run build:web');
      const api = await get(app, '/api/unknown');
      expect(api.status).toBe(404);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
