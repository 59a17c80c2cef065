import { describe, expect, it } from 'bun:test';
import { Err, GatewayError, toGatewayError } from '../../server/errors';
import { langFromAcceptLanguage } from '../../server/lib/i18n';

describe('the error mapper', () => {
  it('shapes errors like OpenAI, with the same type and code in every language', () => {
    const error = Err.modelNotAllowed('deepseek-v4-pro', ['deepseek-v4-flash']);
    const en = error.toBody('en');
    const zh = error.toBody('zh');
    expect(en).toEqual({
      error: {
        message: 'Your plan does not include the model deepseek-v4-pro. Models in your plan: deepseek-v4-flash.',
        type: 'permission_error',
        code: 'model_not_allowed',
        param: 'model',
      },
    });
    expect(zh.error.message).toContain('deepseek-v4-flash');
    expect(zh.error.message).not.toBe(en.error.message);
    expect({ ...zh.error, message: '' }).toEqual({ ...en.error, message: '' });
  });

  it('maps framework errors to the contract codes', () => {
    expect(toGatewayError('PARSE', new Error('x'), '/v1/chat/completions')).toMatchObject({ status: 400, code: 'invalid_request_error' });
    const validation = toGatewayError('VALIDATION', { all: [{ path: '/messages/0/role', summary: 'Expected string' }] }, '/x');
    expect(validation).toMatchObject({ status: 400, code: 'invalid_request_error', param: 'messages.0.role' });
    expect(toGatewayError('NOT_FOUND', new Error('x'), '/nope')).toMatchObject({ status: 404, code: 'not_found' });
    expect(toGatewayError('UNKNOWN', new Error('secret detail'), '/x').toBody('en').error.message).not.toContain('secret');
  });

  it('passes a GatewayError through untouched', () => {
    const error = Err.rateLimited(30, 7);
    expect(toGatewayError('UNKNOWN', error, '/x')).toBe(error);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.headers['retry-after']).toBe('7');
  });

  it.each([
    [null, 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['en-US,en;q=0.9,zh;q=0.8', 'en'],
    ['fr-FR, zh-TW;q=0.5', 'zh'],
    ['de', 'en'],
    ['en;q=0.1, zh;q=0.9', 'zh'],
  ])('reads Accept-Language %p as %p', (header, lang) => {
    expect(langFromAcceptLanguage(header)).toBe(lang as 'en' | 'zh');
  });
});
