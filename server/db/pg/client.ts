import { SQL } from 'bun';
import { drizzle, type BunSQLDatabase } from 'drizzle-orm/bun-sql';
import { StartupError } from '../../config';
import * as schema from './schema';

// The scale-out mode's database: Bun's own PostgreSQL client (a pool) and drizzle over it. Bun
// returns bigint columns and sum()/count() as strings: the schema reads its bigint columns as
// numbers, and a raw query must map them itself (Number(row.n), or .mapWith(Number) in drizzle).

export type PgDB = BunSQLDatabase<typeof schema> & { $client: SQL };

export interface PostgresHandle {
  sql: SQL;
  db: PgDB;
  /** where it is connected, without the password (for log lines) */
  describe: string;
  close(): Promise<void>;
}

/** Session advisory lock keys (pg_advisory_lock(namespace, key)): one namespace for Tollgate. */
export const ADVISORY_NAMESPACE = 0x746f6c6c; // "toll"
export const ADVISORY_LOCKS = { migrate: 1, leader: 2, seed: 3 } as const;

/** postgres://user@host:port/db: the URL without its password or query. */
export function describePostgresUrl(text: string): string {
  try {
    const url = new URL(text);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return `postgres://${user}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Opens the pool and proves it with one query, so that a wrong host, password or database stops
 * start-up with one line instead of failing the first request.
 */
export async function connectPostgres(url: string, opts: { max?: number; connectTimeoutSeconds?: number; applicationName?: string; /** what the URL is called in the error line */ variable?: string } = {}): Promise<PostgresHandle> {
  const describe = describePostgresUrl(url);
  const sql = new SQL(url, {
    max: opts.max ?? 20,
    connectionTimeout: opts.connectTimeoutSeconds ?? 5,
    idleTimeout: 60,
    connection: { application_name: opts.applicationName ?? 'tollgate' },
  });
  try {
    await sql`SELECT 1`;
  } catch (error) {
    await sql.close({ timeout: 0 }).catch(() => undefined);
    throw new StartupError(`${opts.variable ?? 'TOLLGATE_DATABASE_URL'}: cannot reach PostgreSQL at ${describe}: ${reasonOf(error)}`);
  }
  const db = drizzle({ client: sql, schema }) as PgDB;
  return { sql, db, describe, close: () => sql.close({ timeout: 5 }) };
}

/** One line from a connection error: its message, or its code when the message is empty. */
function reasonOf(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  const text = (message ?? '').split('\n')[0]?.trim() || code || String(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
