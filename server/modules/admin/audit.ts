import type { DB } from '../../db/client';
import { auditLog } from '../../db/schema';

export interface AuditEntry {
  actor: 'admin' | 'system' | 'paypal' | 'buyer';
  action: string;
  target?: string | null;
  ip?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Every change to money, keys or the catalog made outside a buyer's own request leaves a row. */
export function createAuditLog(db: DB) {
  return {
    record(entry: AuditEntry): void {
      db.insert(auditLog)
        .values({ actor: entry.actor, action: entry.action, target: entry.target ?? null, ip: entry.ip ?? null, before: entry.before ?? null, after: entry.after ?? null })
        .run();
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
