import type { InvalidationBus } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import type { SettingsStore } from './settings-store';

export interface SiteSettings {
  siteName: string;
  disclaimer: string;
  supportContact: string;
  /** whether answers keep reasoning_content for keys that have no setting of their own */
  showReasoningDefault: boolean;
  /** an upstream key's DeepSeek balance below this (USD, decimal text) is flagged and logged */
  lowBalanceWarningUsd: string;
}

export const SITE_SETTING = 'site';

export const DEFAULT_SITE: SiteSettings = {
  siteName: 'Tollgate',
  disclaimer:
    'An independent reseller of DeepSeek API access. Not affiliated with or endorsed by DeepSeek. Usage is billed at DeepSeek’s published token prices against your plan’s budget.',
  supportContact: 'support@example.com',
  showReasoningDefault: false,
  lowBalanceWarningUsd: '5',
};

/**
 * The operator's site settings, kept in memory and read synchronously; loaded at start, written
 * only through update(), read again when the 'settings' topic says they changed elsewhere.
 */
export function createSiteSettings(deps: { store: SettingsStore; bus: InvalidationBus; log?: Logger }) {
  const { store, bus } = deps;
  let cached: SiteSettings | null = null;
  let generation = 0;

  async function read(): Promise<SiteSettings> {
    for (;;) {
      const readAt = generation;
      const value = (await store.get(SITE_SETTING)) as Partial<SiteSettings> | undefined;
      if (readAt !== generation) continue;
      cached = { ...DEFAULT_SITE, ...(value ?? {}) };
      return cached;
    }
  }
  bus.subscribe('settings', () => {
    generation++;
    read().catch((error: unknown) => deps.log?.error('the site settings could not be read again', { error: String(error) }));
  });

  return {
    /** Reads them (at start, before anything asks). */
    load: async (): Promise<void> => {
      await read();
    },
    get(): SiteSettings {
      if (!cached) throw new Error('the site settings are not loaded yet (await site.load() at start)');
      return cached;
    },
    async update(patch: Partial<SiteSettings>): Promise<SiteSettings> {
      const next = { ...(cached ?? (await read())), ...patch };
      await store.put(SITE_SETTING, next);
      generation++;
      cached = next;
      await bus.publish('settings');
      return next;
    },
  };
}

export type SiteSettingsService = ReturnType<typeof createSiteSettings>;
