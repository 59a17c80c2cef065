import { afterAll, describe } from 'bun:test';
import { SQL } from 'bun';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../server/backend';
import { loadConfig, type Config } from '../../server/config';
import { openDatabase } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';
import { createPgBackend } from '../../server/db/pg/backend';
import { connectPostgres } from '../../server/db/pg/client';
import { createSqliteBackend } from '../../server/db/sqlite/backend';
import { createDeps, type Deps } from '../../server/deps';
import { systemClock, type Clock } from '../../server/lib/clock';
import { connectRedis } from '../../server/lib/redis';
import { capturedLog } from './counters';
import { tempDir } from './gateway';
import { POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from './postgres';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from './redis';

// The store and service tests run on both backends: `eachBackend(title, (b) => …)` declares the
// same tests once for SQLite and once for PostgreSQL + Redis (one PostgreSQL and one Redis per test
// file, started on first use; a fresh migrated database per gateway or backend). Raw reads for
// assertions go through `query`, which answers SQLite's row shapes on both (bigint columns as
// numbers, booleans as 1 and 0), with `?` placeholders.

export type BackendKind = 'sqlite' | 'postgres';
export const SCALE_OUT_AVAILABLE = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
export const BACKENDS: readonly BackendKind[] = SCALE_OUT_AVAILABLE ? ['sqlite', 'postgres'] : ['sqlite'];
export const SCALE_OUT_SECRET = Buffer.alloc(32, 7).toString('base64');
export const SCALE_OUT_ADMIN_TOKEN = 'tg-admin-scale-out-tests-0123456789';

export type Row = Record<string, any>;
export type Query = (text: string, ...params: (string | number | null)[]) => Promise<Row[]>;

/** A backend as a store-level test uses it: the backend itself, raw reads, and its end. */
export interface OpenedBackend {
  kind: BackendKind;
  backend: Backend;
  config: Config;
  query: Query;
  /** the services over this backend (createDeps), built once */
  deps(): Promise<Deps>;
  close(): Promise<void>;
}

export interface BackendUnderTest {
  kind: BackendKind;
  /**
   * The environment that puts a gateway on this backend: nothing for SQLite, a fresh database for
   * PostgreSQL (with `icuLocale`, one whose text sorts by that locale, as many servers' databases do).
   */
  env(opts?: { icuLocale?: string }): Promise<Record<string, string>>;
  /** a fresh backend of this kind (not serving: no heartbeat or leader election) */
  open(opts?: { clock?: Clock; env?: Record<string, string> }): Promise<OpenedBackend>;
  /** raw reads (SQLite's shapes, `?` placeholders) on the database a running gateway of this backend uses */
  query(deps: Deps): Query;
}

let files = 0;

/** Declares `body` once per backend, as `title on sqlite` and `title on postgres`. */
export function eachBackend(title: string, body: (b: BackendUnderTest) => void): void {
  const servers = scaleOutServers();
  for (const kind of BACKENDS) describe(`${title} on ${kind}`, () => body(underTest(kind, servers)));
}

function underTest(kind: BackendKind, servers: ReturnType<typeof scaleOutServers>): BackendUnderTest {
  return {
    kind,
    env: async (opts = {}) => (kind === 'sqlite' ? {} : servers.env(opts)),
    open: (opts = {}) => (kind === 'sqlite' ? openSqlite(opts) : servers.open(opts)),
    query: (deps) => gatewayQuery(deps, servers),
  };
}

async function openSqlite(opts: { clock?: Clock; env?: Record<string, string> }): Promise<OpenedBackend> {
  const dir = tempDir('tollgate-backend-');
  const handle = openDatabase(join(dir, 'tollgate.sqlite'));
  migrateDatabase(handle.db);
  const clock = opts.clock ?? systemClock;
  const backend = createSqliteBackend(handle, { clock });
  await backend.stores.catalog.seedDefaults();
  const config = loadConfig({ TOLLGATE_LOG_LEVEL: 'error', ...opts.env }, { dataDir: dir });
  let deps: Promise<Deps> | undefined;
  return {
    kind: 'sqlite',
    backend,
    config,
    query: async (text, ...params) => handle.sqlite.query(text).all(...params) as Row[],
    deps: () => (deps ??= createDeps({ config, database: handle, backend, clock, log: capturedLog().log })),
    async close() {
      await backend.close();
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * PostgreSQL and Redis for one test file, started the first time a test asks for them and
 * stopped (by PID) after the file.
 */
export function scaleOutServers() {
  let servers: Promise<{ pg: TestPostgres; redis: TestRedis }> | undefined;
  const readers = new Map<string, SQL>();
  const file = ++files;
  afterAll(async () => {
    for (const reader of readers.values()) await reader.close({ timeout: 0 }).catch(() => undefined);
    if (!servers) return;
    const { pg, redis } = await servers;
    await Promise.all([pg.stop(), redis.close()]);
  });
  const started = () => (servers ??= Promise.all([startPostgres(), startRedis()]).then(([pg, redis]) => ({ pg, redis })));

  async function env(opts: { icuLocale?: string } = {}): Promise<Record<string, string>> {
    const { pg, redis } = await started();
    return {
      TOLLGATE_DATABASE_URL: opts.icuLocale ? await pg.collatedDatabase(opts.icuLocale) : await pg.migratedDatabase(),
      TOLLGATE_REDIS_URL: redis.url,
      TOLLGATE_SERVER_SECRET: SCALE_OUT_SECRET,
      TOLLGATE_ADMIN_TOKEN: SCALE_OUT_ADMIN_TOKEN,
    };
  }

  /** Raw reads on a database of this file's PostgreSQL, answered in SQLite's shapes. */
  function queryOn(url: string): Query {
    return async (text, ...params) => {
      let reader = readers.get(url);
      if (!reader) readers.set(url, (reader = new SQL(url, { max: 2 })));
      let n = 0;
      const rows: Row[] = await reader.unsafe(text.replace(/\?/g, () => `$${++n}`), params);
      return rows.map(sqliteShaped);
    };
  }

  return {
    file,
    env,
    queryOn,
    async open(opts: { clock?: Clock; env?: Record<string, string> } = {}): Promise<OpenedBackend> {
      const vars = { ...(await env()), ...opts.env };
      const dir = tempDir('tollgate-backend-');
      const config = loadConfig({ TOLLGATE_LOG_LEVEL: 'error', ...vars }, { dataDir: dir });
      const { log } = capturedLog();
      const clock = opts.clock ?? systemClock;
      const pg = await connectPostgres(config.databaseUrl as string, { max: 10 });
      const redis = await connectRedis(config.redisUrl as string, { log });
      const opened = {
        pg,
        redis,
        applied: 0,
        close: async () => {
          redis.close();
          await pg.close();
        },
      };
      const backend = await createPgBackend(opened, { clock, log, version: 'test', serving: false, staleMs: 30_000 });
      await backend.stores.catalog.seedDefaults();
      let deps: Promise<Deps> | undefined;
      return {
        kind: 'postgres',
        backend,
        config,
        query: queryOn(config.databaseUrl as string),
        deps: () => (deps ??= createDeps({ config, backend, clock, log })),
        async close() {
          await backend.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Columns that PostgreSQL keeps as bigint (strings from Bun) and SQLite as integers. */
const BIGINT_COLUMN = /(^id$|_nano$|_at$|_ms$|_tokens$|^count$|^n$|^requests$|^errors$|^last_seen$|^version$|^rows$|^total$|Nano$|At$)/;

function sqliteShaped(row: Row): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    if (typeof value === 'boolean') out[name] = value ? 1 : 0;
    else if (typeof value === 'string' && BIGINT_COLUMN.test(name) && /^-?\d+$/.test(value)) out[name] = Number(value);
    else out[name] = value;
  }
  return out;
}

/** Raw reads on whatever database a running gateway uses (SQLite's file, or its PostgreSQL database). */
export function gatewayQuery(deps: Deps, servers?: ReturnType<typeof scaleOutServers>): Query {
  const sqlite = deps.database?.sqlite;
  if (sqlite) return async (text, ...params) => sqlite.query(text).all(...params) as Row[];
  if (!servers || !deps.config.databaseUrl) throw new Error('a PostgreSQL gateway needs the scaleOutServers() it runs on to be read');
  return servers.queryOn(deps.config.databaseUrl);
}
