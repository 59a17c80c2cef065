import { eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { upstreamKeys } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { UpstreamKeyStore } from './upstream-store';

/** UpstreamKeyStore on bun:sqlite. */
export function createSqliteUpstreamKeyStore(db: DB): Synchronous<UpstreamKeyStore> {
  return {
    all: () => db.select().from(upstreamKeys).all(),
    byId: (id) => db.select().from(upstreamKeys).where(eq(upstreamKeys.id, id)).get(),
    anySealedKey: () => db.select({ sealed: upstreamKeys.keyEncrypted }).from(upstreamKeys).limit(1).get()?.sealed,
    upsert(row) {
      db.insert(upstreamKeys)
        .values(row)
        .onConflictDoUpdate({ target: upstreamKeys.id, set: { label: row.label, keyEncrypted: row.keyEncrypted, keyHint: row.keyHint, status: row.status, failureReason: null } })
        .run();
    },
    update(id, patch) {
      db.update(upstreamKeys).set(patch).where(eq(upstreamKeys.id, id)).run();
    },
  };
}
