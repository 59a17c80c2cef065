import type { DB } from '../../db/client';
import { auditLog } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { AuditStore } from './audit-store';

export function createSqliteAuditStore(db: DB): Synchronous<AuditStore> {
  return {
    insert(row) {
      db.insert(auditLog).values(row).run();
    },
  };
}
