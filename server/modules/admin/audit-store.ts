import type { auditLog } from '../../db/schema';

// The audit log's one write. One implementation per backend (audit-store.sqlite.ts; audit-store.pg.ts to come).

export type NewAuditRow = typeof auditLog.$inferInsert;

export interface AuditStore {
  insert(row: NewAuditRow): Promise<void>;
}
