import { describe, expect, it } from 'bun:test';
import { createFailureLimiter } from '../../server/modules/metering/auth-failures';
import { clientAddress, isKeyHolderPath } from '../../server/plugins/auth';

const server = (peer: string) => ({ requestIP: () => ({ address: peer }) });
const request = (xff?: string) => new Request('http://gw.test/v1/models', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });

describe('the failure limiter', () => {
  it('lets an address fail up to the limit, then tells it how long to wait', () => {
    let now = 1_000_000;
    const limiter = createFailureLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('a')).toBe(0);
      limiter.fail('a');
      now += 1000;
    }
    expect(limiter.retryAfterSeconds('a')).toBe(57);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
  });

  it('lets the address try again once its oldest counted failure leaves the window', () => {
    let now = 0;
    const limiter = createFailureLimiter({ limit: 2, windowMs: 10_000, now: () => now });
    limiter.fail('a');
    now = 5000;
    limiter.fail('a');
    expect(limiter.retryAfterSeconds('a')).toBe(5);
    now = 10_001;
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });

  it('remembers at most maxAddresses addresses, forgetting the longest-quiet first', () => {
    let now = 0;
    const limiter = createFailureLimiter({ limit: 1, windowMs: 60_000, maxAddresses: 100, now: () => now });
    for (let i = 0; i < 1000; i++) {
      limiter.fail(`10.0.${i >> 8}.${i & 255}`);
      now += 1;
    }
    expect(limiter.size()).toBeLessThanOrEqual(100);
    expect(limiter.retryAfterSeconds('10.0.3.231')).toBeGreaterThan(0); // the newest is still locked out
    expect(limiter.retryAfterSeconds('10.0.0.0')).toBe(0);
  });
});

describe('the client address', () => {
  const trusted = ['127.0.0.1', '::1'];

  it('is the socket peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress(server('198.51.100.4'), request('203.0.113.9'), trusted)).toBe('198.51.100.4');
  });

  it('is the right-most untrusted X-Forwarded-For entry behind a trusted proxy', () => {
    expect(clientAddress(server('127.0.0.1'), request('1.1.1.1, 203.0.113.9, 127.0.0.1'), trusted)).toBe('203.0.113.9');
    expect(clientAddress(server('::ffff:127.0.0.1'), request('203.0.113.9'), trusted)).toBe('203.0.113.9');
  });

  it('is the trusted peer itself when there is no forwarded address', () => {
    expect(clientAddress(server('127.0.0.1'), request(), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('127.0.0.1'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('203.0.113.9'), [])).toBe('127.0.0.1');
  });
});

describe('the key-holder paths', () => {
  it('are the OpenAI-compatible API and the key holder endpoints, nothing else', () => {
    for (const path of ['/v1/chat/completions', '/v1/models/x', '/chat/completions', '/models', '/models/x', '/user/balance', '/api/usage', '/api/usage/daily', '/api/key/settings']) {
      expect(isKeyHolderPath(path)).toBe(true);
    }
    for (const path of ['/', '/admin', '/admin/api/keys', '/api/checkout', '/api/orders/lookup', '/api/plans', '/api/usagex', '/v1x', '/docs']) {
      expect(isKeyHolderPath(path)).toBe(false);
    }
  });
});
