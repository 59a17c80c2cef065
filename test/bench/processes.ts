// The processes the bench and the soak start: the DeepSeek simulator, the gateway and the
// pass-through proxy, each on a free loopback port, each remembered so that it is stopped by its
// PID at the end.
import { join } from 'node:path';
import { freePort, MAIN, waitForHttp } from '../helpers/process';

const children: ReturnType<typeof Bun.spawn>[] = [];

/** Starts a process with a small environment and waits until `healthUrl` answers. */
async function spawnReady(cmd: string[], env: Record<string, string>, healthUrl: string, cpu?: string) {
  const proc = Bun.spawn(pinnedTo(cpu, cmd), { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BUN_CONFIG_MAX_HTTP_REQUESTS: process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? '4096', ...env }, stdout: 'ignore', stderr: 'inherit' });
  children.push(proc);
  await waitForHttp(healthUrl);
  return proc;
}

/** `cmd` run on the given CPU list (`taskset -c`); as is without one. Threads it starts inherit the set. */
export const pinnedTo = (cpu: string | undefined, cmd: string[]) => (cpu === undefined ? cmd : ['taskset', '-c', cpu, ...cmd]);

/** The DeepSeek simulator in its own process, streaming `tokensPerSecond` (0: as fast as it can). */
export async function startSimulator(tokensPerSecond: number, cpu?: string) {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await spawnReady(['bun', 'run', join(import.meta.dir, 'servers/simulator.ts'), String(port), String(tokensPerSecond)], {}, `${url}/_control/requests`, cpu);
  return { url, proc };
}

/** `tollgate serve` on `dataDir`; `env` names the upstream and the log level. */
export async function startGateway(dataDir: string, env: Record<string, string>, cpu?: string) {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await spawnReady(['bun', 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], env, `${url}/healthz`, cpu);
  return { url, proc };
}

/** The minimal pass-through proxy to `upstreamUrl` (it has no health check: half a second to listen). */
export async function startPassthrough(upstreamUrl: string, upstreamKey: string, cpu?: string) {
  const port = freePort();
  const proc = Bun.spawn(pinnedTo(cpu, ['bun', 'run', join(import.meta.dir, 'servers/passthrough.ts'), String(port), upstreamUrl, upstreamKey]), { stdout: 'ignore', stderr: 'inherit' });
  children.push(proc);
  await Bun.sleep(500);
  return { url: `http://127.0.0.1:${port}`, proc };
}

/** Stops every process started here, by its PID, and waits for them to exit. */
export async function stopChildren(): Promise<void> {
  for (const child of children) child.kill();
  await Promise.all(children.map((c) => c.exited));
}
