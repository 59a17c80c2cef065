import { Elysia } from 'elysia';
import swaggerPkg from 'swagger-ui-dist/package.json';
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import swaggerJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import type { Deps } from '../deps';
import { ROBOTS_NOINDEX } from './auth';
import pageCss from './docs/docs-page.css' with { type: 'text' };
import pageJs from './docs/docs-page.js' with { type: 'text' };
import { buildDocuments, type DocumentName } from './docs/openapi';
import { DOCS_PATHS, docsPageHtml, serverLang } from './docs/page';
import { securityHeaders } from './web';

// /docs (the public API) and /admin/docs (the operator's) are Swagger UI from the swagger-ui-dist
// package, on the OpenAPI documents at /docs/json and /admin/docs/json. Swagger UI's files are
// embedded in the binary (`with { type: 'file' }`) and served from here: nothing is loaded from
// elsewhere, and the pages' CSP allows this origin only.

/** Swagger UI's files change only with its version: that is in their path, so they can be cached for good. */
const ASSET_DIR = `/docs/assets/swagger-ui-${swaggerPkg.version}`;
const ASSETS = {
  css: [`${ASSET_DIR}/swagger-ui.css`, '/docs/assets/docs-page.css'],
  js: [`${ASSET_DIR}/swagger-ui-bundle.js`, '/docs/assets/docs-page.js'],
};

type Bytes = Uint8Array<ArrayBuffer>;

/** A static file, read once, with its gzip form made on first need. */
function staticFile(load: () => Promise<Bytes>, type: string, cache: string, headers: Record<string, string>) {
  let plain: Promise<Bytes> | undefined;
  let gzipped: Promise<Bytes> | undefined;
  return async ({ request }: { request: Request }) => {
    plain ??= load();
    const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
    const body = gzip ? await (gzipped ??= plain.then((bytes) => Bun.gzipSync(bytes) as Bytes)) : await plain;
    return new Response(request.method === 'HEAD' ? null : body, {
      headers: { ...headers, 'content-type': type, 'cache-control': cache, vary: 'accept-encoding', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    });
  };
}

const fromPath = (path: string) => async () => new Uint8Array(await Bun.file(path).arrayBuffer());
const fromText = (text: string) => async () => new TextEncoder().encode(text);

export const docsPlugin = (deps: Deps) => {
  const plugin = new Elysia({ name: 'docs' });
  // The site's own headers and CSP, which Swagger UI fits as it is: its scripts and styles are files
  // from here (its style changes go through the DOM, which style-src does not govern), its icons are
  // data: images, and Try it out calls this origin. Nothing else is allowed.
  const headers = { ...securityHeaders(deps.config.publicUrl), 'referrer-policy': 'no-referrer' };
  const noindex = { 'x-robots-tag': ROBOTS_NOINDEX };
  // Built on first request: by then every module has registered its routes.
  let documents: Record<DocumentName, string> | null = null;
  const documentJson = (name: DocumentName) => {
    documents ??= (() => {
      const built = buildDocuments(plugin, deps.config.publicUrl);
      return { public: JSON.stringify(built.public), admin: JSON.stringify(built.admin) };
    })();
    return documents[name];
  };
  const hide = { detail: { hide: true } };
  const page = (name: DocumentName) => ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    const html = docsPageHtml(name, serverLang(url.search, request.headers.get('accept-language')), { siteName: deps.site.get().siteName, publicUrl: deps.config.publicUrl }, ASSETS);
    return new Response(html, { headers: { ...headers, ...(name === 'admin' ? noindex : {}), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', vary: 'accept-language' } });
  };
  const json = (name: DocumentName) => () =>
    new Response(documentJson(name), { headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...(name === 'admin' ? noindex : {}) } });
  const forever = 'public, max-age=31536000, immutable';

  return plugin
    .get(DOCS_PATHS.public.page, page('public'), hide)
    .get(DOCS_PATHS.public.json, json('public'), hide)
    .get(DOCS_PATHS.admin.page, page('admin'), hide)
    .get(DOCS_PATHS.admin.json, json('admin'), hide)
    .get(`${ASSET_DIR}/swagger-ui-bundle.js`, staticFile(fromPath(swaggerJs), 'text/javascript; charset=utf-8', forever, headers), hide)
    .get(`${ASSET_DIR}/swagger-ui.css`, staticFile(fromPath(swaggerCss), 'text/css; charset=utf-8', forever, headers), hide)
    .get('/docs/assets/docs-page.js', staticFile(fromText(pageJs), 'text/javascript; charset=utf-8', 'no-cache', headers), hide)
    .get('/docs/assets/docs-page.css', staticFile(fromText(pageCss), 'text/css; charset=utf-8', 'no-cache', headers), hide);
};
