import { eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { settings } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { SettingsStore } from './settings-store';

export function createSqliteSettingsStore(db: DB): Synchronous<SettingsStore> {
  return {
    get: (key) => db.select().from(settings).where(eq(settings.key, key)).get()?.value,
    put(key, value) {
      db.insert(settings)
        .values({ key, value })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: Date.now() } })
        .run();
    },
  };
}
