import { eq } from 'drizzle-orm';
import type { PgConn } from '../../db/pg/conn';
import { upstreamKeys } from '../../db/pg/schema';
import type { UpstreamKeyStore } from './upstream-store';

/** UpstreamKeyStore on PostgreSQL. */
export function createPgUpstreamKeyStore(conn: PgConn): UpstreamKeyStore {
  const { db } = conn;
  return {
    all: () => db.select().from(upstreamKeys),
    byId: async (id) => (await db.select().from(upstreamKeys).where(eq(upstreamKeys.id, id)))[0],
    anySealedKey: async () => (await db.select({ sealed: upstreamKeys.keyEncrypted }).from(upstreamKeys).limit(1))[0]?.sealed,
    async upsert(row) {
      await db
        .insert(upstreamKeys)
        .values(row)
        .onConflictDoUpdate({ target: upstreamKeys.id, set: { label: row.label, keyEncrypted: row.keyEncrypted, keyHint: row.keyHint, status: row.status, failureReason: null } });
    },
    async update(id, patch) {
      await db.update(upstreamKeys).set(patch).where(eq(upstreamKeys.id, id));
    },
  };
}
