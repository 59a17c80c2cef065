#!/usr/bin/env bun
import pkg from '../package.json' with { type: 'json' };
import { ConfigError, environmentWithDotEnv, loadConfig, StartupError, type ConfigFlags } from './config';
import { migrateDatabase } from './db/migrate';
import { connectPostgres } from './db/pg/client';
import { migratePostgres } from './db/pg/migrate';
import { databasePath, openDatabase } from './db/client';
import { openDeps, startGateway } from './server';
import { startDemo } from './demo';
import { startDeepSeekSimulator } from './simulators/deepseek';
import { DEFAULT_WEBHOOK_ID, startPayPalSimulator, WEBHOOK_ID_FORMAT } from './simulators/paypal';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runBackupCommand } from './cli/backup';
import { runCopyToPostgres } from './cli/copy-to-postgres';
import { runKeysCommand, UsageError } from './cli/keys';
import { buildWebPages, webPagesStale } from './cli/web-build';
import { systemClock } from './lib/clock';
import { createLogger, type Logger } from './lib/log';
import { onStopSignal } from './lifecycle';

const HELP = `tollgate ${pkg.version}: a DeepSeek API reseller gateway

Usage: tollgate [command] [options]

Commands:
  serve                     run the gateway (the default)
  demo                      run fully offline: built-in DeepSeek and PayPal simulators, data in ./data-demo
  migrate                   apply pending database migrations and exit
  backup FILE               write a consistent copy of the live database to FILE (safe while serving)
  restore FILE              replace the database with the backup FILE (stop the gateway first)
  copy-to-postgres DATABASE_URL
                            copy the stopped SQLite shop of --data-dir into an empty PostgreSQL database, verified
  keys create --plan ID [--budget USD] [--email E] [--note N] [--rpm N] [--concurrency N] [--expires-days N]
  keys list | keys topup KEY_OR_ID USD | keys disable KEY_OR_ID
  simulate-upstream         run only the DeepSeek simulator [--port N] [--keys K1,K2]
  simulate-paypal           run only the PayPal simulator [--port N] [--webhook-url URL] [--webhook-id ID]

Options:
  --port N  --host H  --data-dir D   override TOLLGATE_PORT, TOLLGATE_HOST, TOLLGATE_DATA_DIR
  --help, --version
`;

interface ParsedArgs {
  command: string;
  flags: Record<string, string>;
  positionals: string[];
}

const BOOLEAN_FLAGS = new Set(['help', 'version']);

export function parseArgs(argv: string[]): ParsedArgs {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (BOOLEAN_FLAGS.has(name)) {
        flags[name] = 'true';
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else {
      positionals.push(arg);
    }
  }
  return { command: positionals.shift() ?? 'serve', flags, positionals };
}

/** --port for the commands that do not load the gateway's config (demo, simulators). */
function portFlag(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be a port number, not ${text}`);
  return Number(text);
}

function configFlags(flags: Record<string, string>): ConfigFlags {
  return { port: flags.port, host: flags.host, dataDir: flags['data-dir'] };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.flags.version) {
    process.stdout.write(`tollgate ${pkg.version}\n`);
    return 0;
  }
  const env = environmentWithDotEnv(process.env, process.execPath);
  switch (args.command) {
    case 'serve': {
      const gateway = await startGateway(loadConfig(env, configFlags(args.flags)));
      const signals = onStopSignal(gateway.deps.log);
      gateway.deps.log.info('tollgate listening', { url: gateway.url, public_url: gateway.deps.config.publicUrl });
      warnOnUpstreamCap(gateway.deps.log);
      // Where, never what: the start line lands in journald, readable by more people than the data dir.
      if (gateway.admin.created) {
        process.stdout.write(`A new admin token was generated and saved in ${join(gateway.deps.config.dataDir, 'admin-token')} (readable by this user only); read it from there to sign in at /admin.\n`);
      }
      const signal = await signals.first;
      gateway.deps.log.info('shutdown: signal received', { signal, grace_ms: gateway.deps.config.shutdownGraceMs });
      await gateway.stop({ graceMs: gateway.deps.config.shutdownGraceMs, interrupt: signals.again });
      return 0;
    }
    case 'demo': {
      const port = portFlag(args.flags.port ?? env.TOLLGATE_PORT ?? '8080');
      if (webPagesStale()) {
        process.stdout.write('Building the web pages first (web/dist is missing or older than web/src)…\n');
        buildWebPages();
      }
      const signals = onStopSignal();
      const host = args.flags.host ?? env.TOLLGATE_HOST ?? '127.0.0.1';
      // always SQLite in its own data dir, whatever the scale-out settings of this machine say
      const demoEnv = { ...env, TOLLGATE_DATABASE_URL: undefined, TOLLGATE_REDIS_URL: undefined };
      const demo = await startDemo({ port, host, dataDir: args.flags['data-dir'] ?? './data-demo', env: demoEnv });
      process.stdout.write(
        [
          '',
          'Tollgate demo: everything offline (DeepSeek and PayPal are simulated).',
          `  Web pages    ${demo.url}/`,
          `  API base     ${demo.url}/v1`,
          `  API docs     ${demo.url}/docs`,
          `  Admin        ${demo.url}/admin (its API: ${demo.url}/admin/docs)`,
          `  Admin token  ${demo.adminToken}`,
          `  Demo key     ${demo.demoKey}`,
          '',
          isLoopback(host) ? `  Only this machine can reach it (${host}); --host 0.0.0.0 opens it to your network.` : `  Listening on ${host}: other machines on your network can reach it.`,
          '',
          `  curl ${demo.url}/v1/chat/completions -H "Authorization: Bearer ${demo.demoKey}" -H "Content-Type: application/json" -d '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"Hello"}]}'`,
          '',
        ].join('\n') + '\n',
      );
      await signals.first;
      await demo.stop({ graceMs: demo.shutdownGraceMs, interrupt: signals.again });
      return 0;
    }
    case 'migrate': {
      const config = loadConfig(env, configFlags(args.flags));
      if (config.databaseUrl) {
        const pg = await connectPostgres(config.databaseUrl, { max: 1 });
        try {
          const { applied } = await migratePostgres(pg.sql);
          process.stdout.write(`applied ${applied} migration(s) to ${pg.describe}\n`);
        } finally {
          await pg.close();
        }
        return 0;
      }
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const database = openDatabase(databasePath(config.dataDir));
      const { applied } = migrateDatabase(database.db);
      database.close();
      process.stdout.write(`applied ${applied} migration(s) to ${databasePath(config.dataDir)}\n`);
      return 0;
    }
    case 'backup':
    case 'restore': {
      const config = loadConfig(env, configFlags(args.flags));
      if (config.databaseUrl) throw new UsageError(`${args.command} is for the SQLite mode; with TOLLGATE_DATABASE_URL use PostgreSQL's pg_dump and pg_restore (see the README)`);
      await runBackupCommand(args.command, config, args.positionals, (line) => process.stdout.write(`${line}\n`));
      return 0;
    }
    case 'copy-to-postgres': {
      // the source is the data dir's SQLite database, whatever the scale-out variables already say
      const sqliteEnv = { ...env, TOLLGATE_DATABASE_URL: undefined, TOLLGATE_REDIS_URL: undefined };
      const write = (stream: NodeJS.WriteStream) => (line: string) => stream.write(`${line}\n`);
      return runCopyToPostgres(loadConfig(sqliteEnv, configFlags(args.flags)), args.positionals, write(process.stdout), write(process.stderr));
    }
    case 'keys': {
      const config = loadConfig(env, configFlags(args.flags));
      const { deps, release } = await openDeps(config, { clock: systemClock, log: createLogger('warn', (line) => process.stderr.write(line)), serving: false });
      try {
        await runKeysCommand(deps, args.positionals, args.flags, (line) => process.stdout.write(`${line}\n`));
      } finally {
        await deps.backend.close();
        release();
      }
      return 0;
    }
    case 'simulate-upstream': {
      const port = portFlag(args.flags.port ?? '8090');
      const keys = args.flags.keys ? args.flags.keys.split(',').map((k) => k.trim()).filter(Boolean) : undefined;
      const sim = startDeepSeekSimulator({ port, hostname: args.flags.host ?? '127.0.0.1', keys });
      process.stdout.write(`DeepSeek simulator listening on ${sim.url}\n`);
      await onStopSignal().first;
      await sim.stop();
      return 0;
    }
    case 'simulate-paypal': {
      const port = portFlag(args.flags.port ?? '8091');
      const webhookId = args.flags['webhook-id'] ?? DEFAULT_WEBHOOK_ID;
      if (!WEBHOOK_ID_FORMAT.test(webhookId)) throw new UsageError(`--webhook-id must be 17 upper-case letters and digits, as PayPal's are (not "${webhookId}")`);
      const sim = startPayPalSimulator({ port, hostname: args.flags.host ?? '127.0.0.1', webhookUrl: args.flags['webhook-url'], webhookId });
      process.stdout.write(`PayPal simulator listening on ${sim.url} (client id sim-client, secret sim-secret, webhook id ${webhookId})\n`);
      await onStopSignal().first;
      await sim.stop();
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${args.command}" (see tollgate --help)`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Bun reads this once at start: below it, streams to DeepSeek past the cap queue inside fetch. */
const UPSTREAM_REQUESTS_WANTED = 1024;
function warnOnUpstreamCap(log: Logger): void {
  const cap = Number(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 256);
  if (cap < UPSTREAM_REQUESTS_WANTED) {
    log.warn('at most this many requests to DeepSeek can be open at once; start with BUN_CONFIG_MAX_HTTP_REQUESTS=4096 in the environment for more', { cap });
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof UsageError || error instanceof StartupError) {
        process.stderr.write(`tollgate: ${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`tollgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
