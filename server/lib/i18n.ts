export type Lang = 'en' | 'zh';

/** Picks the first supported language from an Accept-Language header; English otherwise. */
export function langFromAcceptLanguage(header: string | null | undefined): Lang {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

/** The visitor's language for the public APIs: `?lang=en|zh` first (zh-CN, en-US… count), then Accept-Language, else English. */
export function requestLang(request: Request): Lang {
  const query = new URL(request.url).searchParams.get('lang')?.toLowerCase();
  if (query === 'zh' || query?.startsWith('zh-')) return 'zh';
  if (query === 'en' || query?.startsWith('en-')) return 'en';
  return langFromAcceptLanguage(request.headers.get('accept-language'));
}
