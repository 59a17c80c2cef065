import { afterAll, beforeAll, expect, it } from 'bun:test';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { en } from '../../web/src/i18n/en';
import { BROWSER_AVAILABLE, describeBrowser, launchBrowser, openPage } from '../helpers/browser';
import { tempDir } from '../helpers/gateway';
import { teeProcessOutput } from '../helpers/log-tee';
import { freePort } from '../helpers/process';

// The README's first command on a fresh machine: a clean clone of the committed repository has no
// web/dist; `bun install && bun run demo` must still serve the pages. (`--offline`: the packages
// come from Bun's cache, never from the network; `--port` and `--data-dir` keep it apart.)

const REPO = resolve(import.meta.dir, '../..');
// this machine's environment (Bun's cache location included), without the gateway's own settings
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_')));

let dir: string;
let clone: string;
let demo: Bun.Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
let output = '';

function run(cmd: string[], cwd: string) {
  const proc = Bun.spawnSync(cmd, { cwd, env: ENV, stdout: 'pipe', stderr: 'pipe' });
  const out = `${proc.stdout.toString()}${proc.stderr.toString()}`;
  if (proc.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed (${proc.exitCode}):\n${out}`);
  return out;
}

/** Reads the demo's stdout until `text` shows up (or the process ends, or `ms` pass). */
async function waitForOutput(proc: NonNullable<typeof demo>, text: string, ms: number): Promise<void> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Bun.sleep(ms).then(() => 'timeout' as const);
  try {
    while (!output.includes(text)) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'timeout' || next.done) throw new Error(`the demo did not print "${text}"; it printed:\n${output}\n${await new Response(proc.stderr).text()}`);
      output += decoder.decode(next.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  dir = tempDir('tollgate-fresh-clone-');
  clone = join(dir, 'tollgate');
  run(['git', 'clone', '--quiet', '--no-hardlinks', REPO, clone], dir);
  run(['bun', 'install', '--frozen-lockfile', '--offline'], clone);
}, 120_000);

afterAll(async () => {
  if (demo) {
    demo.kill('SIGTERM');
    await demo.exited;
  }
  if (output) teeProcessOutput('stdout', output);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeBrowser('a fresh clone', () => {
  it(
    'has no built pages, and `bun run demo` builds them (saying so) and serves the home page',
    async () => {
      expect(existsSync(join(clone, 'web', 'dist'))).toBe(false);
      const port = freePort();
      demo = Bun.spawn(['bun', 'run', 'demo', '--port', String(port), '--data-dir', join(dir, 'data-demo')], { cwd: clone, env: ENV, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
      await waitForOutput(demo, 'Demo key', 90_000);
      expect(output).toContain('Building the web pages first (web/dist is missing or older than web/src)');
      expect(output).toContain(`Web pages    http://127.0.0.1:${port}/`);
      expect(output).toContain('--host 0.0.0.0 opens it to your network');
      expect(existsSync(join(clone, 'web', 'dist', 'index.html'))).toBe(true);

      const browser = await launchBrowser();
      try {
        const { page, problems } = await openPage(browser);
        const res = await page.goto(`http://127.0.0.1:${port}/?lang=en`);
        expect(res?.status()).toBe(200);
        const h1 = page.locator('main h1').first();
        await h1.waitFor({ state: 'visible', timeout: 15_000 });
        expect((await h1.textContent())?.trim()).toBe(en.home.heroTitle);
        await page.locator('.model-card').first().waitFor({ timeout: 15_000 });
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
