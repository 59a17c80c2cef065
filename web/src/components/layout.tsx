import { useEffect, useState } from 'preact/hooks';
import { type Lang, useI18n } from '../i18n';
import type { Loc } from '../lib/router';
import { GUIDE_PAGES, matchRoute, PAGE_PATHS, POLICY_IDS, type PageId, type RouteId } from '../routes';
import { useSite } from './site';
import { Fmt } from './ui';

const NAV: PageId[] = ['home', 'pricing', 'guide', 'dashboard', 'order'];

function isCurrent(id: PageId, path: string): boolean {
  const route = matchRoute(path);
  if (id === 'guide') return (GUIDE_PAGES as readonly RouteId[]).includes(route);
  return route === id;
}

/** `wide`: the operator console's tables get the room of a wide screen (see .container-wide). */
export function Header(props: { loc: Loc; onPrefetch(id: PageId): void; wide?: boolean }) {
  const { t, lang, setLang } = useI18n();
  const site = useSite();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [props.loc.path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      document.querySelector<HTMLButtonElement>('.menu-toggle')?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  const other: Lang = lang === 'en' ? 'zh' : 'en';
  const labels: Record<PageId, string> = {
    home: t.nav.home,
    pricing: t.nav.pricing,
    guide: t.nav.guide,
    sillytavern: t.nav.guide,
    claudeCode: t.nav.guide,
    codex: t.nav.guide,
    editor: t.nav.guide,
    dashboard: t.nav.dashboard,
    order: t.nav.order,
    terms: t.footer.terms,
    privacy: t.footer.privacy,
    refunds: t.footer.refunds,
    admin: t.nav.home,
  };
  return (
    <header class="site-header">
      <a class="skip-link" href="#main">
        {t.nav.skip}
      </a>
      <div class={`container header-row${props.wide ? ' container-wide' : ''}`}>
        <a class="brand" href="/">
          <svg class="brand-mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
            <path d="M2 5h20v3H2zM4 10h16v2H4zM5 8h3v14H5zM16 8h3v14h-3z" fill="currentColor" />
          </svg>
          {site?.site_name ?? t.nav.brand}
        </a>
        <div class="header-actions">
          <button
            type="button"
            class="btn btn-small btn-ghost lang-switch"
            lang={other === 'zh' ? 'zh-CN' : 'en'}
            aria-label={t.nav.switchLabel}
            onClick={() => setLang(other)}
          >
            {t.nav.switchTo}
          </button>
          <button
            type="button"
            class="btn btn-small btn-ghost menu-toggle"
            aria-expanded={open}
            aria-controls="site-nav"
            onClick={() => setOpen(!open)}
          >
            {t.nav.menu}
          </button>
        </div>
        <nav id="site-nav" class={`site-nav${open ? ' is-open' : ''}`} aria-label={t.nav.main}>
          <ul>
            {NAV.map((id) => (
              <li key={id}>
                <a
                  href={PAGE_PATHS[id]}
                  aria-current={isCurrent(id, props.loc.path) ? 'page' : undefined}
                  onPointerEnter={() => props.onPrefetch(id)}
                  onFocus={() => props.onPrefetch(id)}
                >
                  {labels[id]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </div>
    </header>
  );
}

/** The lang attribute for an operator text: English where a Chinese page fell back to it. */
export function textLang(site: { untranslated?: string[] } | null, field: string): string | undefined {
  return site?.untranslated?.includes(field) ? 'en' : undefined;
}

/** The operator's announcement over every buyer page, when there is one. */
export function Announcement() {
  const { t } = useI18n();
  const site = useSite();
  const text = site?.announcement?.trim();
  if (!text) return null;
  return (
    <div class="announcement" role="region" aria-label={t.footer.announcement}>
      <p class="container" id="announcement" lang={textLang(site, 'announcement')}>
        {text}
      </p>
    </div>
  );
}

export function Footer(props: { wide?: boolean }) {
  const { t } = useI18n();
  const site = useSite();
  // the built-in line stands in while the operator's disclaimer is missing, or only in English on a Chinese page
  const own = site !== null && site.disclaimer.trim() !== '' && textLang(site, 'disclaimer') === undefined;
  return (
    <footer class="site-footer">
      <div class={`container${props.wide ? ' container-wide' : ''}`}>
        {!own && <p>{t.footer.independent}</p>}
        {site && site.disclaimer.trim() !== '' && (
          <p id="site-disclaimer" lang={textLang(site, 'disclaimer')}>
            {site.disclaimer}
          </p>
        )}
        <ul class="footer-links">
          <li>
            <a href="/docs">{t.footer.docs}</a>
          </li>
          <li>
            <a href={PAGE_PATHS.guide}>{t.footer.guides}</a>
          </li>
          {POLICY_IDS.map((id) => (
            <li key={id}>
              <a href={PAGE_PATHS[id]} data-policy={id}>
                {t.footer[id]}
              </a>
            </li>
          ))}
          {site?.support_contact && (
            <li>
              <Fmt text={t.footer.support} values={{ contact: <SupportLink contact={site.support_contact} lang={textLang(site, 'support_contact')} /> }} />
            </li>
          )}
        </ul>
      </div>
    </footer>
  );
}

/** An email address becomes a mailto: link, a URL a link, anything else plain text. */
export function SupportLink(props: { contact: string; lang?: string }) {
  const c = props.contact.trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c)) return <a href={`mailto:${c}`}>{c}</a>;
  if (/^https?:\/\//.test(c)) return <a href={c} rel="noopener noreferrer">{c}</a>;
  return <span lang={props.lang}>{c}</span>;
}
