import type { ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, once, setApiLang } from './api/client';
import type { Site } from './api/types';
import { Announcement, Footer, Header } from './components/layout';
import { SiteContext } from './components/site';
import { ErrorNotice, Loading } from './components/ui';
import { DICTS, HTML_LANG, I18nContext, type I18n, type Lang } from './i18n';
import { STORAGE_KEYS, writeStored } from './lib/storage';
import { afterNavigation, replaceQuery, useLocation, type Loc } from './lib/router';
import { matchRoute, type RouteId } from './routes';

export interface PageProps {
  loc: Loc;
}

type PageModule = { default: ComponentType<PageProps> };

// Every page is its own chunk, fetched when first shown (or when its link is hovered).
const LOADERS: Record<RouteId, () => Promise<PageModule>> = {
  home: () => import('./pages/home'),
  pricing: () => import('./pages/pricing'),
  order: () => import('./pages/order'),
  dashboard: () => import('./pages/dashboard'),
  guide: () => import('./pages/guide'),
  sillytavern: () => import('./pages/guide'),
  claudeCode: () => import('./pages/guide'),
  codex: () => import('./pages/guide'),
  editor: () => import('./pages/guide'),
  terms: () => import('./pages/policy'),
  privacy: () => import('./pages/policy'),
  refunds: () => import('./pages/policy'),
  admin: () => import('./pages/admin'),
  notFound: () => import('./pages/not-found'),
};

const loaded = new Map<RouteId, Promise<PageModule>>();
function loadPage(id: RouteId): Promise<PageModule> {
  let p = loaded.get(id);
  if (!p) {
    p = LOADERS[id]();
    loaded.set(id, p);
    p.catch(() => loaded.delete(id));
  }
  return p;
}

function PageHost(props: { route: RouteId; loc: Loc }) {
  const [page, setPage] = useState<{ route: RouteId; Component: ComponentType<PageProps> } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    loadPage(props.route).then(
      (mod) => live && setPage({ route: props.route, Component: mod.default }),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [props.route, attempt]);
  useEffect(() => {
    if (page?.route === props.route) afterNavigation();
  }, [page, props.route, props.loc]);
  if (error) return <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />;
  if (!page || page.route !== props.route) return <Loading />;
  return <page.Component loc={props.loc} />;
}

export function App(props: { initialLang: Lang }) {
  const loc = useLocation();
  const [lang, setLangState] = useState<Lang>(props.initialLang);
  const [site, setSite] = useState<Site | null>(null);
  const route = matchRoute(loc.path);

  // set before children render, so their first API calls already ask for this language
  setApiLang(lang);
  // the operator's texts come in the page's language: asked again when it changes (the old ones stay until then)
  useEffect(() => {
    let live = true;
    once(`site:${lang}`, api.site).then(
      (next) => live && setSite(next),
      () => live && setSite((current) => current),
    );
    return () => {
      live = false;
    };
  }, [lang]);
  useEffect(() => {
    document.documentElement.lang = HTML_LANG[lang];
  }, [lang]);

  const setLang = useCallback((next: Lang) => {
    writeStored('local', STORAGE_KEYS.lang, next);
    // keep a shared ?lang= link from switching it back on reload
    if (new URLSearchParams(location.search).has('lang')) replaceQuery((q) => q.set('lang', next));
    setLangState(next);
  }, []);

  const i18n = useMemo<I18n>(() => ({ lang, t: DICTS[lang], setLang }), [lang, setLang]);
  const prefetch = useCallback((id: RouteId) => void loadPage(id).catch(() => {}), []);

  return (
    <I18nContext.Provider value={i18n}>
      <SiteContext.Provider value={site}>
        <Header loc={loc} onPrefetch={prefetch} wide={route === 'admin'} />
        {route !== 'admin' && <Announcement />}
        <main id="main" tabIndex={-1} class={route === 'admin' ? 'container container-wide' : 'container'}>
          <PageHost route={route} loc={loc} />
        </main>
        <Footer wide={route === 'admin'} />
      </SiteContext.Provider>
    </I18nContext.Provider>
  );
}
