import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createApp } from '../../server/app';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { startStack, type Stack } from '../helpers/stack';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TAGS = { public: ['OpenAI-compatible', 'Anthropic-compatible', 'Buyer', 'Checkout'], admin: ['Admin', 'Operations'] } as const;
const DOCUMENTS = { public: '/docs/json', admin: '/admin/docs/json' } as const;
type Name = keyof typeof DOCUMENTS;

let stack: Stack;
let app: ReturnType<typeof createApp>;
const docs = {} as Record<Name, Json>;

beforeAll(async () => {
  stack = await startStack();
  // A second app on the same deps, with the demo's PayPal mount, to walk its routes.
  app = createApp(stack.gw.deps, [{ prefix: '/paypal-sandbox', fetch: async () => new Response('sandbox') }]);
  for (const [name, path] of Object.entries(DOCUMENTS) as [Name, string][]) {
    const res = await app.handle(new Request(`http://localhost${path}`));
    expect(res.status).toBe(200);
    docs[name] = (await res.json()) as Json;
  }
});
afterAll(() => stack.close());

function operations(doc: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((method) => ({ path, method, op: (item as Json)[method] as Json })),
  );
}

function resolveIn(doc: Json, ref: string): unknown {
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

for (const name of Object.keys(DOCUMENTS) as Name[]) {
describe(`the OpenAPI document at ${DOCUMENTS[name]}`, () => {
  const doc = () => docs[name];
  const resolve = (ref: string) => resolveIn(doc(), ref);
  const deref = (node: Json): Json => (node?.$ref ? (resolve(node.$ref) as Json) : node);

  it('is an OpenAPI 3 document with info, paths and its security scheme', () => {
    expect(doc().openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc().info?.title).toBe('string');
    expect(typeof doc().info?.version).toBe('string');
    expect(Object.keys(doc().paths).length).toBeGreaterThan(5);
    for (const path of Object.keys(doc().paths)) expect(path.startsWith('/')).toBe(true);
    expect(Object.keys(doc().components.securitySchemes)).toEqual(name === 'public' ? ['buyerKey', 'buyerApiKeyHeader'] : ['adminToken']);
    expect(Object.values(doc().components.securitySchemes)[0]).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('resolves every $ref, and no schema sets a base of its own ($id)', () => {
    const refs = [...walk(doc())].filter(([, node]) => typeof node.$ref === 'string');
    expect(refs.length).toBeGreaterThan(0);
    for (const [at, node] of refs) expect({ at, ref: node.$ref, found: resolve(node.$ref) !== undefined }).toEqual({ at, ref: node.$ref, found: true });
    expect([...walk(doc())].filter(([, node]) => '$id' in node).map(([at]) => at)).toEqual([]);
  });

  it('gives every operation a plain-text summary, declared tags, known security schemes and responses', () => {
    const declared = new Set((doc().tags as { name: string }[]).map((t) => t.name));
    expect([...declared].sort()).toEqual([...TAGS[name]].sort());
    for (const { path, method, op } of operations(doc())) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, summary: typeof op.summary === 'string' && op.summary.length > 0 }).toEqual({ where, summary: true });
      // Swagger UI shows summaries as they are: a code mark would show as a raw backtick
      expect({ where, summary: op.summary }).toEqual({ where, summary: op.summary.replaceAll('`', '') });
      expect({ where, tags: op.tags.length > 0 && op.tags.every((t: string) => declared.has(t)) }).toEqual({ where, tags: true });
      for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc().components.securitySchemes[scheme]).toBeDefined();
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
    for (const { path, method, op } of operations(doc())) {
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

});
}

const deref = (node: Json): Json => (node?.$ref ? (resolveIn(docs.admin, node.$ref) as Json) : node);

describe('the two documents together', () => {
  it('document every route the app serves, each once, and leave out the docs, the pages and mounts', () => {
    const documented = [...operations(docs.public), ...operations(docs.admin)].map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(new Set(documented).size).toBe(documented.length);
    const served = app.routes
      .filter((route) => route.method !== 'ALL' && !route.path.startsWith('/docs') && !route.path.startsWith('/admin/docs'))
      .map((route) => `${route.method} ${route.path.replace(/:([^/]+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
    for (const doc of [docs.public, docs.admin]) {
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs') || p.startsWith('/admin/docs') || p.startsWith('/paypal-sandbox') || p === '/' || p.includes('*'))).toEqual([]);
    }
  });

  it("put the operator's API, health and metrics in /admin/docs/json only, and the rest in /docs/json", () => {
    const publicPaths = Object.keys(docs.public.paths);
    const adminPaths = Object.keys(docs.admin.paths);
    expect(publicPaths.filter((p) => p.startsWith('/admin/') || p === '/healthz' || p === '/metrics')).toEqual([]);
    expect(adminPaths.filter((p) => !p.startsWith('/admin/api/') && p !== '/healthz' && p !== '/metrics')).toEqual([]);
    expect(adminPaths.length).toBeGreaterThan(20);
    for (const path of ['/v1/chat/completions', '/v1/models', '/api/usage', '/api/checkout', '/api/orders/lookup']) expect(publicPaths).toContain(path);
  });

  it('gives every admin operation a JSON schema for its 200 answer (the CSV export: text/csv)', () => {
    const admin = operations(docs.admin).filter(({ path }) => path.startsWith('/admin/api'));
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
    const op = docs.public.paths['/v1/chat/completions'].post;
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
});

const PAGES = { public: '/docs', admin: '/admin/docs' } as const;

describe('the /docs and /admin/docs pages', () => {
  for (const [name, path] of Object.entries(PAGES) as [Name, string][]) {
    it(`${path} is Swagger UI on ${DOCUMENTS[name]}, with only same-origin URLs and a CSP of this origin`, async () => {
      const res = await fetch(`${stack.gw.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe');
      expect(res.headers.get('x-robots-tag') !== null).toBe(name === 'admin');
      const html = await res.text();
      expect(html).toContain(`data-spec="${DOCUMENTS[name]}"`);
      const urls = [...html.matchAll(/\b(?:src|href|action)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
      expect(urls.length).toBeGreaterThanOrEqual(4);
      for (const url of urls) expect(url).toMatch(/^\/(?!\/)/);
      // no inline script or style: the CSP would refuse them
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\bstyle=/);
      const assets = [...html.matchAll(/\b(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
      expect(assets.some((url) => /\/swagger-ui-[\d.]+\/swagger-ui-bundle\.js$/.test(url))).toBe(true);
      expect(assets.some((url) => /\/swagger-ui-[\d.]+\/swagger-ui\.css$/.test(url))).toBe(true);
      for (const url of assets) {
        const asset = await fetch(`${stack.gw.url}${url}`, { headers: { 'accept-encoding': 'gzip' } });
        expect({ url, status: asset.status }).toEqual({ url, status: 200 });
        expect(asset.headers.get('content-type')).toContain(url.endsWith('.js') ? 'javascript' : 'text/css');
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(500);
      }
    });
  }

  it("introduces the page in the visitor's language: ?lang=, else Accept-Language; both are on the page for the script to choose", async () => {
    const intro = (html: string, lang: string) => new RegExp(`<header class="docs-intro" data-lang="${lang}"[^>]*>`).exec(html)?.[0] ?? '';
    const zhByQuery = await (await fetch(`${stack.gw.url}/docs?lang=zh`)).text();
    expect(zhByQuery).toContain('<html lang="zh-CN">');
    expect(intro(zhByQuery, 'zh')).not.toContain('hidden');
    expect(intro(zhByQuery, 'en')).toContain('hidden');
    expect(zhByQuery).toContain(`<h1>${zh.docs.title}</h1>`);
    expect(zhByQuery).toContain(`<h1>${en.docs.title}</h1>`);

    const zhByHeader = await (await fetch(`${stack.gw.url}/admin/docs`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' } })).text();
    expect(intro(zhByHeader, 'zh')).not.toContain('hidden');
    expect(zhByHeader).toContain(`<h1>${zh.docs.adminTitle}</h1>`);

    const en1 = await (await fetch(`${stack.gw.url}/docs?lang=en`, { headers: { 'accept-language': 'zh-CN' } })).text();
    expect(intro(en1, 'en')).not.toContain('hidden');
    // a link back to the site, in the same language
    expect(en1).toContain('href="/?lang=en" class="docs-back"');
    expect(zhByQuery).toContain('href="/?lang=zh" class="docs-back"');
  });
});
