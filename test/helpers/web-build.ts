import { buildWebPages, webPagesStale, WEB_DIST } from '../../server/cli/web-build';

export const DIST_DIR = WEB_DIST;

let built = false;

/**
 * Builds the pages once per test run when web/dist is missing or older than its sources, so a
 * fresh clone's `bun test` works (CI runs the tests before the build step). The same check as
 * `tollgate demo` makes in a checkout.
 */
export function ensureWebBuilt(): void {
  if (built) return;
  if (webPagesStale()) buildWebPages();
  built = true;
}
