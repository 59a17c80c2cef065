import { Elysia } from 'elysia';
import type { Deps } from './deps';
import { errorResponse, toGatewayError } from './errors';
import { langFromAcceptLanguage } from './lib/i18n';
import { loadAdminToken } from './lib/crypto';
import { readBodyBytes, readJsonBody } from './lib/json-body';
import { adminModule } from './modules/admin';
import { catalogModule } from './modules/catalog';
import { checkoutModule, RAW_BODY_PATHS } from './modules/checkout';
import { meteringModule } from './modules/metering';
import { opsModule } from './modules/ops';
import { proxyModule } from './modules/proxy';
import { errorShapeOf } from './modules/proxy/protocols';
import { nativeRelayRoutes, type RequestEdge } from './modules/proxy/native-routes';
import { refusedBeforeRelay, refusedBodies } from './modules/proxy/refused-bodies';
import { credentialGuard } from './plugins/auth';
import { corsHeaders, corsPlugin } from './plugins/cors';
import { docsPlugin } from './plugins/docs';
import { checkContentLength, checkRequestTarget, edgeBodyLimit, edgeTarget, pathOfContext, type EdgeContext } from './plugins/edge';
import { requestLog } from './plugins/request-log';
import { webPlugin } from './plugins/web';

/** Another HTTP handler served under a path prefix (the PayPal simulator in `demo`). */
export interface Mount {
  prefix: string;
  fetch(request: Request): Promise<Response>;
}

/** edge → errors → request guards → modules → pages. Nothing else lives here. */
export function createApp(deps: Deps, mounts: Mount[] = []) {
  const { log, config } = deps;
  // The same token startGateway loaded (the file exists by now when it was generated).
  const credentials = credentialGuard(deps, loadAdminToken(config.dataDir, config.adminToken).token);
  const logged = requestLog(deps);
  const cors = corsHeaders(deps);

  /** The one mapper from what was thrown to the answer: in the shape of the protocol the path speaks (Anthropic's on its paths, OpenAI's everywhere else). */
  const answerError = (code: string | number, error: unknown, request: Request, path: string): Response => {
    const gatewayError = toGatewayError(code, error, path);
    if (gatewayError.status >= 500 && !(error instanceof Error && error.name === 'GatewayError')) {
      log.error('unhandled error', { path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    return errorResponse(gatewayError, langFromAcceptLanguage(request.headers.get('accept-language')), errorShapeOf(path));
  };

  // The relayed routes' own handlers: the same steps as the hooks below, as functions.
  const edge: RequestEdge = {
    target: checkRequestTarget,
    cors,
    contentLength: (request) => checkContentLength(request, config.maxBodyBytes),
    key: (request, server, route) => credentials.checkKeyHolder(request, server, route),
    async error(error, code, request, server, route) {
      credentials.countKeyGuess(error, request, server);
      await refusedBeforeRelay(deps, route, code, error, request);
      return answerError(code, error, request, route);
    },
    answered: logged.answered,
  };
  const serve = { routes: nativeRelayRoutes(deps.proxy, edge, config.maxBodyBytes) };

  return new Elysia({ name: 'tollgate', serve: serve as never })
    .use(edgeTarget())
    .use(credentials.failureCounter)
    // a relayed route's refused body still counts against its key (before the mapper, which ends the chain)
    .use(refusedBodies(deps))
    // before the size check, so a browser can read even a 413
    .use(corsPlugin(deps))
    .use(edgeBodyLimit(config))
    .use(logged.plugin)
    // before the parse hook below: a request refused for its key or token is never read
    .use(credentials.guard)
    .onError({ as: 'global' }, (ctx) => answerError(ctx.code, ctx.error, ctx.request, pathOfContext(ctx.request, (ctx as EdgeContext).tgPath)))
    // Every body (checkout, orders, admin, key settings, chat) is read as JSON with the size, UTF-8 and
    // depth limits, whatever its content type (curl -d says form) and also when it comes chunked
    // without a Content-Length: no body reaches one of Elysia's own unbounded parsers. A global
    // parse hook runs even on parse: 'none' routes, so the ones that need their raw body (signed
    // webhooks, mounts) are skipped here and read theirs with the same size limit.
    .onParse({ as: 'global' }, (ctx) => {
      const { request } = ctx;
      const path = pathOfContext(request, (ctx as EdgeContext).tgPath);
      // null, not undefined: undefined would send Elysia on to its own parser, which reads the body
      if (RAW_BODY_PATHS.includes(path) || mounts.some((mount) => path.startsWith(`${mount.prefix}/`))) return null;
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('application/json') && !hasBody(request)) return;
      return readJsonBody(request, config.maxBodyBytes);
    })
    .use(docsPlugin(deps))
    .use(opsModule(deps))
    .use(catalogModule(deps))
    .use(meteringModule(deps))
    .use(proxyModule(deps))
    .use(checkoutModule(deps))
    .use(adminModule(deps))
    .use(mountsPlugin(mounts, config.maxBodyBytes))
    // last: the pages answer every GET no API route claimed
    .use(webPlugin(deps));
}

/** A Content-Length above 0 or a chunked body. */
function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return (length !== null && length !== '0') || request.headers.get('transfer-encoding') !== null;
}

function mountsPlugin(mounts: Mount[], maxBodyBytes: number) {
  const plugin = new Elysia({ name: 'mounts' });
  // Elysia's route methods register on the instance they are called on.
  // parse: 'none' hands the mounted server the request with its body unread; it gets the body
  // read here with the gateway's size limit instead (413 past it, chunked or not).
  const bounded = async (request: Request) =>
    hasBody(request) ? new Request(request.url, { method: request.method, headers: request.headers, body: await readBodyBytes(request, maxBodyBytes) }) : request;
  for (const mount of mounts) {
    plugin.all(`${mount.prefix}/*`, async ({ request }) => mount.fetch(await bounded(request)), { parse: 'none', detail: { hide: true } });
  }
  return plugin;
}

export type App = ReturnType<typeof createApp>;
