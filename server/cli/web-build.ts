import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// In a checkout the pages are served from web/dist, which `bun run build:web` makes; the compiled
// binary has them embedded and never builds anything.

const ROOT = resolve(import.meta.dir, '../..');
const WEB_DIR = join(ROOT, 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');
const INDEX = join(WEB_DIST, 'index.html');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts'].map((name) => join(WEB_DIR, name));

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True in a checkout whose web/dist is missing or older than its sources. */
export function webPagesStale(): boolean {
  if (Bun.isStandaloneExecutable || !existsSync(WEB_DIR)) return false;
  return !existsSync(INDEX) || statSync(INDEX).mtimeMs < Math.max(...INPUTS.map(newestMtime));
}

/** Runs `bun run build:web` in the checkout; throws with Vite's output when it fails. */
export function buildWebPages(): void {
  const proc = Bun.spawnSync([process.execPath, 'run', 'build:web'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: process.env });
  if (proc.exitCode !== 0) {
    throw new Error(`building the web pages failed (bun run build:web; is \`bun install\` done?):\n${proc.stdout.toString()}${proc.stderr.toString()}`);
  }
}
