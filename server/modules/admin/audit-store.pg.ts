import type { PgConn } from '../../db/pg/conn';
import { auditLog } from '../../db/pg/schema';
import type { AuditStore } from './audit-store';

export function createPgAuditStore(conn: PgConn): AuditStore {
  return {
    async insert(row) {
      await conn.db.insert(auditLog).values(row);
    },
  };
}
