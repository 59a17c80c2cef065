import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { langFromAcceptLanguage } from '../../lib/i18n';
import { timeOrderedId } from '../../lib/keys';
import { BalanceBody, ChatCompletionBody, ModelListBody, ModelObject } from './model';
import type { ChatBody } from './service';

const OPENAI = ['OpenAI-compatible'];
const security = [{ buyerKey: [] }];

export const proxyModule = (deps: Deps) => {
  const { metering, catalog, proxy } = deps;
  const chat = {
    body: ChatCompletionBody,
    parse: 'json' as const,
    detail: {
      tags: OPENAI,
      security,
      summary: 'Chat completion, streaming or not',
      description:
        'DeepSeek chat completions with public model names. Unknown fields pass through to DeepSeek. Responses carry `x-request-id`, `x-tollgate-cost-usd`, `x-tollgate-remaining-usd`, the `x-ratelimit-*` headers and, when the budget forced a lower cap, `x-tollgate-max-tokens-clamped`. For streams the cost header is the most the request can cost; the exact cost arrives as a final comment line before `data: [DONE]`.',
    },
  };
  const handleChat = ({ body, request, server }: { body: unknown; request: Request; server: { timeout(req: Request, seconds: number): void } | null }) => {
    // A long generation may leave the client connection quiet for minutes: our idle time-out is upstream's.
    server?.timeout(request, 0);
    return proxy.chatCompletion(request, body as ChatBody, timeOrderedId('req_'), langFromAcceptLanguage(request.headers.get('accept-language')));
  };

  const listModels = (authorization: string | null) => {
    const key = metering.identify(authorization);
    const plan = catalog.plan(key.planId);
    const created = Math.floor(key.createdAt / 1000);
    return { object: 'list' as const, data: (plan?.models ?? []).filter((id) => catalog.resolveModel(id)).map((id) => ({ id, object: 'model' as const, created, owned_by: 'deepseek' })) };
  };
  const modelsDoc = { response: ModelListBody, detail: { tags: OPENAI, security, summary: "The models this key's plan may call" } };

  // Bodies pass through to DeepSeek as sent: no normalizing copy of every request.
  return new Elysia({ name: 'proxy', normalize: false })
    .post('/v1/chat/completions', handleChat, chat)
    .post('/chat/completions', handleChat, { ...chat, detail: { ...chat.detail, summary: 'Chat completion (base URL without /v1)' } })
    .get('/v1/models', ({ request }) => listModels(request.headers.get('authorization')), modelsDoc)
    .get('/models', ({ request }) => listModels(request.headers.get('authorization')), modelsDoc)
    .get(
      '/v1/models/:id',
      ({ request, params }) => {
        const model = listModels(request.headers.get('authorization')).data.find((m) => m.id === params.id);
        if (!model) throw Err.modelNotFound(params.id);
        return model;
      },
      { response: ModelObject, detail: { tags: OPENAI, security, summary: 'One model, if the plan includes it' } },
    )
    .get(
      '/user/balance',
      ({ request }) => {
        const key = metering.identify(request.headers.get('authorization'));
        const remaining = Math.max(0, metering.remainingOf(key));
        const text = (Math.floor(remaining / 10_000_000) / 100).toFixed(2);
        return {
          is_available: key.status === 'active' && remaining > 0 && (key.expiresAt === null || key.expiresAt > deps.clock.now()),
          balance_infos: [{ currency: 'USD', total_balance: text, granted_balance: '0.00', topped_up_balance: text }],
        };
      },
      { response: BalanceBody, detail: { tags: OPENAI, security, summary: "The key's remaining budget in DeepSeek's balance shape" } },
    );
};
