import { Elysia, type TSchema } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { langFromAcceptLanguage } from '../../lib/i18n';
import { readJsonBody } from '../../lib/json-body';
import { timeOrderedId } from '../../lib/keys';
import { formatUsdExact } from '../../lib/money';
import { BalanceBody, ChatCompletionBody, ChatCompletionExample, ChatCompletionResult, FimCompletionBody, FimCompletionExample, FimCompletionResult, ModelListBody, ModelObject } from './model';
import type { ProtocolAdapter, RelayBody } from './protocols/adapter';
import { fim } from './protocols/fim';
import { betaChat, openAiChat } from './protocols/openai-chat';

const OPENAI = ['OpenAI-compatible'];
const security = [{ buyerKey: [] }];

const header = (description: string, example: string) => ({ description, schema: { type: 'string' as const }, example });
const RATE_HEADERS = {
  'x-ratelimit-limit-requests': header("the key's requests per minute (0: unlimited)", '60'),
  'x-ratelimit-remaining-requests': header('requests left in the current minute', '59'),
  'x-ratelimit-reset-requests': header('when the window has room again', '1s'),
};
const CHAT_HEADERS = {
  'x-request-id': header('this request in the usage list (GET /api/usage/requests) and the logs', 'req_0mwr58teaoGyA3a8x63zoVpn'),
  'x-tollgate-cost-usd': header('what this request cost; for streams the most it can cost (the hold): the exact cost comes at the end of the stream', '0.000004250'),
  'x-tollgate-remaining-usd': header("the key's remaining budget", '4.995750000'),
  'x-tollgate-max-tokens-clamped': header('present when the budget lowered max_tokens to this value', '1200'),
  ...RATE_HEADERS,
};
const CHAT_STREAM_EXAMPLE = [
  'data: {"id":"6f1c…","object":"chat.completion.chunk","created":1767225600,"model":"deepseek-v4-flash","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}',
  'data: {"id":"6f1c…","object":"chat.completion.chunk","created":1767225600,"model":"deepseek-v4-flash","choices":[{"index":0,"delta":{"content":"."},"finish_reason":"stop"}]}',
  ': x-tollgate-cost-usd=0.000004250 x-tollgate-remaining-usd=4.995750000',
  'data: [DONE]',
  '',
].join('\n\n');
const FIM_STREAM_EXAMPLE = [
  'data: {"id":"9d7e…","object":"text_completion","created":1767225600,"model":"deepseek-v4-flash","choices":[{"index":0,"text":"a, b","logprobs":null,"finish_reason":null}],"usage":null}',
  'data: {"id":"9d7e…","object":"text_completion","created":1767225600,"model":"deepseek-v4-flash","choices":[{"index":0,"text":" = 0, 1","logprobs":null,"finish_reason":"stop"}],"usage":null}',
  'data: {"id":"9d7e…","object":"text_completion","created":1767225600,"model":"deepseek-v4-flash","choices":[],"usage":{"prompt_tokens":24,"completion_tokens":9,"total_tokens":33,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":24}}',
  ': x-tollgate-cost-usd=0.000018000 x-tollgate-remaining-usd=4.999982000',
  'data: [DONE]',
  '',
].join('\n\n');
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const answers = (schema: string, example: unknown, streamExample: string) => ({
  description: 'The answer: JSON, or with `stream: true` server-sent events ending with `data: [DONE]`',
  headers: CHAT_HEADERS,
  content: {
    'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example },
    'text/event-stream': { schema: { type: 'string' as const }, example: streamExample },
  },
});
const ERROR_RESPONSES = {
  400: ref('BadRequest'),
  401: ref('Unauthorized'),
  402: ref('PaymentRequired'),
  403: ref('Forbidden'),
  404: ref('NotFound'),
  413: ref('TooLarge'),
  429: ref('RateLimited'),
  502: ref('UpstreamError'),
  503: ref('UpstreamError'),
  504: ref('UpstreamError'),
};
const CHAT_RESPONSES = { 200: answers('ChatCompletion', ChatCompletionExample, CHAT_STREAM_EXAMPLE), ...ERROR_RESPONSES };
const FIM_RESPONSES = { 200: answers('FimCompletion', FimCompletionExample, FIM_STREAM_EXAMPLE), ...ERROR_RESPONSES };

/** A relayed route's body schema and its documentation. */
interface RelayRoute {
  body: TSchema;
  description: string;
  responses: typeof CHAT_RESPONSES;
  /** the summary of each of the adapter's paths */
  summaries: Record<string, string>;
}

export const proxyModule = (deps: Deps) => {
  const { metering, catalog, proxy } = deps;
  // JSON whatever the content type says (curl sends -d as a form), read with the size, UTF-8 and depth limits.
  // An application/json body is already read by app.ts's global parse hook, so this one runs only for the
  // other types. The reader always answers, so 'json' after it is never run: it tells the OpenAPI document the type.
  const parse = [({ request }: { request: Request }) => readJsonBody(request, deps.config.maxBodyBytes), 'json' as const];

  const relayHandler =
    (adapter: ProtocolAdapter) =>
    ({ body, request, server }: { body: unknown; request: Request; server: { timeout(req: Request, seconds: number): void } | null }) => {
      // A long generation may leave the client connection quiet for minutes: our idle time-out is upstream's.
      server?.timeout(request, 0);
      return proxy.relay(adapter, request, body as RelayBody, timeOrderedId('req_'), langFromAcceptLanguage(request.headers.get('accept-language')));
    };

  const chat: RelayRoute = {
    body: ChatCompletionBody,
    description:
      'DeepSeek chat completions with public model names. Unknown fields pass through to DeepSeek. Responses carry `x-request-id`, `x-tollgate-cost-usd`, `x-tollgate-remaining-usd`, the `x-ratelimit-*` headers and, when the budget forced a lower cap, `x-tollgate-max-tokens-clamped`. For streams the cost header is the most the request can cost; the exact cost arrives as a final comment line before `data: [DONE]`. `reasoning_content` is removed unless `include_reasoning` is true (or the key\'s setting says so), except on an answer that makes tool calls: DeepSeek needs it back on the next turn, and when a client sends such a turn back without it the gateway puts it back (for 30 minutes). After a stream has started, an error comes as one last event with an `error` object and `choices: []`.',
    responses: CHAT_RESPONSES,
    summaries: {
      '/v1/chat/completions': 'Chat completion, streaming or not',
      '/chat/completions': 'Chat completion (base URL without /v1)',
      '/beta/chat/completions': 'Chat completion on the beta base, for prefix completion',
    },
  };
  const fimRoute: RelayRoute = {
    body: FimCompletionBody,
    description:
      'DeepSeek FIM (fill in the middle) completion, relayed to DeepSeek\'s `/beta/completions`: the model writes what goes between `prompt` and `suffix`. Non-thinking only, `max_tokens` at most 4096 (a 400 otherwise, before anything is charged). Metered like chat, with the same headers; a stream ends with the cost comment and `data: [DONE]`. Point an OpenAI SDK at `https://HOST/beta` (or `https://HOST/v1`) and call `completions.create`.',
    responses: FIM_RESPONSES,
    summaries: {
      '/beta/completions': 'FIM completion (fill in the middle), streaming or not',
      '/v1/completions': 'FIM completion (base URL with /v1)',
      '/completions': 'FIM completion (base URL without /v1)',
    },
  };

  /** One POST route per path of the adapter, on the relay core. */
  const relayRoutes = (adapter: ProtocolAdapter, route: RelayRoute) => {
    // Elysia's route methods register on the instance they are called on.
    const plugin = new Elysia({ normalize: false });
    for (const path of adapter.paths) {
      plugin.post(path, relayHandler(adapter), {
        body: route.body,
        parse,
        detail: { tags: OPENAI, security, summary: route.summaries[path] ?? path, description: route.description, responses: route.responses },
      });
    }
    return plugin;
  };

  const listModels = async (authorization: string | null) => {
    const key = await metering.identify(authorization);
    const plan = catalog.plan(key.planId);
    const created = Math.floor(key.createdAt / 1000);
    return { object: 'list' as const, data: (plan?.models ?? []).filter((id) => catalog.resolveModel(id)).map((id) => ({ id, object: 'model' as const, created, owned_by: 'deepseek' })) };
  };
  const modelsDoc = { response: ModelListBody, detail: { tags: OPENAI, security, summary: "The models this key's plan may call" } };

  // Bodies pass through to DeepSeek as sent: no normalizing copy of every request.
  return new Elysia({ name: 'proxy', normalize: false })
    .model({ ChatCompletion: ChatCompletionResult, FimCompletion: FimCompletionResult })
    .use(relayRoutes(openAiChat, chat))
    .use(relayRoutes(betaChat, chat))
    .use(relayRoutes(fim, fimRoute))
    .get('/v1/models', ({ request }) => listModels(request.headers.get('authorization')), modelsDoc)
    .get('/models', ({ request }) => listModels(request.headers.get('authorization')), modelsDoc)
    .get(
      '/v1/models/:id',
      async ({ request, params }) => {
        const model = (await listModels(request.headers.get('authorization'))).data.find((m) => m.id === params.id);
        if (!model) throw Err.modelNotFound(params.id);
        return model;
      },
      { response: ModelObject, detail: { tags: OPENAI, security, summary: 'One model, if the plan includes it' } },
    )
    .get(
      '/user/balance',
      async ({ request }) => {
        const key = await metering.identify(request.headers.get('authorization'));
        const remaining = Math.max(0, metering.remainingOf(key));
        // DeepSeek shows cents: round down, never show more than is left
        const text = formatUsdExact(remaining - (remaining % 10_000_000), 2);
        return {
          is_available: key.status === 'active' && remaining > 0 && (key.expiresAt === null || key.expiresAt > deps.clock.now()),
          balance_infos: [{ currency: 'USD', total_balance: text, granted_balance: '0.00', topped_up_balance: text }],
        };
      },
      { response: BalanceBody, detail: { tags: OPENAI, security, summary: "The key's remaining budget in DeepSeek's balance shape" } },
    );
};
