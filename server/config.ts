import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canonicalIp, parseIpRange } from './lib/ip';

// The only reader of the environment. A bad value stops start-up with one line naming the variable.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string;
  adminToken: string | undefined;
  /** bearer token /metrics requires when set; without it /metrics answers only loopback and trusted proxies */
  metricsToken: string | undefined;
  keyPrefix: string;
  deepseekApiKeys: string[];
  deepseekBaseUrl: string;
  paypal: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    mode: 'sandbox' | 'live';
    apiUrl: string;
    webhookId: string | undefined;
  };
  logLevel: LogLevel;
  maxBodyBytes: number;
  upstreamConnectTimeoutMs: number;
  upstreamIdleTimeoutMs: number;
  /** a non-stream DeepSeek answer longer than this is given up (502) instead of read on */
  maxUpstreamBodyBytes: number;
  /** streaming requests admitted at once, gateway-wide; one more gets 503 before anything is held */
  maxOpenStreams: number;
  /** how long open streams may run on after SIGTERM/SIGINT before they are ended */
  shutdownGraceMs: number;
  /** seconds a client connection may stay silent (headers, body) before it is closed */
  clientIdleTimeoutSeconds: number;
  /** browser origins allowed on the OpenAI-compatible API: '*' for any, [] for none */
  corsOrigins: '*' | string[];
  /** peers whose X-Forwarded-For is believed (a reverse proxy): canonical addresses and CIDR ranges */
  trustedProxies: string[];
  backup: {
    dir: string;
    /** "HH:MM" (UTC) for a daily backup, or undefined for none */
    dailyAt: string | undefined;
    keep: number;
  };
  /** raw ledger rows older than this many days are rolled up into daily totals; 0 keeps them all */
  ledgerRetentionDays: number;
  /** refused requests are counted in memory and written this often (a crash loses at most this much of the counts) */
  refusalFlushSeconds: number;
  /** SMTP for the buyers' mails; undefined: mail is off */
  mail: MailConfig | undefined;
  /** an order never paid becomes `expired` after this many hours */
  orderExpiryHours: number;
  /** postgres://…: the scale-out mode on PostgreSQL and Redis; undefined: SQLite in the data dir */
  databaseUrl: string | undefined;
  /** redis://…: required with databaseUrl, refused without it */
  redisUrl: string | undefined;
  /** TOLLGATE_SERVER_SECRET (base64 of 32 bytes), when set; required with databaseUrl */
  serverSecret: string | undefined;
  /** scale-out mode: an instance not heard from for this long is taken for dead and its holds are released */
  instanceStaleSeconds: number;
}

export interface MailConfig {
  /** smtp://user:pass@host:587 or smtps://…: holds the password, never logged */
  smtpUrl: string;
  /** the SMTP host and port, for logs and the console */
  server: string;
  from: string;
  /** the first retry after a failed attempt; each next one waits twice as long (at most an hour) */
  retrySeconds: number;
}

export interface ConfigFlags {
  port?: string;
  host?: string;
  dataDir?: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** The configuration is well formed but the gateway cannot start with it (status 2, one line). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const PAYPAL_URLS = { sandbox: 'https://api-m.sandbox.paypal.com', live: 'https://api-m.paypal.com' } as const;

export function loadConfig(env: Record<string, string | undefined>, flags: ConfigFlags = {}): Config {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const port = parsePort(flags.port ?? read('TOLLGATE_PORT') ?? '8080', flags.port ? '--port' : 'TOLLGATE_PORT');
  const host = flags.host ?? read('TOLLGATE_HOST') ?? '0.0.0.0';
  if (!/^[\w.:\-\[\]]+$/.test(host)) throw new ConfigError(flags.host ? '--host' : 'TOLLGATE_HOST', `not a host name or address: ${host}`);

  const publicUrl = trimSlash(parseUrl(read('TOLLGATE_PUBLIC_URL') ?? `http://localhost:${port}`, 'TOLLGATE_PUBLIC_URL'));

  const adminToken = read('TOLLGATE_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('TOLLGATE_ADMIN_TOKEN', 'must be at least 16 characters');
  }

  const metricsToken = read('TOLLGATE_METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError('TOLLGATE_METRICS_TOKEN', 'must be at least 16 characters, without spaces');
  }

  const keyPrefix = read('TOLLGATE_KEY_PREFIX') ?? 'sk-gateway-';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyPrefix)) {
    throw new ConfigError('TOLLGATE_KEY_PREFIX', 'use 1 to 32 letters, digits, "-" or "_"');
  }

  const deepseekApiKeys = (read('DEEPSEEK_API_KEY') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  for (const key of deepseekApiKeys) {
    if (/\s/.test(key)) throw new ConfigError('DEEPSEEK_API_KEY', 'a key contains white space');
  }
  const deepseekBaseUrl = trimSlash(parseUrl(read('DEEPSEEK_BASE_URL') ?? 'https://api.deepseek.com', 'DEEPSEEK_BASE_URL'));

  const mode = read('PAYPAL_MODE') ?? 'sandbox';
  if (mode !== 'sandbox' && mode !== 'live') throw new ConfigError('PAYPAL_MODE', `must be "sandbox" or "live", not "${mode}"`);
  const clientId = read('PAYPAL_CLIENT_ID');
  const clientSecret = read('PAYPAL_CLIENT_SECRET');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new ConfigError(clientId ? 'PAYPAL_CLIENT_SECRET' : 'PAYPAL_CLIENT_ID', 'set both PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET, or neither');
  }
  const apiUrl = trimSlash(parseUrl(read('PAYPAL_API_URL') ?? PAYPAL_URLS[mode], 'PAYPAL_API_URL'));
  // Webhooks are verified with PayPal against this id: without it, anyone could post events.
  const webhookId = read('PAYPAL_WEBHOOK_ID');
  if (clientId !== undefined && webhookId === undefined) {
    throw new ConfigError('PAYPAL_WEBHOOK_ID', "required when checkout is on (PAYPAL_CLIENT_ID is set): the id of the webhook you created in PayPal's developer dashboard");
  }
  if (webhookId !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(webhookId)) {
    throw new ConfigError('PAYPAL_WEBHOOK_ID', 'not a PayPal webhook id (letters and digits, like 8PT597110X687430LN)');
  }

  const logLevel = read('TOLLGATE_LOG_LEVEL') ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('TOLLGATE_LOG_LEVEL', 'must be one of debug, info, warn, error, silent');
  }
  const maxBodyBytes = parseInteger(read('TOLLGATE_MAX_BODY_BYTES') ?? String(8 * 1024 * 1024), 'TOLLGATE_MAX_BODY_BYTES', 1024, 256 * 1024 * 1024);

  const upstreamConnectTimeoutMs = parseInteger(read('TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS') ?? '10000', 'TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS', 100, 600_000);
  const upstreamIdleTimeoutMs = parseInteger(read('TOLLGATE_UPSTREAM_IDLE_TIMEOUT_MS') ?? '300000', 'TOLLGATE_UPSTREAM_IDLE_TIMEOUT_MS', 100, 3_600_000);
  const maxUpstreamBodyBytes = parseInteger(read('TOLLGATE_MAX_UPSTREAM_BODY_BYTES') ?? String(32 * 1024 * 1024), 'TOLLGATE_MAX_UPSTREAM_BODY_BYTES', 64 * 1024, 1024 * 1024 * 1024);
  const maxOpenStreams = parseInteger(read('TOLLGATE_MAX_OPEN_STREAMS') ?? '1000', 'TOLLGATE_MAX_OPEN_STREAMS', 1, 100_000);

  const shutdownGraceMs = parseInteger(read('TOLLGATE_SHUTDOWN_GRACE_MS') ?? '30000', 'TOLLGATE_SHUTDOWN_GRACE_MS', 0, 3_600_000);
  const clientIdleTimeoutSeconds = parseInteger(read('TOLLGATE_CLIENT_IDLE_TIMEOUT_SECONDS') ?? '30', 'TOLLGATE_CLIENT_IDLE_TIMEOUT_SECONDS', 1, 255);
  const corsOrigins = parseOrigins(read('TOLLGATE_CORS_ORIGINS') ?? '*');
  const trustedProxies = parseTrustedProxies(read('TOLLGATE_TRUSTED_PROXIES') ?? '127.0.0.1,::1');

  const dataDir = resolve(flags.dataDir ?? read('TOLLGATE_DATA_DIR') ?? './data');
  const dailyAt = read('TOLLGATE_BACKUP_DAILY') ?? 'off';
  if (dailyAt !== 'off' && !/^([01]\d|2[0-3]):[0-5]\d$/.test(dailyAt)) {
    throw new ConfigError('TOLLGATE_BACKUP_DAILY', `must be a UTC time like 03:30, or "off", not "${dailyAt}"`);
  }
  const backup = {
    dir: resolve(read('TOLLGATE_BACKUP_DIR') ?? join(dataDir, 'backups')),
    dailyAt: dailyAt === 'off' ? undefined : dailyAt,
    keep: parseInteger(read('TOLLGATE_BACKUP_KEEP') ?? '7', 'TOLLGATE_BACKUP_KEEP', 1, 1000),
  };
  const ledgerRetentionDays = parseInteger(read('TOLLGATE_LEDGER_RETENTION_DAYS') ?? '180', 'TOLLGATE_LEDGER_RETENTION_DAYS', 0, 36_500);
  const refusalFlushSeconds = parseInteger(read('TOLLGATE_REFUSAL_FLUSH_SECONDS') ?? '5', 'TOLLGATE_REFUSAL_FLUSH_SECONDS', 1, 3600);
  const scaleOut = parseScaleOut(read, adminToken);
  const instanceStaleSeconds = parseInteger(read('TOLLGATE_INSTANCE_STALE_SECONDS') ?? '30', 'TOLLGATE_INSTANCE_STALE_SECONDS', 3, 3600);

  const mail = parseMail(read('TOLLGATE_SMTP_URL'), read('TOLLGATE_MAIL_FROM'), read('TOLLGATE_MAIL_RETRY_SECONDS'));
  const orderExpiryHours = parseInteger(read('TOLLGATE_ORDER_EXPIRY_HOURS') ?? '3', 'TOLLGATE_ORDER_EXPIRY_HOURS', 1, 8760);

  return {
    port,
    host,
    dataDir,
    publicUrl,
    adminToken,
    metricsToken,
    keyPrefix,
    deepseekApiKeys,
    deepseekBaseUrl,
    paypal: { clientId, clientSecret, mode, apiUrl, webhookId },
    logLevel: logLevel as LogLevel,
    maxBodyBytes,
    upstreamConnectTimeoutMs,
    upstreamIdleTimeoutMs,
    maxUpstreamBodyBytes,
    maxOpenStreams,
    shutdownGraceMs,
    clientIdleTimeoutSeconds,
    corsOrigins,
    trustedProxies,
    backup,
    ledgerRetentionDays,
    refusalFlushSeconds,
    mail,
    orderExpiryHours,
    ...scaleOut,
    instanceStaleSeconds,
  };
}

const MAIL_FROM = /^(?:[^<>\r\n]{0,100}<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/;

/** Both or neither; a URL's password is never repeated in an error. */
function parseMail(smtpUrl: string | undefined, from: string | undefined, retry: string | undefined): MailConfig | undefined {
  const retrySeconds = parseInteger(retry ?? '30', 'TOLLGATE_MAIL_RETRY_SECONDS', 1, 3600);
  if (smtpUrl === undefined && from === undefined) return undefined;
  if (smtpUrl === undefined) throw new ConfigError('TOLLGATE_SMTP_URL', 'required when TOLLGATE_MAIL_FROM is set (smtp://user:pass@host:587 or smtps://user:pass@host:465)');
  if (from === undefined) throw new ConfigError('TOLLGATE_MAIL_FROM', 'required when TOLLGATE_SMTP_URL is set: the sender address, like "Tollgate <noreply@example.com>"');
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new ConfigError('TOLLGATE_SMTP_URL', 'not a URL (use smtp://user:pass@host:587 or smtps://user:pass@host:465)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError('TOLLGATE_SMTP_URL', `must start with smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (url.hostname === '') throw new ConfigError('TOLLGATE_SMTP_URL', 'names no host (smtp://user:pass@host:587)');
  if (url.password !== '' && url.username === '') throw new ConfigError('TOLLGATE_SMTP_URL', 'has a password but no user name');
  if (!MAIL_FROM.test(from)) throw new ConfigError('TOLLGATE_MAIL_FROM', 'not an email address (noreply@example.com, or "Name <noreply@example.com>")');
  const port = url.port || (url.protocol === 'smtps:' ? '465' : '587');
  return { smtpUrl, server: `${url.protocol}//${url.hostname}:${port}`, from, retrySeconds };
}

/**
 * TOLLGATE_DATABASE_URL selects the scale-out mode. Every instance then must share the database,
 * Redis, the key-sealing secret and the admin token, so none of them may be made up per data dir.
 */
function parseScaleOut(read: (name: string) => string | undefined, adminToken: string | undefined) {
  const databaseUrl = read('TOLLGATE_DATABASE_URL');
  const redisUrl = read('TOLLGATE_REDIS_URL');
  const serverSecret = read('TOLLGATE_SERVER_SECRET');
  if (serverSecret !== undefined && (!/^[A-Za-z0-9+/_-]{43}=?$/.test(serverSecret) || Buffer.from(serverSecret, 'base64').length !== 32)) {
    throw new ConfigError('TOLLGATE_SERVER_SECRET', 'must be 32 random bytes in base64 (make one with: openssl rand -base64 32)');
  }
  if (databaseUrl === undefined) {
    if (redisUrl !== undefined) throw new ConfigError('TOLLGATE_REDIS_URL', 'is used only with TOLLGATE_DATABASE_URL (the scale-out mode); unset it to run on SQLite');
    return { databaseUrl, redisUrl, serverSecret };
  }
  checkServiceUrl(databaseUrl, 'TOLLGATE_DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/tollgate');
  const needs = 'with TOLLGATE_DATABASE_URL';
  if (redisUrl === undefined) throw new ConfigError('TOLLGATE_REDIS_URL', `required ${needs}: rate windows, concurrency, lockouts and cache invalidation are shared through Redis (redis://host:6379)`);
  checkServiceUrl(redisUrl, 'TOLLGATE_REDIS_URL', ['redis:', 'rediss:'], 'redis://host:6379 or rediss://…');
  if (serverSecret === undefined) throw new ConfigError('TOLLGATE_SERVER_SECRET', `required ${needs}: every instance must seal keys with the same secret (make one with: openssl rand -base64 32)`);
  if (adminToken === undefined) throw new ConfigError('TOLLGATE_ADMIN_TOKEN', `required ${needs}: every instance must accept the same admin token`);
  return { databaseUrl, redisUrl, serverSecret };
}

/** A URL of the given schemes with a host; the message never repeats a password. */
export function checkServiceUrl(text: string, variable: string, schemes: string[], example: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(variable, `not a URL (use ${example})`);
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(variable, `must start with ${schemes.map((s) => `${s}//`).join(' or ')}, not ${url.protocol}// (use ${example})`);
  if (url.hostname === '') throw new ConfigError(variable, `names no host (use ${example})`);
  if (url.port !== '' && Number(url.port) === 0) throw new ConfigError(variable, 'port 0 is not a port');
}

/** Reads `.env` beside the binary (or in the working directory); real environment variables win. */
export function environmentWithDotEnv(env: Record<string, string | undefined>, execPath: string): Record<string, string | undefined> {
  const candidates = [join(dirname(execPath), '.env'), resolve('.env')];
  const file = candidates.find((path) => existsSync(path));
  if (!file) return env;
  return { ...parseDotEnv(readFileSync(file, 'utf8')), ...env };
}

export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    value = quoted ? (quoted[2] ?? '') : value.replace(/\s+#.*$/, '');
    out[match[1] as string] = value;
  }
  return out;
}

/** "none", or addresses and CIDR ranges separated by commas; each kept in canonical form. */
function parseTrustedProxies(text: string): string[] {
  if (text === 'none') return [];
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.map((item) => {
    const range = parseIpRange(item);
    if (range === null) throw new ConfigError('TOLLGATE_TRUSTED_PROXIES', `not an IP address or CIDR range: "${item}" (use e.g. 127.0.0.1,::1,172.16.0.0/12, or "none")`);
    return item.includes('/') ? item : (canonicalIp(item) as string);
  });
}

function parseOrigins(text: string): '*' | string[] {
  if (text === '*') return '*';
  if (text === 'none') return [];
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '').map((origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('TOLLGATE_CORS_ORIGINS', `not an origin: "${origin}" (use "*", "none" or https://host[:port],…)`);
    }
    if (url.origin === 'null' || url.origin !== origin.replace(/\/+$/, '')) {
      throw new ConfigError('TOLLGATE_CORS_ORIGINS', `not an origin: "${origin}" (scheme://host[:port], no path)`);
    }
    return url.origin;
  });
}

function parsePort(text: string, variable: string): number {
  return parseInteger(text, variable, 0, 65535);
}

function parseInteger(text: string, variable: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(variable, `must be a whole number, not "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(variable, `must be between ${min} and ${max}, not ${value}`);
  return value;
}

function parseUrl(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(variable, `not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(variable, `must be an http(s) URL: "${text}"`);
  return url.toString();
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
