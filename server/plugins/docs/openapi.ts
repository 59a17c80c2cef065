import { toOpenAPISchema } from '@elysiajs/openapi';
import type { Elysia } from 'elysia';
import pkg from '../../../package.json';

// The OpenAPI documents, generated from the routes' own `t` schemas and `detail`s, then completed
// here with what every operation shares: the security schemes, the error shape, and an example for
// every JSON body that has none.

type Json = Record<string, unknown>;
type Operation = Json & { tags?: string[]; security?: Json[]; responses?: Record<string, Json>; requestBody?: Json; parameters?: Json[] };

export const DOC_TAGS = [
  { name: 'OpenAI-compatible', description: 'What an OpenAI or DeepSeek client calls, with a buyer key (`sk-gateway-…`) as bearer. Both `https://HOST/v1` and `https://HOST` work as base URL.' },
  { name: 'Anthropic-compatible', description: 'What Claude Code and the Anthropic SDKs call: base URL `https://HOST/anthropic` (or `https://HOST`), the buyer key as `x-api-key` or bearer. Errors in Anthropic\'s shape `{"type": "error", "error": {"type", "message"}}`.' },
  { name: 'Buyer', description: "A buyer's own usage and settings, with the buyer key as bearer." },
  { name: 'Checkout', description: 'Plans, prices and buying a key with PayPal; finding an order again. No authentication.' },
  { name: 'Admin', description: "The operator's API under /admin/api, with the admin token as bearer." },
  { name: 'Operations', description: 'Health and Prometheus metrics for the operator. No authentication.' },
];

/** Which of the two documents an operation belongs in: the operator's (admin API, health, metrics) or the public one. */
export type DocumentName = 'public' | 'admin';
function documentOf(path: string, op: Operation): DocumentName {
  return path.startsWith('/admin/') || op.tags?.includes('Admin') || op.tags?.includes('Operations') ? 'admin' : 'public';
}

const INFO: Record<DocumentName, { title: string; description: string }> = {
  public: {
    title: 'Tollgate API',
    description:
      'A DeepSeek API reseller gateway. The chat, FIM and Responses APIs are OpenAI-compatible: give an OpenAI SDK this server (with or without `/v1`) as base URL and a buyer key `sk-gateway-…` as API key; errors come as `{"error": {"message", "type", "code", "param"}}`. Anthropic Messages (Claude Code) is at `https://HOST/anthropic`, with errors in Anthropic\'s shape. Money in JSON is a decimal string of USD with nine decimals, in fields ending `_usd`. The operator\'s API is described apart, at `/admin/docs`.',
  },
  admin: {
    title: 'Tollgate admin API',
    description:
      'The operator\'s API under `/admin/api`, with the admin token as bearer (`TOLLGATE_ADMIN_TOKEN`, or the one generated into the data dir on first start), and the health and metrics endpoints. Errors come as `{"error": {"message", "type", "code", "param"}}`; money in JSON is a decimal string of USD with nine decimals, in fields ending `_usd`. The buyers\' API is at `/docs`.',
  },
};

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code', 'param'],
      properties: {
        message: { type: 'string', description: 'English or Chinese, following Accept-Language' },
        type: { type: 'string', examples: ['invalid_request_error'] },
        code: { type: 'string', description: 'stable across languages', examples: ['invalid_api_key'] },
        param: { type: ['string', 'null'] },
      },
    },
  },
};

const errorResponse = (description: string, code: string, type: string, message: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { message, type, code, param: null } } } },
});

const ANTHROPIC_ERROR_SCHEMA = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { type: 'string', const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: { type: { type: 'string', examples: ['authentication_error'] }, message: { type: 'string', description: 'English or Chinese, following Accept-Language' } },
    },
  },
};

const anthropicError = (description: string, type: string, message: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/AnthropicError' }, example: { type: 'error', error: { type, message } } } },
});
const RETRY_AFTER = { 'retry-after': { description: 'seconds to wait', schema: { type: 'integer' } } };

/** Shared error responses; routes may refer to them from their own `detail.responses`. */
const ERROR_RESPONSES: Record<string, Json> = {
  BadRequest: errorResponse('The body is not valid JSON or breaks the schema', 'invalid_request_error', 'invalid_request_error', 'Invalid value for messages: Expected array'),
  Unauthorized: errorResponse('Key missing, malformed, unknown or disabled', 'invalid_api_key', 'authentication_error', 'Incorrect API key provided.'),
  PaymentRequired: errorResponse('Remaining budget too small, or the key expired', 'insufficient_quota', 'insufficient_quota', 'This key has no budget left. Top up or buy a new plan.'),
  Forbidden: errorResponse("The key's plan does not include the model", 'model_not_allowed', 'permission_error', 'Your plan does not include the model deepseek-v4-pro. Models in your plan: deepseek-v4-flash.'),
  NotFound: errorResponse('Unknown model or path', 'not_found', 'invalid_request_error', 'Not found: /v1/nothing'),
  TooLarge: errorResponse('The body is over the size limit', 'request_too_large', 'invalid_request_error', 'The request body is larger than 1048576 bytes.'),
  RateLimited: {
    ...errorResponse("Over the key's requests per minute or concurrency", 'rate_limit_exceeded', 'rate_limit_error', 'Rate limit reached: 60 requests per minute. Try again in 12 s.'),
    headers: { 'retry-after': { description: 'seconds to wait', schema: { type: 'integer' } } },
  },
  UpstreamError: errorResponse('DeepSeek failed (502), is overloaded or unreachable (503), or timed out (504)', 'upstream_error', 'api_error', 'The upstream service returned an error.'),
  Error: errorResponse('An error, in OpenAI\'s shape', 'not_found', 'invalid_request_error', 'Not found: /api/nothing'),
  // the same errors on the Anthropic paths, in Anthropic's shape and types
  AnthropicBadRequest: anthropicError('The body is not valid JSON or breaks the schema, or a server tool is not enabled', 'invalid_request_error', 'Invalid value for max_tokens: Expected integer'),
  AnthropicUnauthorized: anthropicError('Key missing, malformed, unknown or disabled', 'authentication_error', 'Incorrect API key provided.'),
  AnthropicPaymentRequired: anthropicError('Remaining budget too small, or the key expired', 'billing_error', 'This key has no budget left. Top up or buy a new plan.'),
  AnthropicForbidden: anthropicError("The key's plan does not include the model", 'permission_error', 'Your plan does not include the model claude-opus-4 (deepseek-v4-pro). Models in your plan: deepseek-v4-flash.'),
  AnthropicNotFound: anthropicError('Unknown model or path', 'not_found_error', 'The model gpt-4 does not exist.'),
  AnthropicTooLarge: anthropicError('The body is over the size limit', 'request_too_large', 'The request body is larger than 1048576 bytes.'),
  AnthropicRateLimited: anthropicError("Over the key's requests per minute or concurrency", 'rate_limit_error', 'Rate limit reached: 60 requests per minute. Try again in 12 s.', RETRY_AFTER),
  AnthropicUpstreamError: anthropicError('DeepSeek failed (502) or timed out (504)', 'api_error', 'The upstream service returned an error.'),
  AnthropicOverloaded: anthropicError('DeepSeek is overloaded or unreachable (503 elsewhere, 529 here)', 'overloaded_error', 'The service is temporarily unavailable. Please retry shortly.', RETRY_AFTER),
};

const SECURITY_SCHEMES = {
  buyerKey: { type: 'http', scheme: 'bearer', bearerFormat: 'sk-gateway-…', description: 'A buyer key issued by this gateway: `Authorization: Bearer sk-gateway-…`.' },
  buyerApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'On the Anthropic paths the buyer key may come as `x-api-key` instead (Authorization wins when both are sent).' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (TOLLGATE_ADMIN_TOKEN, or the one generated into the data dir on first start).' },
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A plausible value for a JSON schema: its own example first, then a default, then by type. */
export function exampleOf(schema: unknown, schemas: Record<string, unknown>, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as Json;
  if (typeof s.$ref === 'string') return exampleOf(schemas[s.$ref.slice(s.$ref.lastIndexOf('/') + 1)], schemas, depth + 1);
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ('example' in s) return s.example;
  if ('const' in s) return s.const;
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const variants = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants)) {
    const first = variants.find((v) => (v as Json)?.type !== 'null') ?? variants[0];
    return exampleOf(first, schemas, depth + 1);
  }
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((part) => exampleOf(part, schemas, depth + 1) as object));
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Json = {};
      for (const [name, prop] of Object.entries((s.properties ?? {}) as Json)) out[name] = exampleOf(prop, schemas, depth + 1);
      return out;
    }
    case 'array':
      return s.items ? [exampleOf(s.items, schemas, depth + 1)] : [];
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'string':
      return s.format === 'date-time' ? '2026-01-01T00:00:00.000Z' : 'string';
    default:
      return null;
  }
}

const STRING_FORMS = new Set(['integer', 'numeric', 'number', 'boolean']);

/**
 * Elysia's numeric and boolean types also accept their string forms (for query strings); in the
 * document `anyOf: [{type: string, format: integer}, {type: integer}]` only confuses readers and
 * clients, so each collapses to its real type.
 */
function collapseStringForms(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(collapseStringForms);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = collapseStringForms(v);
  const variants = out.anyOf;
  if (Array.isArray(variants) && variants.length === 2) {
    const [a, b] = variants as Json[];
    const stringForm = [a, b].find((v) => v?.type === 'string' && STRING_FORMS.has(String(v.format)));
    const real = [a, b].find((v) => v !== stringForm && (v?.type === 'integer' || v?.type === 'number' || v?.type === 'boolean'));
    if (stringForm && real) {
      const { anyOf: _, ...rest } = out;
      return { ...real, ...rest };
    }
  }
  return out;
}

function withExample(content: Json | undefined, schemas: Record<string, unknown>): void {
  if (!content) return;
  for (const [type, media] of Object.entries(content) as [string, Json][]) {
    if (!type.includes('json') || 'example' in media || 'examples' in media) continue;
    media.example = exampleOf(media.schema, schemas);
  }
}

/** Completes one generated operation: JSON only, tags, the errors every route can answer, examples. */
function completeOperation(op: Operation, schemas: Record<string, unknown>): void {
  // Swagger UI shows a summary as plain text (descriptions are Markdown): no code marks in it
  if (typeof op.summary === 'string') op.summary = op.summary.replaceAll('`', '');
  const body = op.requestBody as { content?: Record<string, Json> } | undefined;
  if (body?.content?.['application/json']) body.content = { 'application/json': body.content['application/json'] };
  withExample(body?.content, schemas);

  op.tags = op.tags?.length ? op.tags : ['Operations'];
  const responses = (op.responses ??= {});
  if (!Object.keys(responses).some((status) => status.startsWith('2') || status.startsWith('3'))) responses['200'] = { description: 'OK' };
  const secured = op.security?.some((requirement) => 'buyerKey' in requirement || 'buyerApiKeyHeader' in requirement || 'adminToken' in requirement);
  if (secured) responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
  if (body) responses['400'] ??= { $ref: '#/components/responses/BadRequest' };
  responses.default ??= { $ref: '#/components/responses/Error' };
  for (const [status, response] of Object.entries(responses)) {
    if (typeof response.description === 'string' && response.description.startsWith('Response for status ')) response.description = status.startsWith('2') ? 'Success' : `HTTP ${status}`;
    withExample(response.content as Json | undefined, schemas);
  }
}

/** One generated operation with its place. */
interface Located {
  path: string;
  method: string;
  op: Operation;
}

/**
 * The two OpenAPI 3.1 documents of the routes the app serves (hidden routes excluded): the public
 * one (OpenAI-compatible API, buyer and checkout APIs) and the operator's (admin API, operations).
 */
export function buildDocuments(app: Elysia, publicUrl: string): Record<DocumentName, Json> {
  const generated = toOpenAPISchema(app as never, { paths: [/^\/docs(\/|$)/, /^\/admin\/docs(\/|$)/, /^\/paypal-sandbox(\/|$)/], staticFile: false }, undefined, undefined, '3.1.0');
  // The generated objects share TypeBox schemas; a JSON round trip gives a private, symbol-free copy.
  const { paths, components } = collapseStringForms(JSON.parse(JSON.stringify(generated))) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
  // A named model carries `$id: "#/components/schemas/Name"`; in OpenAPI 3.1 an $id sets a new base
  // for the refs inside it, so Swagger UI could not resolve `#/components/...` there.
  for (const schema of Object.values(components.schemas ?? {})) if (schema && typeof schema === 'object') delete (schema as Json).$id;
  const schemas: Record<string, unknown> = { ...components.schemas, Error: ERROR_SCHEMA, AnthropicError: ANTHROPIC_ERROR_SCHEMA };

  const located: Located[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      completeOperation(op, schemas);
      located.push({ path, method, op });
    }
  }
  const build = (name: DocumentName): Json => {
    const mine = located.filter(({ path, op }) => documentOf(path, op) === name);
    const docPaths: Record<string, Record<string, Operation>> = {};
    for (const { path, method, op } of mine) (docPaths[path] ??= {})[method] = op;
    const used = new Set(mine.flatMap(({ op }) => op.tags ?? []));
    const tags = [...DOC_TAGS.filter((t) => used.has(t.name)), ...[...used].filter((tag) => !DOC_TAGS.some((t) => t.name === tag)).map((tag) => ({ name: tag }))];
    const schemes = Object.fromEntries(Object.entries(SECURITY_SCHEMES).filter(([scheme]) => mine.some(({ op }) => op.security?.some((requirement) => scheme in requirement))));
    return {
      openapi: '3.1.0',
      info: { ...INFO[name], version: pkg.version },
      servers: [{ url: publicUrl }],
      tags,
      paths: docPaths,
      components: { schemas: usedSchemas(docPaths, schemas), responses: ERROR_RESPONSES, securitySchemes: schemes },
    };
  };
  return { public: build('public'), admin: build('admin') };
}

/** The schemas a document's paths (and the shared error responses) refer to, followed through their own refs. */
function usedSchemas(paths: unknown, schemas: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!(name in out) && name in schemas) {
          out[name] = schemas[name];
          visit(schemas[name]);
        }
      } else visit(value);
    }
  };
  visit(paths);
  visit(ERROR_RESPONSES);
  return out;
}
