import { ChatCompletionExample, FimCompletionExample } from './model';
import { MessageExample, ResponseExample } from './model-agents';

// The OpenAPI details of the relayed routes: headers, stream examples, the error responses in
// each protocol's shape. Documentation only; proxy/index.ts hangs them on its routes.

export const OPENAI = ['OpenAI-compatible'];
export const ANTHROPIC = ['Anthropic-compatible'];
export const security = [{ buyerKey: [] }];
/** Either header on the Anthropic paths. */
export const anthropicSecurity: Record<string, string[]>[] = [{ buyerKey: [] }, { buyerApiKeyHeader: [] }];

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
const MESSAGES_STREAM_EXAMPLE = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"f1227412-…","type":"message","role":"assistant","model":"deepseek-v4-flash","content":[],"stop_reason":null,"usage":{"input_tokens":12,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"output_tokens":1}}}',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello."}}',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_read_input_tokens":0,"output_tokens":3}}',
  'event: message_stop\ndata: {"type":"message_stop"}',
  ': x-tollgate-cost-usd=0.000007200 x-tollgate-remaining-usd=4.999992800',
  '',
].join('\n\n');
const RESPONSES_STREAM_EXAMPLE = [
  'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_6f1c…","object":"response","status":"in_progress","model":"deepseek-v4-flash","output":[],"usage":null},"sequence_number":0}',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_6f1c…","output_index":0,"content_index":0,"delta":"Hello.","sequence_number":4}',
  'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_6f1c…","object":"response","status":"completed","model":"deepseek-v4-flash","output":[…],"usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":15}},"sequence_number":9}',
  ': x-tollgate-cost-usd=0.000007200 x-tollgate-remaining-usd=4.999992800',
  '',
].join('\n\n');
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const answers = (schema: string, example: unknown, streamExample: string, ending = 'ending with `data: [DONE]`') => ({
  description: `The answer: JSON, or with \`stream: true\` server-sent events ${ending}`,
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
export const ANTHROPIC_ERRORS = {
  400: ref('AnthropicBadRequest'),
  401: ref('AnthropicUnauthorized'),
  402: ref('AnthropicPaymentRequired'),
  403: ref('AnthropicForbidden'),
  404: ref('AnthropicNotFound'),
  413: ref('AnthropicTooLarge'),
  429: ref('AnthropicRateLimited'),
  502: ref('AnthropicUpstreamError'),
  504: ref('AnthropicUpstreamError'),
  529: ref('AnthropicOverloaded'),
};
export const CHAT_RESPONSES = { 200: answers('ChatCompletion', ChatCompletionExample, CHAT_STREAM_EXAMPLE), ...ERROR_RESPONSES };
export const FIM_RESPONSES = { 200: answers('FimCompletion', FimCompletionExample, FIM_STREAM_EXAMPLE), ...ERROR_RESPONSES };
export const MESSAGES_RESPONSES = { 200: answers('Message', MessageExample, MESSAGES_STREAM_EXAMPLE, 'from `message_start` to `message_stop`, then the cost comment'), ...ANTHROPIC_ERRORS };
export const RESPONSES_RESPONSES = { 200: answers('Response', ResponseExample, RESPONSES_STREAM_EXAMPLE, 'ending with the terminal event (`response.completed`, `response.incomplete` or `response.failed`), then the cost comment; no `[DONE]`'), ...ERROR_RESPONSES };

