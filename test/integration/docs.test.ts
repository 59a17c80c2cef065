import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createApp } from '../../server/app';
import { startStack, type Stack } from '../helpers/stack';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TAGS = ['OpenAI-compatible', 'Buyer', 'Checkout', 'Admin', 'Operations'];

let stack: Stack;
let app: ReturnType<typeof createApp>;
let doc: Json;

beforeAll(async () => {
  stack = await startStack();
  // A second app on the same deps, with the demo's PayPal mount, to walk its routes.
  app = createApp(stack.gw.deps, [{ prefix: '/paypal-sandbox', fetch: async () => new Response('sandbox') }]);
  const res = await app.handle(new Request('http://localhost/docs/json'));
  expect(res.status).toBe(200);
  doc = (await res.json()) as Json;
});
afterAll(() => stack.close());

function operations(): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((method) => ({ path, method, op: (item as Json)[method] as Json })),
  );
}

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<any>((node, key) => (node === undefined ? undefined : node[key]), doc);
}

function* walk(node: unknown, at = '#'): Generator<[string, Json]> {
  if (!node || typeof node !== 'object') return;
  yield [at, node as Json];
  for (const [key, value] of Object.entries(node)) yield* walk(value, `${at}/${key}`);
}

const deref = (node: Json): Json => (node?.$ref ? (resolve(node.$ref) as Json) : node);

describe('the OpenAPI document at /docs/json', () => {
  it('is an OpenAPI 3 document with info, paths and both security schemes', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const path of Object.keys(doc.paths)) expect(path.startsWith('/')).toBe(true);
    expect(doc.components.securitySchemes.buyerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('resolves every $ref', () => {
    const refs = [...walk(doc)].filter(([, node]) => typeof node.$ref === 'string');
    expect(refs.length).toBeGreaterThan(0);
    for (const [at, node] of refs) expect({ at, ref: node.$ref, found: resolve(node.$ref) !== undefined }).toEqual({ at, ref: node.$ref, found: true });
  });

  it('gives every operation a summary, declared tags, known security schemes and responses', () => {
    const declared = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const tag of TAGS) expect(declared.has(tag)).toBe(true);
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, summary: typeof op.summary === 'string' && op.summary.length > 0 }).toEqual({ where, summary: true });
      expect({ where, tags: op.tags.length > 0 && op.tags.every((t: string) => declared.has(t)) }).toEqual({ where, tags: true });
      for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
      const responses = Object.entries(op.responses ?? {});
      expect({ where, responses: responses.length > 0 }).toEqual({ where, responses: true });
      for (const [status, response] of responses) {
        expect(status).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(typeof deref(response as Json).description).toBe('string');
      }
      // path templates and path parameters agree
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declaredParams = (op.parameters ?? []).map(deref).filter((p: Json) => p.in === 'path').map((p: Json) => p.name).sort();
      expect({ where, params: declaredParams }).toEqual({ where, params: templated });
    }
  });

  it('has request and response schemas with examples for every JSON body', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const bodies: Json[] = [];
      if (op.requestBody) bodies.push(deref(op.requestBody).content ?? {});
      for (const [status, response] of Object.entries(op.responses as Json)) if (status.startsWith('2')) bodies.push(deref(response as Json).content ?? {});
      for (const content of bodies) {
        for (const [type, media] of Object.entries(content) as [string, Json][]) {
          if (!type.includes('json')) continue;
          expect({ where, type, schema: media.schema !== undefined, example: media.example !== undefined || media.examples !== undefined }).toEqual({ where, type, schema: true, example: true });
        }
      }
    }
  });

  it('gives every admin operation a JSON schema for its 200 answer (the CSV export: text/csv)', () => {
    const admin = operations().filter(({ path }) => path.startsWith('/admin/api'));
    expect(admin.length).toBeGreaterThan(20);
    for (const { path, method, op } of admin) {
      const where = `${method.toUpperCase()} ${path}`;
      const ok = deref(op.responses?.['200'] ?? {});
      if (path === '/admin/api/ledger.csv') {
        expect({ where, csv: ok.content?.['text/csv'] !== undefined }).toEqual({ where, csv: true });
        continue;
      }
      const schema = ok.content?.['application/json']?.schema as Json | undefined;
      const described = !!schema && (schema.$ref !== undefined || schema.properties !== undefined || schema.items !== undefined);
      expect({ where, schema: described }).toEqual({ where, schema: true });
    }
  });

  it("documents /v1/chat/completions: DeepSeek's fields, include_reasoning and Tollgate's headers", () => {
    const op = doc.paths['/v1/chat/completions'].post;
    expect(op.tags).toEqual(['OpenAI-compatible']);
    expect(op.security).toEqual([{ buyerKey: [] }]);
    const body = op.requestBody.content['application/json'].schema;
    for (const field of ['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'temperature', 'top_p', 'stop', 'tools', 'response_format', 'thinking', 'include_reasoning']) {
      expect(body.properties[field]).toBeDefined();
    }
    expect(body.required).toEqual(['model', 'messages']);
    const ok = op.responses['200'];
    expect(Object.keys(ok.content)).toEqual(['application/json', 'text/event-stream']);
    for (const header of ['x-request-id', 'x-tollgate-cost-usd', 'x-tollgate-remaining-usd', 'x-tollgate-max-tokens-clamped', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests']) {
      expect(ok.headers[header]).toBeDefined();
    }
    for (const status of ['401', '402', '403', '429', '503']) expect(op.responses[status]).toBeDefined();
  });

  it('documents every route the app serves, and leaves out /docs, the pages and mounts', () => {
    const documented = new Set(operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    const served = app.routes
      .filter((route) => route.method !== 'ALL' && !route.path.startsWith('/docs'))
      .map((route) => `${route.method} ${route.path.replace(/:([^/]+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.includes(route))).toEqual([]);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs') || p.startsWith('/paypal-sandbox') || p === '/' || p.includes('*'))).toEqual([]);
  });
});

describe('the /docs page', () => {
  it('is HTML that references only same-origin URLs', async () => {
    const res = await fetch(`${stack.gw.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    const urls = [...html.matchAll(/\b(?:src|href|action)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) expect(url).toMatch(/^\/(?!\/)/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/@import|url\(/);
  });

  it('serves its script and style itself, and they load nothing from elsewhere', async () => {
    const html = await (await fetch(`${stack.gw.url}/docs`)).text();
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual(['/docs/ui.css', '/docs/ui.js']);
    for (const url of assets) {
      const res = await fetch(`${stack.gw.url}${url}`);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      const text = await res.text();
      expect(text).not.toMatch(/https?:\/\/|\/\/cdn|@import|url\(\s*['"]?(?!data:)/);
      if (url.endsWith('.js')) {
        expect(res.headers.get('content-type')).toContain('javascript');
        // the page renders the document, with a form that sends requests with a bearer key
        expect(text).toContain("fetch('/docs/json')");
        expect(text).toContain("'Bearer '");
      }
    }
  });
});
