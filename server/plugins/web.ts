import { Elysia } from 'elysia';
import { resolve, sep } from 'node:path';
import { matchRoute } from '../../web/src/routes';
import type { Deps } from '../deps';
import { Err } from '../errors';
import { pathOf } from '../lib/request-target';
import { ROBOTS_NOINDEX } from './auth';

// The buyer's pages (a Vite-built Preact app). In the compiled binary they come from the files
// embedded with `--asset web/dist`; in a checkout from web/dist on disk, read per request so a
// rebuild shows up without a restart.

const DIST_DIR = resolve(import.meta.dir, '../../web/dist');

/** Paths that belong to an API: an unknown one answers the JSON 404, never the HTML page. */
const API_PREFIXES = ['/v1', '/api', '/admin/api', '/beta', '/user', '/chat', '/models', '/completions', '/embeddings', '/anthropic', '/responses'];

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  woff2: 'font/woff2',
  webmanifest: 'application/manifest+json',
};

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;

// The pages load only their own scripts and styles and call only this origin. Checkout leaves for
// PayPal by a top-level navigation to the approve link (not governed by CSP), so no page needs a
// PayPal origin; should the PayPal JS buttons ever be embedded, /pricing and /order would be the
// pages to allow www.paypal.com in script-src, frame-src and connect-src.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer of the pages plugin; HSTS only when the public URL is https. */
export function securityHeaders(publicUrl: string): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
    'cross-origin-opener-policy': 'same-origin',
    ...(publicUrl.startsWith('https://') ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** The console is for one operator: never indexed, whatever links to it (a header, so index.html stays one file). */
const ADMIN_HEADERS = { 'x-robots-tag': ROBOTS_NOINDEX };
const isAdminPage = (path: string) => path === '/admin' || path.startsWith('/admin/');

/** Served when the build has no robots.txt of its own. */
const ROBOTS_TXT = 'User-agent: *\nDisallow: /admin\nDisallow: /api/\nDisallow: /checkout/\n';

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Pages not built</title></head>
<body><h1>The web pages have not been built</h1><p>Run <code>bun run build:web</code> and reload. The API works without them.</p></body></html>
`;

type Bytes = Uint8Array<ArrayBuffer>;

interface WebFile {
  bytes(): Promise<Bytes>;
  /** stable for hashed assets, so their compressed form can be kept */
  immutable: boolean;
}

export interface WebSource {
  /** a file of the build by its path inside dist ("index.html", "assets/index-abc.js"), or null */
  get(name: string): Promise<WebFile | null>;
}

/** Files embedded in the compiled binary; Blob names look like "dist/assets/index-abc.js". */
export function embeddedSource(blobs: ReadonlyArray<Blob>): WebSource {
  const files = new Map<string, Blob>();
  for (const blob of blobs) {
    const name = (blob as Blob & { name?: string }).name ?? '';
    const match = /^(?:\.\/)?(?:web\/)?dist\/(.+)$/.exec(name.replaceAll('\\', '/'));
    if (match?.[1]) files.set(match[1], blob);
  }
  return {
    async get(name) {
      const blob = files.get(name);
      if (!blob) return null;
      return { bytes: async () => new Uint8Array(await blob.arrayBuffer()), immutable: true };
    },
  };
}

/** web/dist on disk; only regular files inside it are ever read. */
export function diskSource(dir: string): WebSource {
  return {
    async get(name) {
      const path = resolve(dir, name);
      if (!path.startsWith(dir + sep)) return null;
      const file = Bun.file(path);
      if (!(await file.exists())) return null;
      return { bytes: async () => new Uint8Array(await file.arrayBuffer()), immutable: name.startsWith('assets/') };
    },
  };
}

function defaultSource(): WebSource {
  return Bun.isStandaloneExecutable ? embeddedSource(Bun.embeddedFiles) : diskSource(DIST_DIR);
}

function isApiPath(path: string): boolean {
  return path.startsWith('/_') || API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Refuses "..", ".", backslashes and NUL, plain or percent-encoded (even twice). */
function safeDecodedPath(raw: string): string | null {
  if (/%25|%5c|%00|\\|\0/i.test(raw)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return null;
  return decoded;
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 || name.lastIndexOf('/') > dot ? '' : name.slice(dot + 1).toLowerCase();
}

function acceptsGzip(request: Request): boolean {
  return /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
}

export function webPlugin(deps: Deps, source: WebSource = defaultSource()) {
  const SECURITY_HEADERS = securityHeaders(deps.config.publicUrl);
  const gzipped = new Map<string, Bytes>();

  async function respond(request: Request, name: string, file: WebFile, status: number, headers: Record<string, string>) {
    const type = CONTENT_TYPES[extension(name)] ?? 'application/octet-stream';
    let body = await file.bytes();
    const out: Record<string, string> = { 'content-type': type, ...SECURITY_HEADERS, ...headers };
    if (COMPRESSIBLE.test(type) && body.byteLength > 1024) {
      out.vary = 'accept-encoding';
      if (acceptsGzip(request)) {
        let gz = file.immutable ? gzipped.get(name) : undefined;
        if (!gz) {
          gz = Bun.gzipSync(body) as Bytes;
          if (file.immutable) gzipped.set(name, gz);
        }
        body = gz;
        out['content-encoding'] = 'gzip';
      }
    }
    return new Response(request.method === 'HEAD' ? null : body, { status, headers: out });
  }

  async function page(request: Request, status: number, path: string) {
    const admin = isAdminPage(path) ? ADMIN_HEADERS : {};
    const index = await source.get('index.html');
    if (!index) {
      return new Response(NOT_BUILT_HTML, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...admin } });
    }
    return respond(request, 'index.html', index, status, { 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...admin });
  }

  async function serve(request: Request): Promise<Response> {
    // the raw path as the client sent it: before any decoding or dot-segment clean-up
    const raw = pathOf(request.url);
    const path = safeDecodedPath(raw);
    // a path that tries to climb out of the pages (dot segments, backslashes, NUL, double encoding) names no file
    if (path === null) throw Err.notFound(raw);
    if (isApiPath(path)) throw Err.notFound(path);
    if (matchRoute(path) !== 'notFound') return page(request, 200, path);

    const name = path.slice(1);
    if (name && name !== 'index.html') {
      const file = await source.get(name);
      if (file) {
        const cache = name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
        return respond(request, name, file, 200, { 'cache-control': cache });
      }
      // a missing hashed asset is a plain 404, not a page
      if (name.startsWith('assets/')) throw Err.notFound(path);
    }
    if (name === 'robots.txt') return new Response(request.method === 'HEAD' ? null : ROBOTS_TXT, { headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=3600', ...SECURITY_HEADERS } });
    return page(request, 404, path);
  }

  const handle = ({ request }: { request: Request }) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw Err.notFound(pathOf(request.url));
    // Claude Code's reachability probe: 200 whether or not the pages are built
    if (request.method === 'HEAD' && pathOf(request.url) === '/') return new Response(null, { headers: SECURITY_HEADERS });
    return serve(request);
  };
  // `all`, not `get`: a GET wildcard would shadow other plugins' `all` routes (the demo's PayPal mount)
  return new Elysia({ name: 'web' }).all('/', handle, { detail: { hide: true } }).all('/*', handle, { detail: { hide: true } });
}
