import { Type, type IntegerOptions } from '@sinclair/typebox';
import { t } from 'elysia';

// The bodies of the coding agents' protocols (Anthropic Messages, Responses), as far as the
// gateway reads them; every other field passes through to DeepSeek untouched.

const Integer = (options: IntegerOptions) => Type.Integer(options);

const messagesFields = {
  model: t.String({
    minLength: 1,
    examples: ['deepseek-v4-flash'],
    description: 'A public model of your plan or an alias, or a Claude name: claude-opus… runs deepseek-v4-pro, any other claude… deepseek-v4-flash (checked against your plan and priced as that model)',
  }),
  messages: t.Array(t.Any(), { minItems: 1, description: 'The conversation, in Anthropic blocks: text, image, thinking (with its signature), tool_use, tool_result. Passed to DeepSeek untouched' }),
  system: t.Optional(t.Union([t.String(), t.Array(t.Any())], { description: 'A string or text blocks, kept in order' })),
  tools: t.Optional(t.Array(t.Any(), { description: "Client tools (name, description, input_schema). DeepSeek's server tools (web search, URL reading) only where the operator priced them" })),
};

/** Anthropic's Messages fields. */
export const MessagesBody = t.Object(
  {
    ...messagesFields,
    max_tokens: Integer({ minimum: 1, maximum: 393_216, description: 'Output cap (thinking included). Lowered when the remaining budget cannot cover it: see `x-tollgate-max-tokens-clamped`' }),
    stream: t.Optional(t.Boolean({ description: "Answer as Anthropic's server-sent events (message_start … message_stop)" })),
    metadata: t.Optional(t.Union([t.Object({}, { additionalProperties: true }), t.Null()], { description: "`user_id` is replaced by the key's own opaque id" })),
    thinking: t.Optional(t.Object({ type: t.String({ examples: ['enabled'] }) }, { additionalProperties: true, description: 'DeepSeek thinks by default; `{"type": "disabled"}` turns it off' })),
  },
  {
    additionalProperties: true,
    description: "Anthropic Messages, relayed to DeepSeek's Anthropic endpoint. Only `model`, `metadata.user_id` and a lowered `max_tokens` are changed.",
    examples: [{ model: 'deepseek-v4-flash', max_tokens: 1024, system: 'You are terse.', messages: [{ role: 'user', content: 'Say hello.' }] }],
  },
);

/** count_tokens takes a Messages body without max_tokens. */
export const CountTokensBody = t.Object(messagesFields, {
  additionalProperties: true,
  description: 'A Messages body (without `max_tokens`) whose input is counted.',
  examples: [{ model: 'deepseek-v4-flash', system: 'You are terse.', messages: [{ role: 'user', content: 'Say hello.' }] }],
});

export const CountTokensResult = t.Object({ input_tokens: t.Integer({ description: "the input's tokens with DeepSeek's tokenizer, a few per message included" }) });

export const MessageExample = {
  id: 'f1227412-6c1e-4b1a-9d3f-3c2b1a55e0d1',
  type: 'message',
  role: 'assistant',
  model: 'deepseek-v4-flash',
  content: [
    { type: 'thinking', thinking: 'A greeting.', signature: 'f1227412-6c1e-4b1a-9d3f-3c2b1a55e0d1' },
    { type: 'text', text: 'Hello.' },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 6, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
};

export const MessageResult = t.Object(
  {
    id: t.String(),
    type: t.Literal('message'),
    role: t.Literal('assistant'),
    model: t.String({ description: 'the model name you asked for' }),
    content: t.Array(t.Any()),
    stop_reason: t.Union([t.String(), t.Null()], { examples: ['end_turn'] }),
    usage: t.Object(
      {
        input_tokens: t.Integer({ description: 'billed at the cache-miss price' }),
        cache_read_input_tokens: t.Optional(t.Integer({ description: 'billed at the cache-hit price' })),
        cache_creation_input_tokens: t.Optional(t.Integer({ description: 'billed at the cache-miss price (DeepSeek: 0)' })),
        output_tokens: t.Integer({ description: 'billed at the output price, thinking included' }),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/** OpenAI's Responses fields. */
export const ResponsesBody = t.Object(
  {
    model: t.String({ minLength: 1, examples: ['deepseek-v4-flash'], description: 'A public model of your plan (GET /v1/models) or one of its aliases' }),
    input: t.Union([t.String(), t.Array(t.Any())], { description: 'A string, or items: message, function_call, function_call_output, reasoning (sent back unchanged)' }),
    instructions: t.Optional(t.Union([t.String(), t.Null()])),
    stream: t.Optional(t.Boolean({ description: 'Answer as typed server-sent events, ending with response.completed, response.incomplete or response.failed' })),
    max_output_tokens: t.Optional(Integer({ minimum: 1, maximum: 393_216, description: 'Output cap (reasoning included). Lowered when the remaining budget cannot cover it: see `x-tollgate-max-tokens-clamped`' })),
    tools: t.Optional(t.Array(t.Any(), { description: "Function tools and the custom apply_patch tool. DeepSeek's server tools only where the operator priced them" })),
    previous_response_id: t.Optional(t.Union([t.String(), t.Null()], { description: "Ignored by DeepSeek (stateless): send the whole history in `input`" })),
    store: t.Optional(t.Union([t.Boolean(), t.Null()], { description: 'Ignored by DeepSeek: nothing is stored' })),
  },
  {
    additionalProperties: true,
    description: "OpenAI's Responses fields, relayed to DeepSeek's `/responses`. Only `model`, `user` and a lowered `max_output_tokens` are changed.",
    examples: [{ model: 'deepseek-v4-flash', input: 'Say hello.', max_output_tokens: 256 }],
  },
);

export const ResponseExample = {
  id: 'resp_6f1c8a0e6a574d8f9c551b7d1c3f2a10',
  object: 'response',
  created_at: 1767225600,
  status: 'completed',
  model: 'deepseek-v4-flash',
  output: [{ id: 'msg_6f1c8a0e6a574d8f9c551b7d1c3f2a1000', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello.', annotations: [] }] }],
  usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
};

export const ResponseResult = t.Object(
  {
    id: t.String(),
    object: t.Literal('response'),
    status: t.String({ examples: ['completed'] }),
    model: t.String({ description: 'the public model name' }),
    output: t.Array(t.Any()),
    usage: t.Object(
      {
        input_tokens: t.Integer({ description: 'cached tokens included: the cached ones are billed at the cache-hit price, the rest at the cache-miss price' }),
        input_tokens_details: t.Optional(t.Object({ cached_tokens: t.Integer() }, { additionalProperties: true })),
        output_tokens: t.Integer({ description: 'billed at the output price, reasoning included' }),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
