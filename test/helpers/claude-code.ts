import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Claude Code (npm @anthropic-ai/claude-code) ships its native binary in a platform package
// among its optional dependencies; its postinstall only copies that binary over a stub. Bun runs
// no dependency's install script unless trusted, so the tests run the platform package's binary
// itself: `bun install --frozen-lockfile` is all a fresh machine needs.

const require = createRequire(import.meta.url);

function platformPackage(): string {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  if (process.platform === 'linux') {
    const musl = existsSync('/etc/alpine-release') || !(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    return `@anthropic-ai/claude-code-linux-${arch}${musl ? '-musl' : ''}`;
  }
  return `@anthropic-ai/claude-code-${process.platform}-${arch}`;
}

/** The path of the `claude` executable for this machine. */
export function claudeCodeBinary(): string {
  const wrapper = dirname(require.resolve('@anthropic-ai/claude-code/package.json'));
  const name = platformPackage();
  const dir = dirname(require.resolve(`${name}/package.json`, { paths: [wrapper] }));
  const binary = join(dir, process.platform === 'win32' ? 'claude.exe' : 'claude');
  if (!existsSync(binary)) throw new Error(`${name} has no claude binary: run bun install`);
  return binary;
}

/** The installed Claude Code version (the wrapper's). */
export function claudeCodeVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('@anthropic-ai/claude-code/package.json'), 'utf8')) as { version: string }).version;
}
