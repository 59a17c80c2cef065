import { eq, sql } from 'drizzle-orm';
import type { PgConn } from '../../db/pg/conn';
import { settings } from '../../db/pg/schema';
import type { SettingsStore } from './settings-store';

export function createPgSettingsStore(conn: PgConn): SettingsStore {
  const { db } = conn;
  return {
    get: async (key) => (await db.select().from(settings).where(eq(settings.key, key)))[0]?.value,
    async put(key, value) {
      await db
        .insert(settings)
        .values({ key, value })
        .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedAt: Date.now() } });
    },
  };
}
