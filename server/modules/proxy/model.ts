import { t } from 'elysia';

const Message = t.Object(
  {
    role: t.String({ examples: ['user'] }),
    content: t.Optional(t.Union([t.String(), t.Array(t.Any()), t.Null()])),
    prefix: t.Optional(t.Boolean({ description: 'DeepSeek chat-prefix completion (beta): on a trailing assistant message' })),
  },
  { additionalProperties: true },
);

/** DeepSeek's fields plus Tollgate's own; unknown fields pass through to DeepSeek untouched. */
export const ChatCompletionBody = t.Object(
  {
    model: t.String({ minLength: 1, examples: ['deepseek-v4-flash'] }),
    messages: t.Array(Message, { minItems: 1 }),
    stream: t.Optional(t.Boolean()),
    stream_options: t.Optional(t.Union([t.Object({ include_usage: t.Optional(t.Boolean()) }, { additionalProperties: true }), t.Null()])),
    max_tokens: t.Optional(t.Integer({ minimum: 1, maximum: 393_216 })),
    max_completion_tokens: t.Optional(t.Integer({ minimum: 1, maximum: 393_216 })),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: 2 })),
    top_p: t.Optional(t.Number({ minimum: 0, maximum: 1 })),
    frequency_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
    presence_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
    stop: t.Optional(t.Union([t.String(), t.Array(t.String(), { maxItems: 16 }), t.Null()])),
    thinking: t.Optional(t.Object({ type: t.Union([t.Literal('enabled'), t.Literal('disabled')]) }, { additionalProperties: true })),
    reasoning_effort: t.Optional(t.String()),
    response_format: t.Optional(t.Object({ type: t.String() }, { additionalProperties: true })),
    tools: t.Optional(t.Array(t.Any())),
    tool_choice: t.Optional(t.Any()),
    logprobs: t.Optional(t.Boolean()),
    top_logprobs: t.Optional(t.Integer({ minimum: 0, maximum: 20 })),
    include_reasoning: t.Optional(t.Boolean({ description: "Tollgate: keep DeepSeek's reasoning_content in the answer" })),
  },
  { additionalProperties: true },
);

export const ModelObject = t.Object({ id: t.String(), object: t.Literal('model'), created: t.Integer(), owned_by: t.String() });
export const ModelListBody = t.Object({ object: t.Literal('list'), data: t.Array(ModelObject) });

export const BalanceBody = t.Object({
  is_available: t.Boolean(),
  balance_infos: t.Array(t.Object({ currency: t.String(), total_balance: t.String(), granted_balance: t.String(), topped_up_balance: t.String() })),
});
