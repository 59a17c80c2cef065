import { describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig, parseDotEnv } from '../../server/config';

function configError(env: Record<string, string>, flags = {}): ConfigError {
  try {
    loadConfig(env, flags);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.keyPrefix).toBe('sk-gateway-');
    expect(config.deepseekBaseUrl).toBe('https://api.deepseek.com');
    expect(config.deepseekApiKeys).toEqual([]);
    expect(config.paypal.mode).toBe('sandbox');
    expect(config.paypal.apiUrl).toBe('https://api-m.sandbox.paypal.com');
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.maxOpenStreams).toBe(1000);
    expect(config.maxUpstreamBodyBytes).toBe(32 * 1024 * 1024);
  });

  it('splits a pool of DeepSeek keys on commas', () => {
    expect(loadConfig({ DEEPSEEK_API_KEY: 'sk-a, sk-b,,sk-c ' }).deepseekApiKeys).toEqual(['sk-a', 'sk-b', 'sk-c']);
  });

  it('lets flags beat the environment', () => {
    const config = loadConfig({ TOLLGATE_PORT: '9000', TOLLGATE_HOST: '0.0.0.0', TOLLGATE_DATA_DIR: '/tmp/env-dir' }, { port: '9100', host: '127.0.0.1', dataDir: '/tmp/flag-dir' });
    expect(config.port).toBe(9100);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe('/tmp/flag-dir');
    expect(config.publicUrl).toBe('http://localhost:9100');
  });

  it('picks the live PayPal URL in live mode unless overridden', () => {
    expect(loadConfig({ PAYPAL_MODE: 'live' }).paypal.apiUrl).toBe('https://api-m.paypal.com');
    expect(loadConfig({ PAYPAL_MODE: 'live', PAYPAL_API_URL: 'http://127.0.0.1:1/' }).paypal.apiUrl).toBe('http://127.0.0.1:1');
  });

  it.each([
    [{ TOLLGATE_PORT: 'eighty' }, 'TOLLGATE_PORT'],
    [{ TOLLGATE_PORT: '70000' }, 'TOLLGATE_PORT'],
    [{ TOLLGATE_PUBLIC_URL: 'not a url' }, 'TOLLGATE_PUBLIC_URL'],
    [{ TOLLGATE_PUBLIC_URL: 'ftp://example.com' }, 'TOLLGATE_PUBLIC_URL'],
    [{ DEEPSEEK_BASE_URL: '::' }, 'DEEPSEEK_BASE_URL'],
    [{ PAYPAL_MODE: 'production' }, 'PAYPAL_MODE'],
    [{ PAYPAL_CLIENT_ID: 'only-the-id' }, 'PAYPAL_CLIENT_SECRET'],
    [{ PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret' }, 'PAYPAL_WEBHOOK_ID'],
    [{ PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'https://example.com/hook' }, 'PAYPAL_WEBHOOK_ID'],
    [{ TOLLGATE_ADMIN_TOKEN: 'short' }, 'TOLLGATE_ADMIN_TOKEN'],
    [{ TOLLGATE_KEY_PREFIX: 'has space' }, 'TOLLGATE_KEY_PREFIX'],
    [{ TOLLGATE_LOG_LEVEL: 'loud' }, 'TOLLGATE_LOG_LEVEL'],
    [{ TOLLGATE_MAX_OPEN_STREAMS: '0' }, 'TOLLGATE_MAX_OPEN_STREAMS'],
    [{ TOLLGATE_MAX_UPSTREAM_BODY_BYTES: 'lots' }, 'TOLLGATE_MAX_UPSTREAM_BODY_BYTES'],
    [{ TOLLGATE_METRICS_TOKEN: 'too-short' }, 'TOLLGATE_METRICS_TOKEN'],
    [{ TOLLGATE_TRUSTED_PROXIES: '127.0.0.1,<script>' }, 'TOLLGATE_TRUSTED_PROXIES'],
    [{ TOLLGATE_TRUSTED_PROXIES: '10.0.0.0/33' }, 'TOLLGATE_TRUSTED_PROXIES'],
    [{ TOLLGATE_TRUSTED_PROXIES: 'proxy.internal' }, 'TOLLGATE_TRUSTED_PROXIES'],
  ] as [Record<string, string>, string][])('rejects %p naming %s', (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('reads the trusted proxies as addresses and CIDR ranges, in canonical form', () => {
    expect(loadConfig({}).trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(loadConfig({ TOLLGATE_TRUSTED_PROXIES: '172.17.0.1, 10.0.0.0/8,2001:DB8:0:0::1,fd00::/8' }).trustedProxies).toEqual(['172.17.0.1', '10.0.0.0/8', '2001:db8::1', 'fd00::/8']);
    expect(loadConfig({ TOLLGATE_TRUSTED_PROXIES: 'none' }).trustedProxies).toEqual([]);
  });

  it('takes a metrics token of 16 characters or more', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ TOLLGATE_METRICS_TOKEN: 'metrics-0123456789' }).metricsToken).toBe('metrics-0123456789');
  });

  it('names the flag when a flag is bad', () => {
    expect(configError({}, { port: 'x' }).variable).toBe('--port');
  });

  it('parses a .env file with comments, quotes and export', () => {
    expect(parseDotEnv('# comment\nexport A=1\nB="two words"\nC=three # trailing\n\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'three' });
  });
});
