import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedMigrations } from '../../server/db/pg/migrations.generated';
import { tempDir } from '../helpers/gateway';
import { POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from '../helpers/postgres';
import { freePort, runCli, spawnGateway } from '../helpers/process';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';

// Starting in the scale-out mode: every problem a first start can meet is one line and status 2;
// with everything in place, `migrate`, `serve` and `keys` work on PostgreSQL and write nothing
// into the data dir; `backup`/`restore` point to pg_dump.

const AVAILABLE = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
const SECRET = Buffer.alloc(32, 9).toString('base64');
let pg: TestPostgres;
let redis: TestRedis;
const dir = tempDir('tollgate-scale-out-');
beforeAll(async () => {
  if (AVAILABLE) [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 30_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), redis?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const scaleOut = (databaseUrl: string, overrides: Record<string, string> = {}) => ({
  TOLLGATE_DATABASE_URL: databaseUrl,
  TOLLGATE_REDIS_URL: redis.url,
  TOLLGATE_SERVER_SECRET: SECRET,
  TOLLGATE_ADMIN_TOKEN: 'tg-admin-scale-out-test-token',
  TOLLGATE_DATA_DIR: dir,
  ...overrides,
});
const serve = (env: Record<string, string>) => runCli(['serve', '--host', '127.0.0.1', '--port', String(freePort())], env);
const oneLine = (result: { code: number | null; stderr: string }) => {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines.length).toBe(1);
  return lines[0] as string;
};

describe.skipIf(!AVAILABLE)('starting in the scale-out mode', () => {
  it('applies the migrations with `tollgate migrate`, then serves from PostgreSQL and Redis, writing nothing into the data dir', async () => {
    const url = await pg.createDatabase();
    const where = `postgres://postgres@127.0.0.1:${pg.port}/${url.split('/').pop()}`;
    const migrate = runCli(['migrate'], scaleOut(url));
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe(`applied ${embeddedMigrations.length} migration(s) to ${where}\n`);
    const key = runCli(['keys', 'create', '--plan', 'starter', '--budget', '2'], scaleOut(url));
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^sk-gateway-[A-Za-z0-9]{40}$/);
    const gateway = await spawnGateway([], { ...scaleOut(url), TOLLGATE_METRICS_TOKEN: 'metrics-token-for-the-test' });
    try {
      const health = await (await fetch(`${gateway.url}/healthz`)).json();
      expect(health).toMatchObject({ status: 'degraded', database: 'ok', redis: 'ok' }); // no upstream key configured
      const usage = await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${key.stdout.trim()}` } });
      expect(usage.status).toBe(200);
      expect(((await usage.json()) as { budget_usd: string }).budget_usd).toBe('2.000000000');
    } finally {
      gateway.proc.kill('SIGTERM');
      await gateway.proc.exited;
    }
    const list = runCli(['keys', 'list'], scaleOut(url));
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('starter');
    // nothing is written into the data dir in this mode
    expect(existsSync(join(dir, 'server-secret'))).toBe(false);
    expect(existsSync(join(dir, 'admin-token'))).toBe(false);
    expect(existsSync(join(dir, 'tollgate.sqlite'))).toBe(false);
  }, 60_000);

  it('stops in one line when PostgreSQL cannot be reached or the database does not exist, never showing the password', () => {
    const port = freePort();
    const down = oneLine(serve(scaleOut(`postgres://postgres:hunter2@127.0.0.1:${port}/tollgate`)));
    expect(down).toStartWith(`tollgate: TOLLGATE_DATABASE_URL: cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${port}/tollgate: `);
    expect(down).not.toContain('hunter2');
    const missing = oneLine(serve(scaleOut(pg.url('no_such_database'))));
    expect(missing).toStartWith(`tollgate: TOLLGATE_DATABASE_URL: cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${pg.port}/no_such_database: `);
    expect(missing).toContain('no_such_database');
  }, 30_000);

  it('stops in one line when Redis cannot be reached', async () => {
    const port = freePort();
    const line = oneLine(serve(scaleOut(await pg.createDatabase(), { TOLLGATE_REDIS_URL: `redis://127.0.0.1:${port}` })));
    expect(line).toStartWith(`tollgate: TOLLGATE_REDIS_URL: cannot reach Redis at redis://127.0.0.1:${port}: `);
  }, 30_000);

  it('refuses a database a newer Tollgate has migrated', async () => {
    const url = await pg.migratedDatabase();
    const admin = new Bun.SQL(url, { max: 1 });
    await admin`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('from-a-newer-version', ${Date.now() + 1e9})`;
    await admin.close();
    expect(oneLine(serve(scaleOut(url)))).toBe(
      'tollgate: the database has 1 migration(s) this version of Tollgate does not know (a newer version has run on it); upgrade this instance first',
    );
  }, 30_000);

  it('refuses incomplete settings, a server secret that cannot open the stored keys, and backup/restore, in one line each', async () => {
    const url = await pg.createDatabase();
    const { TOLLGATE_ADMIN_TOKEN: _, ...noToken } = scaleOut(url);
    expect(oneLine(serve(noToken))).toStartWith('tollgate: TOLLGATE_ADMIN_TOKEN: required with TOLLGATE_DATABASE_URL');
    expect(runCli(['keys', 'create', '--plan', 'trial'], scaleOut(url)).code).toBe(0);
    const other = Buffer.alloc(32, 3).toString('base64');
    expect(oneLine(runCli(['keys', 'list'], scaleOut(url, { TOLLGATE_SERVER_SECRET: other })))).toStartWith('tollgate: TOLLGATE_SERVER_SECRET cannot open the keys sealed in this database');
    expect(oneLine(serve(scaleOut(url, { TOLLGATE_SERVER_SECRET: other })))).toStartWith('tollgate: TOLLGATE_SERVER_SECRET cannot open the keys sealed in this database');
    for (const command of ['backup', 'restore']) {
      expect(oneLine(runCli([command, join(dir, 'b.sqlite')], scaleOut(url)))).toBe(
        `tollgate: ${command} is for the SQLite mode; with TOLLGATE_DATABASE_URL use PostgreSQL's pg_dump and pg_restore (see the README)`,
      );
    }
  }, 30_000);
});

describe('TOLLGATE_SERVER_SECRET on SQLite', () => {
  it('seals the data dir’s keys with it, and a data dir sealed with another secret refuses to start', () => {
    const sqliteDir = tempDir('tollgate-secret-');
    try {
      const env = { TOLLGATE_DATA_DIR: sqliteDir, TOLLGATE_SERVER_SECRET: SECRET };
      const key = runCli(['keys', 'create', '--plan', 'starter'], env);
      expect(key.code).toBe(0);
      expect(readFileSync(join(sqliteDir, 'server-secret'), 'utf8').trim()).toBe(SECRET);
      // without the variable, the file opens the keys
      expect(runCli(['keys', 'list'], { TOLLGATE_DATA_DIR: sqliteDir }).code).toBe(0);
      const other = Buffer.alloc(32, 1).toString('base64');
      const refused = { ...env, TOLLGATE_SERVER_SECRET: other };
      const expected = `tollgate: TOLLGATE_SERVER_SECRET differs from ${join(sqliteDir, 'server-secret')}, which sealed the keys in this data dir; unset the variable, or set it to the file's content`;
      expect(oneLine(runCli(['keys', 'list'], refused))).toBe(expected);
      expect(oneLine(serve(refused))).toBe(expected);
      expect(existsSync(join(sqliteDir, 'tollgate.pid'))).toBe(false);
    } finally {
      rmSync(sqliteDir, { recursive: true, force: true });
    }
  }, 30_000);
});
