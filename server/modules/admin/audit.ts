import type { Stores, Tx } from '../../backend';

export interface AuditEntry {
  actor: 'admin' | 'system' | 'paypal' | 'buyer';
  action: string;
  target?: string | null;
  ip?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Every change to money, keys or the catalog made outside a buyer's own request leaves a row, in the change's transaction when it has one. */
export function createAuditLog(stores: Pick<Stores, 'audit'>) {
  return {
    record(entry: AuditEntry, tx?: Tx): Promise<void> {
      return (tx ?? stores).audit.insert({
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        ip: entry.ip ?? null,
        before: entry.before ?? null,
        after: entry.after ?? null,
      });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
