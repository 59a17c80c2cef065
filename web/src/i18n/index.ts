import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { readStored, STORAGE_KEYS, writeStored } from '../lib/storage';
import { en, type Dict } from './en';
import { zh } from './zh';

export type Lang = 'en' | 'zh';
export const DICTS: Record<Lang, Dict> = { en, zh };

/** The HTML lang attribute and the Accept-Language sent to the API. */
export const HTML_LANG: Record<Lang, string> = { en: 'en', zh: 'zh-CN' };

function asLang(value: string | null | undefined): Lang | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v === 'zh' || v.startsWith('zh-')) return 'zh';
  if (v === 'en' || v.startsWith('en-')) return 'en';
  return null;
}

/** ?lang= → the saved choice → the browser's languages → English. */
export function detectLang(search: string, saved: string | null, browser: readonly string[]): Lang {
  const fromQuery = asLang(new URLSearchParams(search).get('lang'));
  if (fromQuery) return fromQuery;
  const fromSaved = asLang(saved);
  if (fromSaved) return fromSaved;
  for (const tag of browser) {
    const lang = asLang(tag);
    if (lang) return lang;
  }
  return 'en';
}

export function initialLang(): Lang {
  const browser = navigator.languages?.length ? navigator.languages : [navigator.language];
  const lang = detectLang(location.search, readStored('local', STORAGE_KEYS.lang), browser);
  // an explicit ?lang= is a choice: keep it for the next visit too
  if (asLang(new URLSearchParams(location.search).get('lang'))) writeStored('local', STORAGE_KEYS.lang, lang);
  return lang;
}

/** A key or order status in the page's language; one the dictionary doesn't know, as the API wrote it. */
export function statusName(status: string, t: Dict): string {
  return (t.status as Record<string, string>)[status] ?? status;
}

export interface I18n {
  lang: Lang;
  t: Dict;
  setLang(lang: Lang): void;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: en, setLang: () => {} });

export function useI18n(): I18n {
  return useContext(I18nContext);
}
