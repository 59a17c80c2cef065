import { eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { settings } from '../../db/schema';
import type { Lang } from '../../lib/i18n';
import { DEFAULT_PRIVACY, DEFAULT_REFUNDS, DEFAULT_TERMS } from './policies';

/**
 * The operator's texts come in pairs: the English one (the field's own name) and the Chinese one
 * (`…Zh`). An empty Chinese text means "show the English one".
 */
export interface SiteTexts {
  disclaimer: string;
  disclaimerZh: string;
  supportContact: string;
  supportContactZh: string;
  /** a banner over every buyer page; empty: none */
  announcement: string;
  announcementZh: string;
  /** the policy pages, Markdown; {site} and {contact} are filled in when served */
  terms: string;
  termsZh: string;
  privacy: string;
  privacyZh: string;
  refunds: string;
  refundsZh: string;
}

export interface SiteSettings extends SiteTexts {
  siteName: string;
  /** whether answers keep reasoning_content for keys that have no setting of their own */
  showReasoningDefault: boolean;
  /** an upstream key's DeepSeek balance below this (USD, decimal text) is flagged and logged */
  lowBalanceWarningUsd: string;
}

export const SITE_SETTING = 'site';

/** The texts that have a Chinese twin, by their English field. */
export const TRANSLATED_TEXTS = ['disclaimer', 'supportContact', 'announcement', 'terms', 'privacy', 'refunds'] as const;
export type TranslatedText = (typeof TRANSLATED_TEXTS)[number];

export const DEFAULT_SITE: SiteSettings = {
  siteName: 'Tollgate',
  disclaimer:
    'An independent reseller of DeepSeek API access. Not affiliated with or endorsed by DeepSeek. Usage is billed at DeepSeek’s published token prices against your plan’s budget.',
  disclaimerZh: '本站是 DeepSeek API 访问的独立经销商，与 DeepSeek 无隶属关系，亦未获其认可。用量按 DeepSeek 公布的 token 价格从您套餐的额度中扣除。',
  supportContact: 'support@example.com',
  supportContactZh: 'support@example.com',
  announcement: '',
  announcementZh: '',
  terms: DEFAULT_TERMS.en,
  termsZh: DEFAULT_TERMS.zh,
  privacy: DEFAULT_PRIVACY.en,
  privacyZh: DEFAULT_PRIVACY.zh,
  refunds: DEFAULT_REFUNDS.en,
  refundsZh: DEFAULT_REFUNDS.zh,
  showReasoningDefault: false,
  lowBalanceWarningUsd: '5',
};

/**
 * The stored settings over the defaults. A Chinese default only stands beside its English
 * default: where the operator rewrote an English text before the Chinese fields existed, the
 * Chinese one starts empty (shown in English, marked in the console), never as a translation of
 * a text that is no longer there.
 */
export function withDefaults(stored: Partial<SiteSettings>): SiteSettings {
  const merged: SiteSettings = { ...DEFAULT_SITE, ...stored };
  for (const field of TRANSLATED_TEXTS) {
    const zh = `${field}Zh` as const;
    if (stored[zh] === undefined && stored[field] !== undefined && stored[field] !== DEFAULT_SITE[field]) merged[zh] = '';
  }
  return merged;
}

/** A text in a language: the Chinese one where it is written, the English one otherwise (and whether it fell back). */
export function textIn(site: SiteTexts, field: TranslatedText, lang: Lang): { text: string; fallback: boolean } {
  if (lang === 'zh') {
    const zh = site[`${field}Zh`].trim();
    if (zh !== '') return { text: site[`${field}Zh`], fallback: false };
    return { text: site[field], fallback: site[field].trim() !== '' };
  }
  return { text: site[field], fallback: false };
}

/** The operator's site settings, cached; written only through update(). */
export function createSiteSettings(db: DB) {
  let cached: SiteSettings | null = null;
  const read = (): SiteSettings => {
    if (cached) return cached;
    const row = db.select().from(settings).where(eq(settings.key, SITE_SETTING)).get();
    cached = withDefaults((row?.value as Partial<SiteSettings> | undefined) ?? {});
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
