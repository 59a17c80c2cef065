import { join } from 'node:path';
import { teeProcessOutput, teeProcessStream } from './log-tee';

export const MAIN = join(import.meta.dir, '../../server/main.ts');

/** A free loopback port: bind port 0, read it, let it go. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string) {
  const proc = Bun.spawnSync(['bun', 'run', MAIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, cwd });
  const out = { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
  teeProcessOutput('stdout', out.stdout);
  teeProcessOutput('stderr', out.stderr);
  return out;
}

export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

/** Starts `tollgate serve` as a child process (killed by PID by the caller). */
export async function spawnGateway(args: string[], env: Record<string, string>) {
  const port = freePort();
  const proc = Bun.spawn(['bun', 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOLLGATE_LOG_LEVEL: 'warn', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  // the caller still reads proc.stdout / proc.stderr as before; a copy goes to the log audit
  Object.defineProperty(proc, 'stdout', { value: teeProcessStream('stdout', proc.stdout), configurable: true });
  Object.defineProperty(proc, 'stderr', { value: teeProcessStream('stderr', proc.stderr), configurable: true });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`);
  return { proc, url, port };
}
