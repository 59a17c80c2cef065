import { describe, expect, it } from 'bun:test';
import { createFailureLimiter } from '../../server/modules/metering/auth-failures';
import { addressGroup, canonicalIp, ipMatcher, isPrivateAddress } from '../../server/lib/ip';
import { clientAddress, isKeyHolderPath, untrustedProxyWatch } from '../../server/plugins/auth';

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

  it('counts an IPv6 /64 as one address: a subscriber cannot step around it by picking another address', () => {
    const limiter = createFailureLimiter({ limit: 3, windowMs: 60_000 });
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff']) limiter.fail(address);
    expect(limiter.retryAfterSeconds('2001:db8:1:2:abcd::9')).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('2001:db8:1:3::1')).toBe(0);
    expect(limiter.anyLockedOut()).toBe(true);
  });

  it('knows when no address can be locked out, so nobody’s address needs working out', () => {
    let now = 0;
    const limiter = createFailureLimiter({ limit: 2, windowMs: 10_000, now: () => now });
    expect(limiter.anyLockedOut()).toBe(false);
    limiter.fail('a');
    expect(limiter.anyLockedOut()).toBe(false);
    limiter.fail('a');
    expect(limiter.anyLockedOut()).toBe(true);
    now = 10_001;
    expect(limiter.anyLockedOut()).toBe(false);
  });
});

describe('IP addresses', () => {
  it('are whatever node:net calls one, in one canonical spelling', () => {
    expect(canonicalIp(' 203.0.113.9 ')).toBe('203.0.113.9');
    expect(canonicalIp('203.0.113.9:5678')).toBe('203.0.113.9');
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(canonicalIp('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    for (const junk of ['<script>alert(1)</script>', 'unknown', '_hidden', '1.2.3', '256.1.1.1', '01.2.3.4', 'gateway.example.com', '', '[::1', '1.2.3.4:port']) {
      expect(canonicalIp(junk)).toBeNull();
    }
  });

  it('are grouped by /64 for IPv6 and alone for IPv4', () => {
    expect(addressGroup('203.0.113.9')).toBe('203.0.113.9');
    expect(addressGroup('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8::/64');
  });

  it('match address lists with CIDR ranges', () => {
    const match = ipMatcher(['172.16.0.0/12', '2001:db8::/32', '192.0.2.1']);
    expect(match('172.17.0.1')).toBe(true);
    expect(match('172.32.0.1')).toBe(false);
    expect(match('2001:db8:ffff::1')).toBe(true);
    expect(match('2001:db9::1')).toBe(false);
    expect(match('192.0.2.1')).toBe(true);
    expect(match('192.0.2.2')).toBe(false);
    expect(isPrivateAddress('172.17.0.1')).toBe(true);
    expect(isPrivateAddress('fd12::1')).toBe(true);
    expect(isPrivateAddress('203.0.113.9')).toBe(false);
    expect(isPrivateAddress('127.0.0.1')).toBe(false);
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

  it('never is a forwarded hop that is not an IP address: the walk stops at the proxy that passed it on', () => {
    expect(clientAddress(server('127.0.0.1'), request('<script>alert(1)</script>'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('203.0.113.9, <script>'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('<script>, 203.0.113.9'), trusted)).toBe('203.0.113.9');
    expect(clientAddress(server('127.0.0.1'), request('203.0.113.9, unknown, 127.0.0.1'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('[2001:DB8::7]:443'), trusted)).toBe('2001:db8::7');
    expect(clientAddress(server('<script>'), request('203.0.113.9'), trusted)).toBe('unknown');
  });

  it('believes X-Forwarded-For from a trusted range', () => {
    expect(clientAddress(server('172.17.0.1'), request('203.0.113.9'), ['172.16.0.0/12'])).toBe('203.0.113.9');
    expect(clientAddress(server('172.32.0.1'), request('203.0.113.9'), ['172.16.0.0/12'])).toBe('172.32.0.1');
  });

  it('is the trusted peer itself when there is no forwarded address', () => {
    expect(clientAddress(server('127.0.0.1'), request(), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('127.0.0.1'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(server('127.0.0.1'), request('203.0.113.9'), [])).toBe('127.0.0.1');
  });
});

describe('the untrusted-proxy warning', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, log: { warn: (msg: string) => lines.push(msg) } };
  };

  it('says once, naming the variable, that a private peer passing X-Forwarded-For is not trusted', () => {
    const { lines, log } = capture();
    const watch = untrustedProxyWatch(['127.0.0.1', '::1'], log);
    for (let i = 0; i < 5; i++) watch(server('172.17.0.1'), request('203.0.113.9'));
    watch(server('::ffff:10.1.2.3'), request('203.0.113.9'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('172.17.0.1');
    expect(lines[0]).toContain('TOLLGATE_TRUSTED_PROXIES');
  });

  it('says nothing for a trusted peer, a public peer, or a request without X-Forwarded-For', () => {
    const { lines, log } = capture();
    const watch = untrustedProxyWatch(['127.0.0.1', '172.16.0.0/12'], log);
    watch(server('172.17.0.1'), request('203.0.113.9'));
    watch(server('198.51.100.4'), request('203.0.113.9'));
    watch(server('10.0.0.5'), request());
    watch(server('127.0.0.1'), request('203.0.113.9'));
    expect(lines).toHaveLength(0);
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
