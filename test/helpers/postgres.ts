import { describe } from 'bun:test';
import { SQL } from 'bun';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPostgres } from '../../server/db/pg/client';
import { migratePostgres } from '../../server/db/pg/migrate';
import { freePort } from './process';

/**
 * A real PostgreSQL server for a test file: `initdb` once per test run (then copied, which is
 * faster), started on a free loopback port with its socket in its own temp dir, `fsync=off`, and
 * stopped by PID. Debian keeps the binaries in /usr/lib/postgresql/VERSION/bin; CI installs them
 * (see .ci/run) and must run these tests; elsewhere they are skipped with a note.
 */
export const POSTGRES_BIN = findPostgresBin();
export const POSTGRES_AVAILABLE = POSTGRES_BIN !== undefined;
if (!POSTGRES_AVAILABLE) {
  if (process.env.CI) throw new Error('PostgreSQL is missing: CI must run the PostgreSQL tests (apt-get install -y postgresql)');
  console.warn('skipping PostgreSQL tests: no initdb/postgres under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)');
}
export const describePostgres = POSTGRES_AVAILABLE ? describe : describe.skip;

function findPostgresBin(): string | undefined {
  const glob = new Bun.Glob('*/bin/postgres');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const found = [...glob.scanSync({ cwd: root, onlyFiles: true })]
    .map((path) => ({ dir: join(root, path, '..'), version: Number.parseInt(path, 10) }))
    .filter(({ dir }) => existsSync(join(dir, 'initdb')))
    .sort((a, b) => b.version - a.version);
  return found[0]?.dir;
}

/** initdb refuses to run as root: the server then runs as the `postgres` user, which owns its files. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** One initdb per process (every test file of a run shares it, hence globalThis); removed when the run ends. */
const shared = globalThis as { tollgatePgTemplate?: string };
function initializedCluster(bin: string, user: ReturnType<typeof serverUser>): string {
  const template = shared.tollgatePgTemplate;
  if (template && existsSync(template)) return template;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-template-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = Bun.spawnSync([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
    cwd: dir,
    ...user,
  });
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  shared.tollgatePgTemplate = data;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return data;
}

export interface TestPostgres {
  port: number;
  pid: number;
  /** the URL of a database on this server (default: postgres) */
  url(database?: string): string;
  /** a new empty database (or a copy of `template`), with its URL */
  createDatabase(template?: string): Promise<string>;
  /** a new database with every embedded migration applied (a copy of one migrated once), with its URL */
  migratedDatabase(): Promise<string>;
  /**
   * A new migrated database whose text sorts by an ICU locale (say 'en-US': 'key_a' before 'key_B',
   * as a database created under en_US.UTF-8 sorts), not by bytes as the others and SQLite do.
   */
  collatedDatabase(icuLocale: string): Promise<string>;
  /** an admin connection to the postgres database */
  admin: SQL;
  stop(): Promise<void>;
}

let databases = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = POSTGRES_BIN;
  if (!bin) throw new Error('PostgreSQL is not installed');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  const data = join(dir, 'data');
  // cp -a keeps the owner and the 0700 mode PostgreSQL insists on
  const copy = Bun.spawnSync(['cp', '-a', initializedCluster(bin, user), data]);
  if (copy.exitCode !== 0) throw new Error(`copying the initialized cluster failed: ${copy.stderr.toString()}`);
  if (user) chownSync(dir, user.uid, user.gid);
  const port = freePort();
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: dir, fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' };
  const args = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = Bun.spawn([join(bin, 'postgres'), '-D', data, '-p', String(port), ...args], { cwd: dir, stdout: 'ignore', stderr: 'pipe', ...user });
  const stderr = new Response(server.stderr).text();
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const admin = new SQL(url(), { max: 2, connectionTimeout: 2 });
  let migrated: Promise<string> | undefined;
  async function createDatabase(template?: string): Promise<string> {
    const name = `t${process.pid}_${++databases}`;
    await admin.unsafe(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    return url(name);
  }
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await admin`SELECT 1`;
      break;
    } catch (error) {
      if (server.exitCode !== null || Date.now() > until) {
        server.kill('SIGKILL');
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${server.exitCode !== null ? await stderr : ''}`);
      }
      await Bun.sleep(25);
    }
  }
  return {
    port,
    pid: server.pid,
    url,
    admin,
    createDatabase,
    async migratedDatabase() {
      migrated ??= (async () => {
        const name = `tollgate_migrated_${process.pid}`;
        await admin.unsafe(`CREATE DATABASE ${name}`);
        const { sql, close } = await connectPostgres(url(name), { max: 1 });
        await migratePostgres(sql);
        await close(); // a template must have no connections
        return name;
      })();
      return createDatabase(await migrated);
    },
    async collatedDatabase(icuLocale) {
      if (!/^[A-Za-z0-9-]+$/.test(icuLocale)) throw new Error(`not an ICU locale: ${icuLocale}`);
      const name = `t${process.pid}_${++databases}_${icuLocale.replace(/-/g, '_').toLowerCase()}`;
      await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE '${icuLocale}'`);
      const { sql, close } = await connectPostgres(url(name), { max: 1 });
      try {
        await migratePostgres(sql);
      } finally {
        await close();
      }
      return url(name);
    },
    async stop() {
      await admin.close({ timeout: 0 }).catch(() => undefined);
      // SIGINT is PostgreSQL's fast shutdown: connections are cut, nothing is flushed that need not be
      if (server.exitCode === null) server.kill('SIGINT');
      const stopped = await Promise.race([server.exited, Bun.sleep(10_000).then(() => null)]);
      if (stopped === null) {
        server.kill('SIGKILL');
        await server.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
