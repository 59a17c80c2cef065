import type { Lang } from '../../lib/i18n';
import type { InvalidationBus } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import { DEFAULT_PRIVACY, DEFAULT_REFUNDS, DEFAULT_TERMS } from './policies';
import type { SettingsStore } from './settings-store';

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
      cached = withDefaults(value ?? {});
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
