import { Type, type IntegerOptions } from '@sinclair/typebox';
import { t } from 'elysia';

// Elysia's t.Integer also takes numeric strings ("10"); OpenAI's API answers 400 to those, and so do we.
const Integer = (options: IntegerOptions) => Type.Integer(options);

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
    model: t.String({ minLength: 1, examples: ['deepseek-v4-flash'], description: 'A public model of your plan (GET /v1/models) or one of its aliases (deepseek-chat, deepseek-reasoner…)' }),
    messages: t.Array(Message, { minItems: 1, description: 'The conversation: system, user, assistant and tool messages, as in OpenAI\'s API' }),
    stream: t.Optional(t.Boolean({ description: 'Answer as server-sent events ending with `data: [DONE]`' })),
    stream_options: t.Optional(
      t.Union([t.Object({ include_usage: t.Optional(t.Boolean({ description: 'send a last chunk with `usage`' })) }, { additionalProperties: true }), t.Null()]),
    ),
    max_tokens: t.Optional(Integer({ minimum: 1, maximum: 393_216, description: 'Output cap (reasoning included). Lowered when the remaining budget cannot cover it: see `x-tollgate-max-tokens-clamped`' })),
    max_completion_tokens: t.Optional(Integer({ minimum: 1, maximum: 393_216, description: "OpenAI's newer name for max_tokens" })),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: 2 })),
    top_p: t.Optional(t.Number({ minimum: 0, maximum: 1 })),
    frequency_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
    presence_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
    stop: t.Optional(t.Union([t.String(), t.Array(t.String(), { maxItems: 16 }), t.Null()], { description: 'Up to 16 stop sequences' })),
    thinking: t.Optional(
      t.Object({ type: t.Union([t.Literal('enabled'), t.Literal('disabled')]) }, { additionalProperties: true, description: "DeepSeek's thinking switch; a model alias such as deepseek-reasoner sets it for you" }),
    ),
    reasoning_effort: t.Optional(t.String({ description: "DeepSeek's reasoning effort for thinking models", examples: ['high'] })),
    response_format: t.Optional(t.Object({ type: t.String({ examples: ['json_object'] }) }, { additionalProperties: true, description: '`{"type": "json_object"}` for JSON output' })),
    tools: t.Optional(t.Array(t.Any(), { description: 'Function tools, as in OpenAI\'s API' })),
    tool_choice: t.Optional(t.Any({ description: '`none`, `auto`, `required` or a named function' })),
    logprobs: t.Optional(t.Boolean()),
    top_logprobs: t.Optional(Integer({ minimum: 0, maximum: 20 })),
    include_reasoning: t.Optional(
      t.Boolean({ description: "Tollgate: keep DeepSeek's `reasoning_content` in the answer (default: the key's setting, PATCH /api/key/settings)" }),
    ),
  },
  {
    additionalProperties: true,
    description: 'DeepSeek\'s chat fields plus Tollgate\'s `include_reasoning`; other fields pass through to DeepSeek untouched.',
    examples: [{ model: 'deepseek-v4-flash', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }], stream: false, max_tokens: 256 }],
  },
);

/** The first message text holding a NUL character, as a param path; null when there is none. */
export function nulCharacterField(body: { messages?: unknown }): string | null {
  if (!Array.isArray(body.messages)) return null;
  for (const [i, message] of body.messages.entries()) {
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === 'string' && content.includes('\0')) return `messages.${i}.content`;
    if (Array.isArray(content)) {
      for (const [j, part] of content.entries()) {
        const text = (part as { text?: unknown } | null)?.text;
        if (typeof text === 'string' && text.includes('\0')) return `messages.${i}.content.${j}.text`;
      }
    }
  }
  return null;
}

/** What a non-streaming answer looks like (documentation only: the proxy passes DeepSeek's body on). */
export const ChatCompletionExample = {
  id: '6f1c8a0e-6a57-4d8f-9c55-1b7d1c3f2a10',
  object: 'chat.completion',
  created: 1767225600,
  model: 'deepseek-v4-flash',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello.' }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 14, completion_tokens: 3, total_tokens: 17, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 14, completion_tokens_details: { reasoning_tokens: 0 } },
};

export const ChatCompletionResult = t.Object(
  {
    id: t.String(),
    object: t.Literal('chat.completion'),
    created: t.Integer(),
    model: t.String({ description: 'the public model name you asked for' }),
    choices: t.Array(
      t.Object({
        index: t.Integer(),
        message: t.Object(
          {
            role: t.Literal('assistant'),
            content: t.Union([t.String(), t.Null()]),
            reasoning_content: t.Optional(t.Union([t.String(), t.Null()], { description: 'only with include_reasoning (or the key setting)' })),
            tool_calls: t.Optional(t.Array(t.Any())),
          },
          { additionalProperties: true },
        ),
        finish_reason: t.Union([t.String(), t.Null()], { examples: ['stop'] }),
      }, { additionalProperties: true }),
    ),
    usage: t.Object(
      {
        prompt_tokens: t.Integer(),
        completion_tokens: t.Integer(),
        total_tokens: t.Integer(),
        prompt_cache_hit_tokens: t.Integer({ description: 'billed at the cache-hit price' }),
        prompt_cache_miss_tokens: t.Integer({ description: 'billed at the cache-miss price' }),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/** DeepSeek's FIM fields; unknown fields pass through to DeepSeek untouched. */
export const FimCompletionBody = t.Object(
  {
    model: t.String({ minLength: 1, examples: ['deepseek-v4-flash'], description: 'A public model of your plan (GET /v1/models) or an alias; not one that forces thinking (deepseek-reasoner)' }),
    prompt: t.String({ description: 'The text before the gap' }),
    suffix: t.Optional(t.Union([t.String(), t.Null()], { description: 'The text after the gap' })),
    stream: t.Optional(t.Boolean({ description: 'Answer as server-sent events ending with `data: [DONE]`' })),
    stream_options: t.Optional(
      t.Union([t.Object({ include_usage: t.Optional(t.Boolean({ description: 'send a last chunk with `usage`' })) }, { additionalProperties: true }), t.Null()]),
    ),
    max_tokens: t.Optional(Integer({ minimum: 1, description: 'Output cap, at most 4096 (DeepSeek\'s FIM limit; more answers 400). Lowered when the remaining budget cannot cover it: see `x-tollgate-max-tokens-clamped`' })),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: 2 })),
    top_p: t.Optional(t.Number({ minimum: 0, maximum: 1 })),
    stop: t.Optional(t.Union([t.String(), t.Array(t.String(), { maxItems: 16 }), t.Null()], { description: 'Up to 16 stop sequences' })),
    echo: t.Optional(t.Boolean({ description: 'Repeat the prompt in the answer' })),
    logprobs: t.Optional(Integer({ minimum: 0, maximum: 20 })),
    frequency_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
    presence_penalty: t.Optional(t.Number({ minimum: -2, maximum: 2 })),
  },
  {
    additionalProperties: true,
    description: "DeepSeek's FIM (fill in the middle) fields. FIM runs without thinking: a body with `thinking: {\"type\": \"enabled\"}` answers 400.",
    examples: [{ model: 'deepseek-v4-flash', prompt: 'def fib(n):\n    ', suffix: '\n    return a', max_tokens: 128, temperature: 0, stop: ['\n\n'] }],
  },
);

/** What a non-streaming FIM answer looks like (documentation only: the proxy passes DeepSeek's body on). */
export const FimCompletionExample = {
  id: '9d7e4b7a-2f7d-4a44-8f0e-0c8d3c2b1a55',
  object: 'text_completion',
  created: 1767225600,
  model: 'deepseek-v4-flash',
  choices: [{ index: 0, text: 'a, b = 0, 1', logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 24, completion_tokens: 9, total_tokens: 33, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 24, completion_tokens_details: { reasoning_tokens: 0 } },
};

export const FimCompletionResult = t.Object(
  {
    id: t.String(),
    object: t.Literal('text_completion'),
    created: t.Integer(),
    model: t.String({ description: 'the public model name you asked for' }),
    choices: t.Array(
      t.Object({ index: t.Integer(), text: t.String(), finish_reason: t.Union([t.String(), t.Null()], { examples: ['stop'] }) }, { additionalProperties: true }),
    ),
    usage: t.Object(
      {
        prompt_tokens: t.Integer(),
        completion_tokens: t.Integer(),
        total_tokens: t.Integer(),
        prompt_cache_hit_tokens: t.Integer({ description: 'billed at the cache-hit price' }),
        prompt_cache_miss_tokens: t.Integer({ description: 'billed at the cache-miss price' }),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

export const ModelObject = t.Object({ id: t.String({ examples: ['deepseek-v4-flash'] }), object: t.Literal('model'), created: t.Integer({ examples: [1767225600] }), owned_by: t.String({ examples: ['deepseek'] }) });
export const ModelListBody = t.Object({ object: t.Literal('list'), data: t.Array(ModelObject) });

export const BalanceBody = t.Object({
  is_available: t.Boolean(),
  balance_infos: t.Array(t.Object({ currency: t.String(), total_balance: t.String(), granted_balance: t.String(), topped_up_balance: t.String() })),
});
