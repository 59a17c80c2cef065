import { describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig } from '../../server/config';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const SCALE_OUT = {
  TOLLGATE_DATABASE_URL: 'postgres://tollgate:s3cret-pass@db.internal:5432/tollgate',
  TOLLGATE_REDIS_URL: 'redis://cache.internal:6379',
  TOLLGATE_SERVER_SECRET: SECRET,
  TOLLGATE_ADMIN_TOKEN: 'tg-admin-0123456789abcdef',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the scale-out configuration', () => {
  it('is off without TOLLGATE_DATABASE_URL: SQLite in the data dir, as always', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.serverSecret).toBeUndefined();
  });

  it('takes PostgreSQL, Redis, the secret and the admin token from the environment', () => {
    const config = loadConfig(SCALE_OUT);
    expect(config.databaseUrl).toBe(SCALE_OUT.TOLLGATE_DATABASE_URL);
    expect(config.redisUrl).toBe(SCALE_OUT.TOLLGATE_REDIS_URL);
    expect(config.serverSecret).toBe(SECRET);
    expect(config.adminToken).toBe(SCALE_OUT.TOLLGATE_ADMIN_TOKEN);
    expect(loadConfig({ ...SCALE_OUT, TOLLGATE_DATABASE_URL: 'postgresql://db/tollgate', TOLLGATE_REDIS_URL: 'rediss://cache:6380/2' }).redisUrl).toBe('rediss://cache:6380/2');
  });

  it('needs Redis, the shared secret and the shared admin token with PostgreSQL, naming what is missing', () => {
    for (const missing of ['TOLLGATE_REDIS_URL', 'TOLLGATE_SERVER_SECRET', 'TOLLGATE_ADMIN_TOKEN'] as const) {
      const error = configError({ ...SCALE_OUT, [missing]: undefined });
      expect(error.variable).toBe(missing);
      expect(error.message).toStartWith(`${missing}: required with TOLLGATE_DATABASE_URL`);
      expect(error.message).not.toContain('\n');
    }
  });

  it('refuses URLs of the wrong kind, without repeating a password', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ TOLLGATE_DATABASE_URL: 'mysql://root:hunter2@db/x' }, 'TOLLGATE_DATABASE_URL', /must start with postgres:\/\/ or postgresql:\/\//],
      [{ TOLLGATE_DATABASE_URL: 'db.internal:5432 password=hunter2' }, 'TOLLGATE_DATABASE_URL', /must start with postgres:\/\//],
      [{ TOLLGATE_DATABASE_URL: 'host=db password=hunter2' }, 'TOLLGATE_DATABASE_URL', /not a URL \(use postgres:\/\/user:password@host:5432\/tollgate\)/],
      [{ TOLLGATE_DATABASE_URL: 'postgres:///tollgate?password=hunter2' }, 'TOLLGATE_DATABASE_URL', /names no host/],
      [{ TOLLGATE_REDIS_URL: 'http://hunter2@cache:6379' }, 'TOLLGATE_REDIS_URL', /must start with redis:\/\/ or rediss:\/\//],
      [{ TOLLGATE_REDIS_URL: 'cache:6379:hunter2' }, 'TOLLGATE_REDIS_URL', /must start with redis/],
    ];
    for (const [override, variable, pattern] of cases) {
      const error = configError({ ...SCALE_OUT, ...override });
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(pattern);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('refuses TOLLGATE_REDIS_URL without PostgreSQL: nothing would be shared', () => {
    expect(configError({ TOLLGATE_REDIS_URL: 'redis://cache:6379' }).variable).toBe('TOLLGATE_REDIS_URL');
  });

  it('accepts TOLLGATE_SERVER_SECRET on SQLite too, when it is 32 bytes in base64', () => {
    expect(loadConfig({ TOLLGATE_SERVER_SECRET: SECRET }).serverSecret).toBe(SECRET);
    for (const bad of ['short', Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), `${SECRET.slice(0, -2)}!=`]) {
      expect(configError({ TOLLGATE_SERVER_SECRET: bad }).message).toBe('TOLLGATE_SERVER_SECRET: must be 32 random bytes in base64 (make one with: openssl rand -base64 32)');
    }
  });
});
