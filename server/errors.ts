import type { Lang } from './lib/i18n';

// Every failure becomes a GatewayError where it happens; one mapper turns it into the shape of the
// protocol the request spoke: OpenAI's for everything but the Anthropic Messages paths, which get
// Anthropic's. `type` and `code` never change with the language; only `message` does.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'insufficient_quota'
  | 'rate_limit_error'
  | 'api_error';

type MessageParams = Record<string, string | number>;
type Messages = Record<string, { en: string; zh: string }>;

const MESSAGES = {
  invalid_json: { en: 'The request body is not valid JSON.', zh: '请求体不是有效的 JSON。' },
  invalid_utf8: { en: 'The request body is not valid UTF-8.', zh: '请求体不是有效的 UTF-8 编码。' },
  invalid_body: { en: 'Invalid request: {detail}', zh: '请求无效：{detail}' },
  invalid_field: { en: 'Invalid value for {param}: {detail}', zh: '参数 {param} 的值无效：{detail}' },
  bad_request_target: {
    en: 'The request target or its Host header is malformed: send "METHOD /path HTTP/1.1" with the host name or address in Host.',
    zh: '请求目标或其 Host 请求头格式错误：请发送 "METHOD /path HTTP/1.1"，并在 Host 中填写主机名或地址。',
  },
  missing_key: {
    en: 'No API key provided. Send it as "Authorization: Bearer sk-gateway-…".',
    zh: '未提供 API 密钥。请以 "Authorization: Bearer sk-gateway-…" 的形式发送。',
  },
  invalid_key: { en: 'Incorrect API key provided.', zh: 'API 密钥不正确。' },
  unknown_key: { en: 'Incorrect API key provided.', zh: 'API 密钥不正确。' },
  disabled_key: { en: 'This API key has been disabled.', zh: '此 API 密钥已被停用。' },
  budget_exhausted: {
    en: 'This key has no budget left. Top up or buy a new plan.',
    zh: '此密钥的额度已用完。请充值或购买新的套餐。',
  },
  budget_too_low: {
    en: 'The remaining budget ({remaining} USD) is too small for this request.',
    zh: '剩余额度（{remaining} 美元）不足以完成此请求。',
  },
  key_expired: { en: 'This key expired on {date}.', zh: '此密钥已于 {date} 过期。' },
  model_not_allowed: {
    en: 'Your plan does not include the model {model}. Models in your plan: {models}.',
    zh: '您的套餐不包含模型 {model}。您的套餐可用的模型：{models}。',
  },
  model_not_found: { en: 'The model {model} does not exist.', zh: '模型 {model} 不存在。' },
  not_found: { en: 'Not found: {path}', zh: '未找到：{path}' },
  request_too_large: {
    en: 'The request body is larger than {limit} bytes.',
    zh: '请求体超过了 {limit} 字节的上限。',
  },
  rate_limited: {
    en: 'Rate limit reached: {limit} requests per minute. Try again in {seconds} s.',
    zh: '已达到速率上限：每分钟 {limit} 次请求。请在 {seconds} 秒后重试。',
  },
  too_many_concurrent: {
    en: 'Too many concurrent requests for this key (limit {limit}). Wait for one to finish.',
    zh: '此密钥的并发请求过多（上限 {limit}）。请等待已有请求完成。',
  },
  upstream_error: { en: 'The upstream service returned an error.', zh: '上游服务返回了错误。' },
  upstream_unavailable: {
    en: 'The service is temporarily unavailable. Please retry shortly.',
    zh: '服务暂时不可用，请稍后重试。',
  },
  upstream_timeout: { en: 'The upstream service timed out.', zh: '上游服务超时。' },
  upstream_malformed: { en: 'The upstream service sent an answer that could not be read.', zh: '上游服务返回的内容无法解析。' },
  upstream_too_large: { en: 'The upstream answer was larger than {limit} bytes.', zh: '上游返回的内容超过了 {limit} 字节的上限。' },
  too_many_streams: {
    en: 'The gateway has {limit} streams open, its limit. Please retry in a few seconds.',
    zh: '网关已打开 {limit} 个流式响应，达到上限。请几秒后重试。',
  },
  internal_error: { en: 'Internal error. Please retry.', zh: '内部错误，请重试。' },
  service_unavailable: { en: '{detail}', zh: '{detail}' },
  shutting_down: {
    en: 'The gateway is restarting and ended this request. Please retry in a few seconds.',
    zh: '网关正在重启，已结束此请求。请几秒后重试。',
  },
  upstream_rejected: { en: 'DeepSeek rejected the request: {detail}', zh: 'DeepSeek 拒绝了该请求：{detail}' },
  fim_max_tokens: {
    en: 'FIM completion allows max_tokens up to {limit}; this request asked for {value}.',
    zh: 'FIM 补全的 max_tokens 最大为 {limit}；此请求为 {value}。',
  },
  fim_thinking: {
    en: 'FIM completion runs in non-thinking mode only: leave thinking out (or disabled) and use a model without forced thinking, such as deepseek-v4-flash or deepseek-chat.',
    zh: 'FIM 补全仅支持非思考模式：请不要开启 thinking，并使用未强制思考的模型，例如 deepseek-v4-flash 或 deepseek-chat。',
  },
  server_tool_disabled: {
    en: 'The server-side tool {tool} ({kind}, billed by DeepSeek per call) is not enabled on this gateway. Remove it from the request, or ask the operator to set a price for it.',
    zh: '此网关未启用服务端工具 {tool}（{kind}，DeepSeek 按次计费）。请从请求中移除它，或请运营者为其设置价格。',
  },
  server_tool_files: {
    en: 'This request sends {count} files for parsing; at most {limit} are allowed per request.',
    zh: '此请求发送了 {count} 个待解析的文件；每个请求最多 {limit} 个。',
  },
  // checkout
  checkout_disabled: {
    en: 'Online checkout is turned off: this gateway has no PayPal credentials (PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET). Ask the operator for a key.',
    zh: '在线购买未开启：此网关未配置 PayPal 凭据（PAYPAL_CLIENT_ID 和 PAYPAL_CLIENT_SECRET）。请联系运营者获取密钥。',
  },
  payment_provider_error: {
    en: 'PayPal could not handle the request right now ({detail}). Please try again in a moment.',
    zh: 'PayPal 暂时无法处理该请求（{detail}）。请稍后重试。',
  },
  order_not_found: {
    en: 'No order matches these details. Check the order id and the email address used at checkout.',
    zh: '没有与这些信息匹配的订单。请检查订单号和购买时使用的邮箱地址。',
  },
  order_not_paid: {
    en: 'This order has no key to replace: its status is {status}.',
    zh: '此订单没有可更换的密钥：订单状态为 {status}。',
  },
  lookup_rate_limited: {
    en: 'Too many order lookups from your address. Try again in {seconds} s.',
    zh: '来自您地址的订单查询过多。请在 {seconds} 秒后重试。',
  },
  webhook_signature_invalid: {
    en: 'The webhook signature could not be verified.',
    zh: '无法验证 webhook 签名。',
  },
  webhook_rate_limited: {
    en: 'Too many webhook deliveries that could not be verified from your address. Try again in {seconds} s.',
    zh: '来自您地址的无法验证的 webhook 请求过多。请在 {seconds} 秒后重试。',
  },
  checkout_rate_limited: {
    en: 'Too many new orders from your address. Try again in {seconds} s, or finish an order you already started.',
    zh: '来自您地址的新订单过多。请在 {seconds} 秒后重试，或完成已创建的订单。',
  },
  // admin
  invalid_admin_token: {
    en: 'Missing or incorrect admin token. Send it as "Authorization: Bearer ADMIN_TOKEN".',
    zh: '缺少管理令牌或令牌不正确。请以 "Authorization: Bearer ADMIN_TOKEN" 的形式发送。',
  },
  admin_rate_limited: {
    en: 'Too many failed admin logins from your address. Try again in {seconds} s.',
    zh: '来自您地址的管理登录失败次数过多。请在 {seconds} 秒后重试。',
  },
  invalid_metrics_token: {
    en: 'Missing or incorrect metrics token. Send it as "Authorization: Bearer TOLLGATE_METRICS_TOKEN".',
    zh: '缺少指标令牌或令牌不正确。请以 "Authorization: Bearer TOLLGATE_METRICS_TOKEN" 的形式发送。',
  },
  metrics_forbidden: {
    en: 'Metrics are served only to loopback and the trusted proxies (TOLLGATE_TRUSTED_PROXIES), or with TOLLGATE_METRICS_TOKEN.',
    zh: '指标仅对本机回环地址和受信任的代理（TOLLGATE_TRUSTED_PROXIES）开放，或需提供 TOLLGATE_METRICS_TOKEN。',
  },
  key_auth_rate_limited: {
    en: 'Too many requests with a wrong API key from your address. Try again in {seconds} s.',
    zh: '来自您地址的错误 API 密钥请求过多。请在 {seconds} 秒后重试。',
  },
  admin_not_found: { en: 'No {what} with id {id}.', zh: '没有 id 为 {id} 的{what}。' },
  admin_conflict: { en: '{detail}', zh: '{detail}' },
} satisfies Messages;

export type MessageKey = keyof typeof MESSAGES;

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    readonly key: MessageKey,
    readonly params: MessageParams = {},
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(renderMessage(key, params, 'en'));
    this.name = 'GatewayError';
  }

  messageIn(lang: Lang): string {
    return renderMessage(this.key, this.params, lang);
  }

  toBody(lang: Lang): OpenAIErrorBody {
    return { error: { message: this.messageIn(lang), type: this.type, code: this.code, param: this.param } };
  }

  toAnthropicBody(lang: Lang): AnthropicErrorBody {
    return { type: 'error', error: { type: anthropicType(this.status), message: this.messageIn(lang) } };
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** The error bodies a protocol's clients read: OpenAI's (chat, FIM, Responses and every other path) or Anthropic's. */
export type ErrorShape = 'openai' | 'anthropic';

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

/** Anthropic's error type for a status; other 4xx are invalid requests, other 5xx API errors (as Anthropic does). */
function anthropicType(status: number): string {
  return ANTHROPIC_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

/** The HTTP status in a shape: Anthropic's clients know "overloaded" as 529, not 503. */
export function statusIn(error: GatewayError, shape: ErrorShape): number {
  return shape === 'anthropic' && error.status === 503 ? 529 : error.status;
}

/** The error's JSON body in a protocol's shape. */
export function errorBody(error: GatewayError, lang: Lang, shape: ErrorShape): OpenAIErrorBody | AnthropicErrorBody {
  return shape === 'anthropic' ? error.toAnthropicBody(lang) : error.toBody(lang);
}

function renderMessage(key: MessageKey, params: MessageParams, lang: Lang): string {
  const template = MESSAGES[key][lang];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export const Err = {
  invalidJson: () => new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'invalid_json'),
  invalidUtf8: () => new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'invalid_utf8'),
  invalidBody: (detail: string, param: string | null = null) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'invalid_body', { detail }, param),
  invalidField: (param: string, detail: string) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'invalid_field', { param, detail }, param),
  /** Not an origin-form target with a sane Host (Bun then hands over the bare target as the URL). */
  badRequestTarget: () => new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'bad_request_target', {}, null, { connection: 'close' }),
  missingKey: () => new GatewayError(401, 'authentication_error', 'invalid_api_key', 'missing_key'),
  invalidKey: () => new GatewayError(401, 'authentication_error', 'invalid_api_key', 'invalid_key'),
  /** well formed, but no such key: a guess, which the brute-force limit counts */
  unknownKey: () => new GatewayError(401, 'authentication_error', 'invalid_api_key', 'unknown_key'),
  disabledKey: () => new GatewayError(401, 'authentication_error', 'invalid_api_key', 'disabled_key'),
  budgetExhausted: () => new GatewayError(402, 'insufficient_quota', 'insufficient_quota', 'budget_exhausted'),
  budgetTooLow: (remaining: string) =>
    new GatewayError(402, 'insufficient_quota', 'insufficient_quota', 'budget_too_low', { remaining }),
  keyExpired: (date: string) => new GatewayError(402, 'insufficient_quota', 'insufficient_quota', 'key_expired', { date }),
  modelNotAllowed: (model: string, models: string[]) =>
    new GatewayError(403, 'permission_error', 'model_not_allowed', 'model_not_allowed', { model, models: models.join(', ') }, 'model'),
  modelNotFound: (model: string) =>
    new GatewayError(404, 'invalid_request_error', 'model_not_found', 'model_not_found', { model }, 'model'),
  notFound: (path: string) => new GatewayError(404, 'invalid_request_error', 'not_found', 'not_found', { path }),
  /** Closes the connection: the rest of the body is never read. */
  requestTooLarge: (limit: number) =>
    new GatewayError(413, 'invalid_request_error', 'request_too_large', 'request_too_large', { limit }, null, { connection: 'close' }),
  rateLimited: (limit: number, retryAfterSeconds: number, headers: Record<string, string> = {}) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'rate_limited', { limit, seconds: retryAfterSeconds }, null, {
      ...headers,
      'retry-after': String(retryAfterSeconds),
    }),
  tooManyConcurrent: (limit: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'too_many_concurrent', { limit }, null, { 'retry-after': '1' }),
  upstreamError: () => new GatewayError(502, 'api_error', 'upstream_error', 'upstream_error'),
  upstreamUnavailable: () => new GatewayError(503, 'api_error', 'upstream_unavailable', 'upstream_unavailable', {}, null, { 'retry-after': '5' }),
  upstreamTimeout: () => new GatewayError(504, 'api_error', 'upstream_timeout', 'upstream_timeout'),
  upstreamMalformed: () => new GatewayError(502, 'api_error', 'upstream_error', 'upstream_malformed'),
  upstreamTooLarge: (limit: number) => new GatewayError(502, 'api_error', 'upstream_error', 'upstream_too_large', { limit }),
  tooManyStreams: (limit: number) => new GatewayError(503, 'api_error', 'too_many_streams', 'too_many_streams', { limit }, null, { 'retry-after': '5' }),
  upstreamRejected: (detail: string) => new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'upstream_rejected', { detail }),
  fimMaxTokens: (limit: number, value: number) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'fim_max_tokens', { limit, value }, 'max_tokens'),
  /** `param` names what asked for thinking: the body's thinking field, or a model alias that forces it */
  fimThinking: (param: 'thinking' | 'model') => new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'fim_thinking', {}, param),
  /** A server-side tool (web search, URL reading, file parsing) the price book has no per-call price for. */
  serverToolDisabled: (tool: string, kind: string, param: string) =>
    new GatewayError(400, 'invalid_request_error', 'server_tool_not_enabled', 'server_tool_disabled', { tool, kind }, param),
  serverToolFiles: (limit: number, count: number, param: string) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request_error', 'server_tool_files', { limit, count }, param),
  internal: () => new GatewayError(500, 'api_error', 'internal_error', 'internal_error'),
  /** The gateway is stopping (SIGTERM/SIGINT): new requests are refused, late ones ended. */
  shuttingDown: () => new GatewayError(503, 'api_error', 'shutting_down', 'shutting_down', {}, null, { 'retry-after': '5' }),
  serviceUnavailable: (detail: string, code = 'service_unavailable') =>
    new GatewayError(503, 'api_error', code, 'service_unavailable', { detail }),
  // checkout
  checkoutDisabled: () => new GatewayError(503, 'api_error', 'checkout_disabled', 'checkout_disabled'),
  paymentProviderError: (detail: string) => new GatewayError(502, 'api_error', 'payment_provider_error', 'payment_provider_error', { detail }),
  /** PayPal is needed to answer (e.g. to verify a webhook) and cannot be reached: the caller should retry. */
  paymentProviderUnavailable: (detail: string) =>
    new GatewayError(503, 'api_error', 'payment_provider_error', 'payment_provider_error', { detail }, null, { 'retry-after': '30' }),
  orderNotFound: () => new GatewayError(404, 'invalid_request_error', 'order_not_found', 'order_not_found'),
  orderNotPaid: (status: string) => new GatewayError(409, 'invalid_request_error', 'order_not_paid', 'order_not_paid', { status }),
  lookupRateLimited: (retryAfterSeconds: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'lookup_rate_limited', { seconds: retryAfterSeconds }, null, {
      'retry-after': String(retryAfterSeconds),
    }),
  // admin
  invalidAdminToken: () => new GatewayError(401, 'authentication_error', 'invalid_admin_token', 'invalid_admin_token'),
  adminRateLimited: (retryAfterSeconds: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'admin_rate_limited', { seconds: retryAfterSeconds }, null, {
      'retry-after': String(retryAfterSeconds),
    }),
  invalidMetricsToken: () => new GatewayError(401, 'authentication_error', 'invalid_metrics_token', 'invalid_metrics_token'),
  metricsForbidden: () => new GatewayError(403, 'permission_error', 'metrics_forbidden', 'metrics_forbidden'),
  /** An address sent too many wrong API keys: until it has waited, its wrong keys get this (its valid ones are slowed, not refused). */
  keyAuthRateLimited: (retryAfterSeconds: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'key_auth_rate_limited', { seconds: retryAfterSeconds }, null, {
      'retry-after': String(retryAfterSeconds),
    }),
  adminNotFound: (what: string, id: string) => new GatewayError(404, 'invalid_request_error', 'not_found', 'admin_not_found', { what, id }),
  /** The change is well-formed but cannot be made in the current state. */
  conflict: (detail: string) => new GatewayError(409, 'invalid_request_error', 'conflict', 'admin_conflict', { detail }),
  webhookSignatureInvalid: () => new GatewayError(400, 'invalid_request_error', 'webhook_signature_invalid', 'webhook_signature_invalid'),
  webhookRateLimited: (retryAfterSeconds: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'webhook_rate_limited', { seconds: retryAfterSeconds }, null, {
      'retry-after': String(retryAfterSeconds),
    }),
  checkoutRateLimited: (retryAfterSeconds: number) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'checkout_rate_limited', { seconds: retryAfterSeconds }, null, {
      'retry-after': String(retryAfterSeconds),
    }),
};

// ---- the one global mapper -------------------------------------------------------------

interface ValidationLike {
  all?: { path?: string; summary?: string; message?: string }[];
  valueError?: { path?: string; message?: string };
}

/** Turns anything thrown into a GatewayError. */
export function toGatewayError(code: string | number, error: unknown, path: string): GatewayError {
  if (error instanceof GatewayError) return error;
  // Elysia wraps whatever a body parser throws in its ParseError: a 413 from our reader stays a 413.
  if (error instanceof Error && error.cause instanceof GatewayError) return error.cause;
  switch (code) {
    case 'PARSE':
      return Err.invalidJson();
    case 'VALIDATION': {
      // The shallowest failing field is the one to name: a string where an array belongs, not its items.
      const first = [...((error as ValidationLike).all ?? [])].sort((a, b) => (a.path ?? '').split('/').length - (b.path ?? '').split('/').length)[0];
      const param = first?.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : null;
      const detail = first?.summary ?? first?.message ?? 'the body does not match the schema';
      return param ? Err.invalidField(param, detail) : Err.invalidBody(detail);
    }
    case 'NOT_FOUND':
      return Err.notFound(path);
    default:
      return Err.internal();
  }
}

/** The one place an error becomes a response, in the shape of the protocol the request spoke (retry-after and the rate headers kept). */
export function errorResponse(error: GatewayError, lang: Lang, shape: ErrorShape = 'openai'): Response {
  return new Response(JSON.stringify(errorBody(error, lang, shape)), {
    status: statusIn(error, shape),
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  });
}
