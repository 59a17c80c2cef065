import { en } from '../../../web/src/i18n/en';
import { zh } from '../../../web/src/i18n/zh';
import { langFromAcceptLanguage, type Lang } from '../../lib/i18n';
import type { DocumentName } from './openapi';

// The HTML of /docs and /admin/docs: a short introduction in both languages (the site's own
// strings), then the element Swagger UI renders into. The server shows the language of ?lang= or
// Accept-Language; docs-page.js then follows the site's rule (?lang → saved choice → browser).

const DICTS = { en, zh } as const;
const HTML_LANG: Record<Lang, string> = { en: 'en', zh: 'zh-CN' };
const OTHER: Record<Lang, Lang> = { en: 'zh', zh: 'en' };

export const DOCS_PATHS: Record<DocumentName, { page: string; json: string }> = {
  public: { page: '/docs', json: '/docs/json' },
  admin: { page: '/admin/docs', json: '/admin/docs/json' },
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `{${name}}`);

/** The language the server shows first: ?lang=en|zh, else Accept-Language (the script then applies a saved choice). */
export function serverLang(search: string, acceptLanguage: string | null): Lang {
  const asked = new URLSearchParams(search).get('lang')?.toLowerCase();
  if (asked === 'en' || asked === 'zh') return asked;
  return langFromAcceptLanguage(acceptLanguage);
}

function intro(name: DocumentName, lang: Lang, shown: Lang, site: { siteName: string; publicUrl: string }): string {
  const t = DICTS[lang].docs;
  const nav = DICTS[lang].nav;
  const paths = DOCS_PATHS[name];
  const link = (href: string, text: string, attrs = '') => `<a href="${escapeHtml(href)}"${attrs}>${escapeHtml(text)}</a>`;
  const switchTo = OTHER[lang];
  return `<header class="docs-intro" data-lang="${lang}" lang="${HTML_LANG[lang]}"${lang === shown ? '' : ' hidden'} data-title="${escapeHtml(`${name === 'public' ? t.title : t.adminTitle} · ${site.siteName}`)}">
<nav class="docs-nav">${link(`/?lang=${lang}`, fill(t.back, { site: site.siteName }), ' class="docs-back"')}<span class="docs-nav-links">${name === 'public' ? link(`/guide?lang=${lang}`, t.guides) : link(`${DOCS_PATHS.public.page}?lang=${lang}`, t.otherPublic)}${link(`${paths.page}?lang=${switchTo}`, DICTS[lang].nav.switchTo, ` lang="${HTML_LANG[switchTo]}" aria-label="${escapeHtml(nav.switchLabel)}" class="docs-lang"`)}</span></nav>
<h1>${escapeHtml(name === 'public' ? t.title : t.adminTitle)}</h1>
<p>${escapeHtml(name === 'public' ? t.lead : t.adminLead)}</p>
${name === 'public' ? `<p>${t.baseUrl.split('{url}').map(escapeHtml).join(`<code>${escapeHtml(`${site.publicUrl}/v1`)}</code>`)}</p>` : ''}
<p class="docs-small">${link(paths.json, t.json)}${lang === 'en' ? '' : ` · ${escapeHtml(t.englishUi)}`}</p>
<noscript><p>${escapeHtml(fill(t.noScript, { json: paths.json }))}</p></noscript>
</header>`;
}

export function docsPageHtml(name: DocumentName, lang: Lang, site: { siteName: string; publicUrl: string }, assets: { css: string[]; js: string[] }): string {
  const t = DICTS[lang].docs;
  return `<!doctype html>
<html lang="${HTML_LANG[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${name === 'admin' ? '<meta name="robots" content="noindex, nofollow">\n' : ''}<title>${escapeHtml(`${name === 'public' ? t.title : t.adminTitle} · ${site.siteName}`)}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${assets.css.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
${assets.js.map((src) => `<script src="${src}" defer></script>`).join('\n')}
</head>
<body>
${intro(name, 'en', lang, site)}
${intro(name, 'zh', lang, site)}
<main id="swagger-ui" data-spec="${DOCS_PATHS[name].json}"></main>
</body>
</html>
`;
}
