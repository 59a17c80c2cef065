import { describe } from 'bun:test';
import { RedisClient } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process';

/**
 * A real redis-server for a test file on a free loopback port, nothing saved to disk, stopped by
 * PID. `stop()` and `start()` again (same port) let a test take Redis away mid-run. CI installs
 * Debian's redis-server (see .ci/run) and must run these tests; elsewhere they are skipped.
 */
export const REDIS_SERVER = Bun.which('redis-server');
export const REDIS_AVAILABLE = REDIS_SERVER !== null;
if (!REDIS_AVAILABLE) {
  if (process.env.CI) throw new Error('redis-server is missing: CI must run the Redis tests (apt-get install -y redis-server)');
  console.warn('skipping Redis tests: redis-server is not on the PATH (apt-get install -y redis-server)');
}
export const describeRedis = REDIS_AVAILABLE ? describe : describe.skip;

export interface TestRedis {
  port: number;
  url: string;
  readonly pid: number;
  /** a new connection of its own (the caller closes it) */
  client(): Promise<RedisClient>;
  /** stops the server (SIGKILL when `crash`), keeping the port for start() */
  stop(opts?: { crash?: boolean }): Promise<void>;
  start(): Promise<void>;
  /** stops it for good and removes its dir */
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const binary = REDIS_SERVER;
  if (!binary) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  const port = freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ReturnType<typeof Bun.spawn> | undefined;

  async function start() {
    server = Bun.spawn([binary as string, '--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdout: 'ignore', stderr: 'ignore' });
    const probe = new RedisClient(url, { connectionTimeout: 500, autoReconnect: false, enableOfflineQueue: false });
    const until = Date.now() + 10_000;
    try {
      for (;;) {
        try {
          await probe.connect();
          if ((await probe.send('PING', [])) === 'PONG') return;
        } catch (error) {
          if (server.exitCode !== null || Date.now() > until) throw new Error(`redis-server did not start: ${(error as Error).message}`);
          await Bun.sleep(25);
        }
      }
    } finally {
      probe.close();
    }
  }

  async function stop(opts: { crash?: boolean } = {}) {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill(opts.crash ? 'SIGKILL' : 'SIGTERM');
    await server.exited;
  }

  await start();
  return {
    port,
    url,
    get pid() {
      return server?.pid ?? 0;
    },
    async client() {
      const client = new RedisClient(url, { connectionTimeout: 1000, enableOfflineQueue: false });
      await client.connect();
      return client;
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
