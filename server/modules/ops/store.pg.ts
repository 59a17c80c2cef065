import type { PgConn } from '../../db/pg/conn';
import type { OpsStore } from './store';

export function createPgOpsStore(conn: PgConn): OpsStore {
  return {
    async ping() {
      await conn.sql`SELECT 1`;
    },
    async databaseBytes() {
      const [row] = await conn.sql`SELECT pg_database_size(current_database()) AS bytes`;
      return Number(row.bytes);
    },
  };
}
