import { describe, expect, it } from 'bun:test';
import { Err, errorResponse, type GatewayError } from '../../server/errors';
import { errorShapeOf } from '../../server/modules/proxy/protocols';

// One mapper, two shapes: OpenAI's everywhere, Anthropic's on the Anthropic Messages paths.

const CASES: [string, GatewayError, number, string][] = [
  ['a bad body', Err.invalidJson(), 400, 'invalid_request_error'],
  ['a missing key', Err.missingKey(), 401, 'authentication_error'],
  ['an empty budget', Err.budgetExhausted(), 402, 'billing_error'],
  ['a model outside the plan', Err.modelNotAllowed('deepseek-v4-pro', ['deepseek-v4-flash']), 403, 'permission_error'],
  ['an unknown model', Err.modelNotFound('claude-9'), 404, 'not_found_error'],
  ['a body too large', Err.requestTooLarge(1024), 413, 'request_too_large'],
  ['the rate limit', Err.rateLimited(60, 7), 429, 'rate_limit_error'],
  ['a gateway fault', Err.internal(), 500, 'api_error'],
  ['an upstream fault', Err.upstreamError(), 502, 'api_error'],
  ['an overloaded upstream', Err.upstreamUnavailable(), 529, 'overloaded_error'],
  ['an upstream time-out', Err.upstreamTimeout(), 504, 'timeout_error'],
];

describe('errors in Anthropic’s shape', () => {
  for (const [what, error, status, type] of CASES) {
    it(`renders ${what} as ${status} ${type}`, async () => {
      const res = errorResponse(error, 'en', 'anthropic');
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({ type: 'error', error: { type, message: error.messageIn('en') } });
    });
  }

  it('keeps retry-after and the rate headers', () => {
    const res = errorResponse(Err.rateLimited(60, 7, { 'x-ratelimit-limit-requests': '60' }), 'en', 'anthropic');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('60');
    expect(errorResponse(Err.upstreamUnavailable(), 'en', 'anthropic').headers.get('retry-after')).toBe('5');
  });

  it('answers in the client’s language', async () => {
    const body = (await errorResponse(Err.budgetExhausted(), 'zh', 'anthropic').json()) as { error: { message: string } };
    expect(body.error.message).toBe(Err.budgetExhausted().messageIn('zh'));
  });

  it('leaves OpenAI’s shape and statuses as they were by default', async () => {
    const res = errorResponse(Err.upstreamUnavailable(), 'en');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(Err.upstreamUnavailable().toBody('en'));
  });
});

describe('the error shape of a path', () => {
  it('is the protocol’s: OpenAI’s for chat, FIM and every other path, Anthropic’s under /anthropic/', () => {
    for (const path of ['/v1/chat/completions', '/chat/completions', '/beta/chat/completions', '/beta/completions', '/v1/completions', '/completions', '/api/usage', '/v1/nothing']) {
      expect({ path, shape: errorShapeOf(path) }).toEqual({ path, shape: 'openai' });
    }
    for (const path of ['/anthropic/v1/messages', '/anthropic/messages', '/anthropic/v1/nothing']) expect({ path, shape: errorShapeOf(path) }).toEqual({ path, shape: 'anthropic' });
  });
});
