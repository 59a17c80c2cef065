import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dir, '../../web');
export const DIST_DIR = join(WEB_DIR, 'dist');
const INDEX = join(DIST_DIR, 'index.html');
const INPUTS = [join(WEB_DIR, 'src'), join(WEB_DIR, 'public'), join(WEB_DIR, 'index.html'), join(WEB_DIR, 'vite.config.ts')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

let built = false;

/**
 * Builds the pages once per test run when web/dist is missing or older than its sources, so a
 * fresh clone's `bun test` works (CI runs the tests before the build step).
 */
export function ensureWebBuilt(): void {
  if (built) return;
  const stale = !existsSync(INDEX) || statSync(INDEX).mtimeMs < Math.max(...INPUTS.map(newestMtime));
  if (stale) {
    const proc = Bun.spawnSync(['bunx', 'vite', 'build', 'web'], { cwd: resolve(WEB_DIR, '..'), stdout: 'pipe', stderr: 'pipe' });
    if (proc.exitCode !== 0) throw new Error(`vite build failed:\n${proc.stdout.toString()}\n${proc.stderr.toString()}`);
  }
  built = true;
}
