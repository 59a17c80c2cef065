// The request target as Bun hands it over. request.url is "http://HOST/path?query" when the Host
// header is one Bun can put in a URL; when it is not (missing, empty, or with "/", "?", "#", "@",
// a space…) request.url is the bare target, "/admin/api/keys". Code that looked for the path after
// "//" then read the wrong one. Elysia's own `path` is no better: it assumes the host has at least
// four characters (its `standardHostname`), so "Host: a" shifts it. These two functions are the
// only readers of a path out of a URL.

/** A host name, an IPv4 address or a bracketed IPv6 address, an optional port, then the path's "/". */
const SANE_AUTHORITY = /(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?\//iy;

/**
 * The path of a request whose target is a proper origin-form path with a sane Host
 * ("http://host[:port]/path[?query]", no fragment), without decoding; null for anything else.
 */
export function requestPath(url: string): string | null {
  let start: number;
  if (url.startsWith('http://')) start = 7;
  else if (url.startsWith('https://')) start = 8;
  else return null;
  SANE_AUTHORITY.lastIndex = start;
  if (!SANE_AUTHORITY.test(url)) return null;
  const pathStart = SANE_AUTHORITY.lastIndex - 1;
  // a fragment is never part of a request target (RFC 9112 §3.2)
  if (url.indexOf('#', pathStart) >= 0) return null;
  const query = url.indexOf('?', pathStart);
  return query < 0 ? url.slice(pathStart) : url.slice(pathStart, query);
}

/**
 * The path of any request URL, also of one requestPath refused (for the log line that says what
 * was asked for): the bare target's own path, or what follows the authority; without the query.
 */
export function pathOf(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = url.indexOf('://');
    start = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    if (start < 0) return '/';
  }
  let end = url.indexOf('?', start);
  if (end < 0) end = url.length;
  const fragment = url.indexOf('#', start);
  if (fragment >= 0 && fragment < end) end = fragment;
  return url.slice(start, end);
}
