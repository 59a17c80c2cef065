import { eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { settings } from '../../db/schema';

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

/** The operator's site settings, cached; written only through update(). */
export function createSiteSettings(db: DB) {
  let cached: SiteSettings | null = null;
  const read = (): SiteSettings => {
    if (cached) return cached;
    const row = db.select().from(settings).where(eq(settings.key, SITE_SETTING)).get();
    cached = { ...DEFAULT_SITE, ...((row?.value as Partial<SiteSettings> | undefined) ?? {}) };
    return cached;
  };
  return {
    get: read,
    update(patch: Partial<SiteSettings>): SiteSettings {
      const next = { ...read(), ...patch };
      db.insert(settings)
        .values({ key: SITE_SETTING, value: next })
        .onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: Date.now() } })
        .run();
      cached = next;
      return next;
    },
  };
}

export type SiteSettingsService = ReturnType<typeof createSiteSettings>;
