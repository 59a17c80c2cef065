import { Elysia } from 'elysia';
import type { Deps } from './deps';
import { Err, errorResponse, toGatewayError } from './errors';
import { langFromAcceptLanguage } from './lib/i18n';
import { readJsonBody } from './lib/json-body';
import { adminModule } from './modules/admin';
import { catalogModule } from './modules/catalog';
import { checkoutModule, RAW_BODY_PATHS } from './modules/checkout';
import { meteringModule } from './modules/metering';
import { opsModule } from './modules/ops';
import { proxyModule } from './modules/proxy';
import { errorShapeOf } from './modules/proxy/protocols';
import { keyAuthLimits } from './plugins/auth';
import { corsPlugin } from './plugins/cors';
import { docsPlugin } from './plugins/docs';
import { requestLog } from './plugins/request-log';
import { webPlugin } from './plugins/web';

/** Another HTTP handler served under a path prefix (the PayPal simulator in `demo`). */
export interface Mount {
  prefix: string;
  fetch(request: Request): Promise<Response>;
}

/** errors → request guards → modules → pages. Nothing else lives here. */
export function createApp(deps: Deps, mounts: Mount[] = []) {
  const { log, config } = deps;
  const keyAuth = keyAuthLimits(deps);
  return new Elysia({ name: 'tollgate' })
    .use(keyAuth.failureCounter)
    // before the size check, so a browser can read even a 413
    .use(corsPlugin(deps))
    .onRequest(({ request }) => {
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > config.maxBodyBytes) throw Err.requestTooLarge(config.maxBodyBytes);
    })
    .onError({ as: 'global' }, ({ code, error, request, path }) => {
      const gatewayError = toGatewayError(code, error, path);
      if (gatewayError.status >= 500 && !(error instanceof Error && error.name === 'GatewayError')) {
        log.error('unhandled error', { path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
      // in the shape of the protocol the path speaks: Anthropic's on its paths, OpenAI's everywhere else
      return errorResponse(gatewayError, langFromAcceptLanguage(request.headers.get('accept-language')), errorShapeOf(path));
    })
    // Every JSON body (checkout, orders, admin, key settings) is read with the size, UTF-8 and depth
    // limits, also when it comes chunked without a Content-Length. A global parse hook runs even on
    // parse: 'none' routes, so the ones that need their raw body (signed webhooks, mounts) are skipped here.
    .onParse({ as: 'global' }, ({ request, path }) => {
      // null, not undefined: undefined would send Elysia on to its own parser, which reads the body
      if (RAW_BODY_PATHS.includes(path) || mounts.some((mount) => path.startsWith(`${mount.prefix}/`))) return null;
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('application/json')) return;
      return readJsonBody(request, config.maxBodyBytes);
    })
    .use(requestLog(deps))
    .use(keyAuth.lockout)
    .use(docsPlugin(deps))
    .use(opsModule(deps))
    .use(catalogModule(deps))
    .use(meteringModule(deps))
    .use(proxyModule(deps))
    .use(checkoutModule(deps))
    .use(adminModule(deps))
    .use(mountsPlugin(mounts))
    // last: the pages answer every GET no API route claimed
    .use(webPlugin(deps));
}

function mountsPlugin(mounts: Mount[]) {
  const plugin = new Elysia({ name: 'mounts' });
  // Elysia's route methods register on the instance they are called on.
  // parse: 'none' hands the mounted server the request with its body unread.
  for (const mount of mounts) plugin.all(`${mount.prefix}/*`, ({ request }) => mount.fetch(request), { parse: 'none', detail: { hide: true } });
  return plugin;
}

export type App = ReturnType<typeof createApp>;
