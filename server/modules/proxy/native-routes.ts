import { getSchemaValidator, ValidationError, type TSchema } from 'elysia';
import { langFromAcceptLanguage } from '../../lib/i18n';
import { readJsonBody } from '../../lib/json-body';
import { timeOrderedId } from '../../lib/keys';
import { ChatCompletionBody, FimCompletionBody } from './model';
import { MessagesBody, ResponsesBody } from './model-agents';
import type { ProtocolAdapter, RelayBody } from './protocols/adapter';
import { ADAPTERS } from './protocols';
import { anthropicMessages } from './protocols/anthropic-messages';
import { fim } from './protocols/fim';
import { betaChat, openAiChat } from './protocols/openai-chat';
import { responses } from './protocols/responses';
import type { ProxyService } from './relay';

// The relayed routes as Bun route handlers of their own, in front of Elysia's pipeline: the hot
// path. Each runs the steps the app's hooks run for any other route, in the same order and with
// the same functions (the `RequestEdge` app.ts hands in): the request target, CORS, the body's
// size, the key before the body, the body's JSON and schema, the relay, the error mapper, the
// metrics and the log line. The same routes stay declared in Elysia (proxy/index.ts), for the
// API document and for a path Bun's router does not match as written (a trailing slash).

/** Each relayed protocol's body schema: checked by Elysia's routes and by the native ones. */
export const RELAY_BODIES: ReadonlyMap<ProtocolAdapter, TSchema> = new Map<ProtocolAdapter, TSchema>([
  [openAiChat, ChatCompletionBody],
  [betaChat, ChatCompletionBody],
  [fim, FimCompletionBody],
  [anthropicMessages, MessagesBody],
  [responses, ResponsesBody],
]);

/** What the relay needs of Bun's server: the peer's address (lockouts) and the per-request idle time-out. */
export interface RelayServer {
  timeout(request: Request, seconds: number): void;
  requestIP(request: Request): { address: string } | null;
}

/** Relays a request whose key and body have been checked. */
export function relayOne(proxy: ProxyService, adapter: ProtocolAdapter, request: Request, body: unknown, server: RelayServer | null): Promise<Response> {
  // A long generation may leave the client connection quiet for minutes: our idle time-out is upstream's.
  server?.timeout(request, 0);
  return proxy.relay(adapter, request, body as RelayBody, timeOrderedId('req_'), langFromAcceptLanguage(request.headers.get('accept-language')));
}

/** The app's per-request steps, as functions (app.ts's hooks run the same ones). */
export interface RequestEdge {
  /** throws 400 for a request target or Host that is not ours */
  target(request: Request): unknown;
  /** the CORS headers every answer on `route` carries, errors included; null for none */
  cors(request: Request, route: string): Record<string, string> | null;
  /** throws 413 for a Content-Length over the limit */
  contentLength(request: Request): void;
  /** throws the key's refusal (401, 429 while locked out); waits out a lockout's delay for a valid key */
  key(request: Request, server: RelayServer, route: string): Promise<void>;
  /** the answer to what was thrown, in the route's protocol's shape (counted as the hooks count it) */
  error(error: unknown, code: string, request: Request, server: RelayServer, route: string): Promise<Response>;
  /** the metrics and the log line of an answered request */
  answered(answer: { request: Request; route: string; path: string; start: number; error?: unknown; code?: string; response: Response }): void;
}

type NativeHandler = (request: Request, server: RelayServer) => Promise<Response>;

/** A POST handler for each path of each relayed protocol, for Bun.serve's `routes`. */
export function nativeRelayRoutes(proxy: ProxyService, edge: RequestEdge, maxBodyBytes: number): Record<string, { POST: NativeHandler }> {
  const routes: Record<string, { POST: NativeHandler }> = {};
  for (const adapter of ADAPTERS) {
    const schema = RELAY_BODIES.get(adapter);
    if (!schema) throw new Error(`no body schema for the ${adapter.protocol} routes`);
    // as Elysia builds a route's body check (normalize: false: the body goes on as sent)
    const validator = getSchemaValidator(schema, { normalize: false });
    for (const route of adapter.paths) {
      routes[route] = {
        POST: async (request, server) => {
          const start = performance.now();
          let cors: Record<string, string> | null = null;
          let code = 'UNKNOWN';
          let response: Response;
          let thrown: unknown;
          try {
            edge.target(request);
            cors = edge.cors(request, route);
            edge.contentLength(request);
            await edge.key(request, server, route);
            const body = await readJsonBody(request, maxBodyBytes);
            if (!validator.Check(body)) {
              code = 'VALIDATION';
              throw new ValidationError('body', validator, body);
            }
            response = await relayOne(proxy, adapter, request, body, server);
          } catch (error) {
            thrown = error;
            response = await edge.error(error, code, request, server, route);
          }
          if (cors !== null) for (const name in cors) response.headers.set(name, cors[name] as string);
          edge.answered({ request, route, path: route, start, error: thrown, code, response });
          return response;
        },
      };
    }
  }
  return routes;
}
