import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config';
import type { Deps } from './deps';
import { createLogger } from './lib/log';
import { startGateway, type ShutdownOptions } from './server';
import { startDeepSeekSimulator } from './simulators/deepseek';
import { createPayPalSimulator } from './simulators/paypal';

export const PAYPAL_MOUNT = '/paypal-sandbox';
const DEMO_PAYPAL = { clientId: 'demo-client', clientSecret: 'demo-secret', webhookId: '2DEMO4TOLLGATE8W0' };

export interface RunningDemo {
  url: string;
  demoKey: string;
  adminToken: string;
  /** TOLLGATE_SHUTDOWN_GRACE_MS, for the caller's stop on a signal */
  shutdownGraceMs: number;
  /** Ends the gateway gracefully (see RunningGateway.stop), then the simulators it talks to. */
  stop(opts?: ShutdownOptions): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const probe = Bun.listen({ hostname: host, port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * The whole product offline: the gateway, the DeepSeek simulator as its upstream and the PayPal
 * simulator as its payment provider (mounted on the gateway's own port, approval page included).
 */
export async function startDemo(opts: { port?: number; host?: string; dataDir: string; quiet?: boolean; env?: Record<string, string | undefined> }): Promise<RunningDemo> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ? opts.port : await freePort(host === '0.0.0.0' ? '127.0.0.1' : host);
  const publicUrl = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const upstream = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', tokensPerSecond: 60 });
  const paypal = createPayPalSimulator({ ...DEMO_PAYPAL, basePath: PAYPAL_MOUNT, publicUrl });

  const config = loadConfig(
    {
      TOLLGATE_LOG_LEVEL: opts.quiet ? 'warn' : 'info',
      ...opts.env,
      TOLLGATE_PUBLIC_URL: publicUrl,
      DEEPSEEK_API_KEY: 'sk-demo-upstream',
      DEEPSEEK_BASE_URL: upstream.url,
      PAYPAL_CLIENT_ID: DEMO_PAYPAL.clientId,
      PAYPAL_CLIENT_SECRET: DEMO_PAYPAL.clientSecret,
      PAYPAL_WEBHOOK_ID: DEMO_PAYPAL.webhookId,
      PAYPAL_API_URL: `${publicUrl}${PAYPAL_MOUNT}`,
    },
    { port: String(port), host, dataDir: opts.dataDir },
  );
  const gateway = await startGateway(config, {
    log: createLogger(config.logLevel),
    mounts: [{ prefix: PAYPAL_MOUNT, fetch: (request) => paypal.fetch(request) }],
  });
  paypal.setWebhookUrl(`${publicUrl}/api/paypal/webhook`);

  return {
    url: publicUrl,
    demoKey: await demoKey(gateway.deps, opts.dataDir),
    adminToken: gateway.admin.token,
    shutdownGraceMs: config.shutdownGraceMs,
    stop: async (opts) => {
      // The simulators outlive the gateway: its open streams still read from DeepSeek's.
      await gateway.stop(opts);
      paypal.close();
      await upstream.stop();
    },
  };
}

/** One ready key for the demo, kept across restarts in the demo data dir. */
async function demoKey(deps: Deps, dataDir: string): Promise<string> {
  const path = join(dataDir, 'demo-key');
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    if (await deps.metering.findKey(key)) return key;
  }
  const { key } = await deps.metering.createKey({ planId: 'pro', note: 'demo key', email: 'demo@example.com' });
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}
