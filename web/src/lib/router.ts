import { useEffect, useState } from 'preact/hooks';
import { matchRoute } from '../routes';

// A tiny router: history.pushState + popstate + interception of same-origin page links.

export interface Loc {
  path: string;
  search: string;
  hash: string;
}

const listeners = new Set<() => void>();

function current(): Loc {
  return { path: location.pathname, search: location.search, hash: location.hash };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = new URL(to, location.href);
  const target = url.pathname + url.search + url.hash;
  if (opts.replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  notify(!opts.replace);
}

/** Changes the query string without a new history entry or a page change. */
export function replaceQuery(update: (params: URLSearchParams) => void): void {
  const url = new URL(location.href);
  update(url.searchParams);
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  listeners.forEach((l) => l());
}

let pendingScroll = false;

function notify(scroll: boolean): void {
  pendingScroll = scroll;
  listeners.forEach((l) => l());
}

/** Called by the page host once the new page has rendered. */
export function afterNavigation(): void {
  if (!pendingScroll) return;
  pendingScroll = false;
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id ? document.getElementById(id) : null;
  if (target) target.scrollIntoView();
  else window.scrollTo(0, 0);
  // move focus to the new page so screen readers and keyboards start there
  const main = document.getElementById('main');
  if (main && !target) main.focus({ preventScroll: true });
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return loc;
}

function onClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || !anchor.href) return;
  if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || matchRoute(url.pathname) === 'notFound') return;
  // same page, only the fragment changes: let the browser scroll
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

export function startRouter(): void {
  addEventListener('popstate', () => notify(false));
  document.addEventListener('click', onClick);
}
