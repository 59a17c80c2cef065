import { Elysia, type TSchema } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { readJsonBody } from '../../lib/json-body';
import { formatUsdExact } from '../../lib/money';
import { BalanceBody, ChatCompletionResult, FimCompletionResult, ModelListBody, ModelObject } from './model';
import { countMessageTokens } from './count-tokens';
import { CountTokensBody, CountTokensResult, MessageResult, ResponseResult } from './model-agents';
import type { ProtocolAdapter } from './protocols/adapter';
import { anthropicMessages } from './protocols/anthropic-messages';
import { fim } from './protocols/fim';
import { COUNT_TOKENS_PATHS } from './protocols';
import { betaChat, openAiChat } from './protocols/openai-chat';
import { responses as responsesAdapter } from './protocols/responses';
import { RELAY_BODIES, relayOne, type RelayServer } from './native-routes';
import { ANTHROPIC, ANTHROPIC_ERRORS, anthropicSecurity, CHAT_RESPONSES, FIM_RESPONSES, MESSAGES_RESPONSES, OPENAI, RESPONSES_RESPONSES, security } from './route-docs';

/** A relayed route's documentation. */
interface RelayRoute {
  description: string;
  responses: Record<number, unknown>;
  /** the summary of each of the adapter's paths */
  summaries: Record<string, string>;
  tags?: string[];
  security?: Record<string, string[]>[];
}

export const proxyModule = (deps: Deps) => {
  const { metering, catalog, proxy } = deps;
  // JSON whatever the content type says (curl sends -d as a form), read with the size, UTF-8 and depth limits.
  // An application/json body is already read by app.ts's global parse hook, so this one runs only for the
  // other types. The reader always answers, so 'json' after it is never run: it tells the OpenAPI document the type.
  const parse = [({ request }: { request: Request }) => readJsonBody(request, deps.config.maxBodyBytes), 'json' as const];

  const relayHandler =
    (adapter: ProtocolAdapter) =>
    ({ body, request, server }: { body: unknown; request: Request; server: RelayServer | null }) =>
      relayOne(proxy, adapter, request, body, server);

  const chat: RelayRoute = {
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
    description:
      'DeepSeek FIM (fill in the middle) completion, relayed to DeepSeek\'s `/beta/completions`: the model writes what goes between `prompt` and `suffix`. Non-thinking only, `max_tokens` at most 4096 (a 400 otherwise, before anything is charged). Metered like chat, with the same headers; a stream ends with the cost comment and `data: [DONE]`. Point an OpenAI SDK at `https://HOST/beta` (or `https://HOST/v1`) and call `completions.create`.',
    responses: FIM_RESPONSES,
    summaries: {
      '/beta/completions': 'FIM completion (fill in the middle), streaming or not',
      '/v1/completions': 'FIM completion (base URL with /v1)',
      '/completions': 'FIM completion (base URL without /v1)',
    },
  };

  const messagesRoute: RelayRoute = {
    description:
      "Anthropic Messages (Claude Code, the Anthropic SDKs), relayed to DeepSeek's Anthropic endpoint. Base URL `https://HOST/anthropic` (or `https://HOST`); the key as `x-api-key` or `Authorization: Bearer` (Authorization wins). `claude-opus…` names run deepseek-v4-pro and other `claude…` names deepseek-v4-flash, checked against the plan and priced as that model. `metadata.user_id` is replaced by the key's own opaque id; thinking blocks and their signatures, tool_use, tool_result, images and the system array pass through untouched both ways. A query such as `?beta=true` is ignored. Usage: `input_tokens` at the cache-miss price, `cache_read_input_tokens` at the cache-hit price, `output_tokens` (thinking included) at the output price; one ledger row (protocol `anthropic`). The gateway's own errors come in Anthropic's shape (529 `overloaded_error` where other paths say 503); DeepSeek's own refusals pass through unchanged; after a stream has begun, an error is one last `event: error`. DeepSeek's server tools (web search, URL reading, document parsing) are refused with a 400 unless the operator priced them.",
    responses: MESSAGES_RESPONSES,
    summaries: {
      '/anthropic/v1/messages': 'Anthropic Messages (base URL https://HOST/anthropic), streaming or not',
      '/anthropic/messages': 'Anthropic Messages, the shorter path DeepSeek also serves',
      '/v1/messages': 'Anthropic Messages (base URL https://HOST)',
    },
    tags: ANTHROPIC,
    security: anthropicSecurity,
  };
  const responsesRoute: RelayRoute = {
    description:
      "OpenAI's Responses API (Codex), relayed to DeepSeek's `/responses`. Stateless, as DeepSeek's is: `previous_response_id` and `store` are ignored upstream, so send the whole history in `input` each turn (reasoning items included: they pass through unchanged, and DeepSeek needs them back after a tool call). Typed stream events pass through as they come, with no `[DONE]`; the usage on `response.completed`, `response.incomplete` and `response.failed` is billed (`input_tokens` includes `cached_tokens`, billed at the cache-hit price). After a stream has begun, a gateway error is one last `event: error` with `{type: \"error\", code, message, param, sequence_number}`, as OpenAI's Responses streaming sends it. Errors in OpenAI's shape; DeepSeek's own refusals pass through unchanged. DeepSeek's server tools are refused with a 400 unless the operator priced them.",
    responses: RESPONSES_RESPONSES,
    summaries: {
      '/v1/responses': 'Responses API (Codex), streaming or not',
      '/responses': 'Responses API (base URL without /v1)',
    },
  };

  /** One POST route per path of the adapter, on the relay core. */
  const relayRoutes = (adapter: ProtocolAdapter, route: RelayRoute) => {
    // Elysia's route methods register on the instance they are called on.
    const plugin = new Elysia({ normalize: false });
    for (const path of adapter.paths) {
      plugin.post(path, relayHandler(adapter), {
        body: RELAY_BODIES.get(adapter) as TSchema,
        parse,
        detail: { tags: route.tags ?? OPENAI, security: route.security ?? security, summary: route.summaries[path] ?? path, description: route.description, responses: route.responses as never },
      });
    }
    return plugin;
  };

  const countTokensRoutes = () => {
    const plugin = new Elysia({ normalize: false });
    for (const path of COUNT_TOKENS_PATHS) {
      plugin.post(path, ({ body, request }) => countMessageTokens(deps, request, body), {
        body: CountTokensBody,
        parse,
        detail: {
          tags: ANTHROPIC,
          security: anthropicSecurity,
          summary: path.startsWith('/anthropic/messages') ? 'Count a Messages input, on the shorter path' : 'Count the input tokens of a Messages request, free',
          description:
            "Anthropic's count_tokens, which DeepSeek does not offer: answered by the gateway with DeepSeek's tokenizer, free (nothing is held, rate-limited or billed). The key and the model are checked as for Messages. The count is the tokenizer's count of the system, the messages' text, tool calls and results, and the tools, plus a few template tokens per message: close to what DeepSeek will bill as input, not exact.",
          responses: {
            200: { description: 'The count', content: { 'application/json': { schema: { $ref: '#/components/schemas/CountTokens' }, example: { input_tokens: 42 } } } },
            400: ANTHROPIC_ERRORS[400],
            401: ANTHROPIC_ERRORS[401],
            403: ANTHROPIC_ERRORS[403],
            404: ANTHROPIC_ERRORS[404],
            413: ANTHROPIC_ERRORS[413],
          } as never,
        },
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
    .model({ ChatCompletion: ChatCompletionResult, FimCompletion: FimCompletionResult, Message: MessageResult, Response: ResponseResult, CountTokens: CountTokensResult })
    .use(relayRoutes(openAiChat, chat))
    .use(relayRoutes(betaChat, chat))
    .use(relayRoutes(fim, fimRoute))
    .use(relayRoutes(anthropicMessages, messagesRoute))
    .use(countTokensRoutes())
    .use(relayRoutes(responsesAdapter, responsesRoute))
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
