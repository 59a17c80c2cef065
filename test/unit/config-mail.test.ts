import { describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig } from '../../server/config';

const load = (env: Record<string, string>) => loadConfig(env, { dataDir: '/tmp/tollgate-config-test' });
const failure = (env: Record<string, string>): ConfigError => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('TOLLGATE_SMTP_URL and TOLLGATE_MAIL_FROM', () => {
  it('leave mail off when neither is set', () => {
    expect(load({}).mail).toBeUndefined();
  });

  it('read smtp:// and smtps:// URLs, with the port the scheme implies', () => {
    const plain = load({ TOLLGATE_SMTP_URL: 'smtp://user:secret@mail.example.com:587', TOLLGATE_MAIL_FROM: 'Tollgate <noreply@example.com>' }).mail!;
    expect(plain).toEqual({ smtpUrl: 'smtp://user:secret@mail.example.com:587', server: 'smtp://mail.example.com:587', from: 'Tollgate <noreply@example.com>', retrySeconds: 30 });
    const tls = load({ TOLLGATE_SMTP_URL: 'smtps://user:secret@mail.example.com', TOLLGATE_MAIL_FROM: 'noreply@example.com' }).mail!;
    expect(tls.server).toBe('smtps://mail.example.com:465');
  });

  it('refuse one without the other, a wrong scheme, a password without a user and a bad sender, never repeating the password', () => {
    const cases: [Record<string, string>, string][] = [
      [{ TOLLGATE_SMTP_URL: 'smtp://u:hunter2pass@h:587' }, 'TOLLGATE_MAIL_FROM'],
      [{ TOLLGATE_MAIL_FROM: 'noreply@example.com' }, 'TOLLGATE_SMTP_URL'],
      [{ TOLLGATE_SMTP_URL: 'http://u:hunter2pass@h:587', TOLLGATE_MAIL_FROM: 'noreply@example.com' }, 'TOLLGATE_SMTP_URL'],
      [{ TOLLGATE_SMTP_URL: 'smtp://:hunter2pass@h:587', TOLLGATE_MAIL_FROM: 'noreply@example.com' }, 'TOLLGATE_SMTP_URL'],
      [{ TOLLGATE_SMTP_URL: 'not a url hunter2pass', TOLLGATE_MAIL_FROM: 'noreply@example.com' }, 'TOLLGATE_SMTP_URL'],
      [{ TOLLGATE_SMTP_URL: 'smtp://u:hunter2pass@h:587', TOLLGATE_MAIL_FROM: 'no address' }, 'TOLLGATE_MAIL_FROM'],
    ];
    for (const [env, variable] of cases) {
      const error = failure(env);
      expect(error.variable).toBe(variable);
      expect(error.message).not.toContain('hunter2pass');
      expect(error.message).not.toContain('\n');
    }
  });
});

describe('TOLLGATE_ORDER_EXPIRY_HOURS', () => {
  it('defaults to 3 hours, PayPal’s own lifetime of an unapproved order', () => {
    expect(load({}).orderExpiryHours).toBe(3);
    expect(load({ TOLLGATE_ORDER_EXPIRY_HOURS: '24' }).orderExpiryHours).toBe(24);
  });

  it('refuses what is not a whole number of hours from 1', () => {
    for (const value of ['0', '1.5', 'soon', '-3']) expect(failure({ TOLLGATE_ORDER_EXPIRY_HOURS: value }).variable).toBe('TOLLGATE_ORDER_EXPIRY_HOURS');
  });
});
