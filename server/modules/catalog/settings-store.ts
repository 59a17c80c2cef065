// The settings table (key → JSON value) as the site settings use it. One implementation per
// backend (settings-store.sqlite.ts; settings-store.pg.ts to come).

export interface SettingsStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}
