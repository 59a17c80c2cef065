// The page routes, shared by the browser router and the server (which answers them with index.html).
// Pure data: no imports, so server/plugins/web.ts can use it without pulling in the UI.

export type PageId = 'home' | 'pricing' | 'order' | 'dashboard' | 'guide' | 'sillytavern' | 'claudeCode' | 'codex' | 'editor' | 'terms' | 'privacy' | 'refunds' | 'admin';
/** The operator's policy pages (Markdown from the console, GET /api/policies/{id}). */
export type PolicyId = 'terms' | 'privacy' | 'refunds';
export const POLICY_IDS: readonly PolicyId[] = ['terms', 'privacy', 'refunds'];
export type RouteId = PageId | 'notFound';

export const PAGE_PATHS: Record<PageId, string> = {
  home: '/',
  pricing: '/pricing',
  order: '/order',
  dashboard: '/dashboard',
  guide: '/guide',
  sillytavern: '/guide/sillytavern',
  claudeCode: '/guide/claude-code',
  codex: '/guide/codex',
  editor: '/guide/editor',
  terms: '/terms',
  privacy: '/privacy',
  refunds: '/refunds',
  admin: '/admin',
};

const BY_PATH = new Map<string, PageId>(Object.entries(PAGE_PATHS).map(([id, path]) => [path, id as PageId]));

/** The guide pages (one layout, a content file per language each). */
export const GUIDE_PAGES = ['guide', 'sillytavern', 'claudeCode', 'codex', 'editor'] as const satisfies readonly PageId[];

/** Which page a pathname shows; a trailing slash is ignored; /admin/* (but /admin/docs) is the operator console. */
export function matchRoute(pathname: string): RouteId {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') || '/' : pathname;
  const page = BY_PATH.get(path);
  if (page) return page;
  // the admin API's reference is a server page (Swagger UI), not a console section
  if (path === '/admin/docs' || path.startsWith('/admin/docs/')) return 'notFound';
  if (path.startsWith('/admin/')) return 'admin';
  return 'notFound';
}
