import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { Err, GatewayError } from '../../errors';
import { pathOfContext, type EdgeContext } from '../../plugins/edge';
import { ADAPTERS } from './protocols';

/**
 * A relayed route's body that Elysia refuses before the relay runs (not JSON, or against the
 * route's schema) is a 400 for a key the credential guard already identified: the relay never
 * sees it, so this hook hands it to the relay's refusal count (as bad_request). Registered before
 * the app's error mapper, which answers and so ends the error chain; it answers nothing itself.
 */
export function refusedBodies(deps: Pick<Deps, 'proxy'>) {
  return new Elysia({ name: 'relay-refused-bodies' }).onError({ as: 'global' }, async (ctx) => {
    const { code, error, request } = ctx;
    if (request.method !== 'POST') return;
    await refusedBeforeRelay(deps, pathOfContext(request, (ctx as EdgeContext).tgPath), code, error, request);
  });
}

const adapterByPath = new Map(ADAPTERS.flatMap((adapter) => adapter.paths.map((path) => [path, adapter] as const)));

/** Hands a relayed path's POST refused before the relay (its body, mostly) to the relay's refusal count. */
export async function refusedBeforeRelay(deps: Pick<Deps, 'proxy'>, path: string, code: string | number, error: unknown, request: Request): Promise<void> {
  const adapter = adapterByPath.get(path);
  if (!adapter) return;
  const gatewayError = error instanceof GatewayError ? error : error instanceof Error && error.cause instanceof GatewayError ? error.cause : null;
  if (gatewayError) await deps.proxy.refusedBeforeRelay(adapter, request, gatewayError);
  else if (code === 'PARSE' || code === 'VALIDATION') await deps.proxy.refusedBeforeRelay(adapter, request, Err.invalidBody('refused before the relay'));
}
