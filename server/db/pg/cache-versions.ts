import type { SQL } from 'bun';
import type { CacheVersions } from '../../lib/invalidation';

/** cache_versions on PostgreSQL: outlives a Redis restart, and answers while Redis is away. */
export function pgCacheVersions(sql: SQL): CacheVersions {
  return {
    async bump(topic) {
      const [row] = await sql`INSERT INTO cache_versions (topic, version) VALUES (${topic}, 1)
        ON CONFLICT (topic) DO UPDATE SET version = cache_versions.version + 1 RETURNING version`;
      return Number(row.version);
    },
    async read() {
      const rows: { topic: string; version: string }[] = await sql`SELECT topic, version FROM cache_versions`;
      return new Map(rows.map((row) => [row.topic, Number(row.version)]));
    },
  };
}
