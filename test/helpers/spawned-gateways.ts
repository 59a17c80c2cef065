import { rmSync } from 'node:fs';
import { startDeepSeekSimulator, type DeepSeekSimulatorOptions } from '../../server/simulators/deepseek';
import { tempDir } from './gateway';
import { runCli, spawnGateway } from './process';

/**
 * Gateways as child processes (for real signals) against one in-process DeepSeek simulator, each
 * with its own data dir and a key made by `tollgate keys create`. `cleanUp` (for afterAll) kills by
 * PID only the gateways a failed test left running, then removes their data dirs.
 */
export function spawnedGateways(label: string, sim: Omit<DeepSeekSimulatorOptions, 'port' | 'hostname'> = {}) {
  const simulator = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', ...sim });
  const dirs: string[] = [];
  const started: ReturnType<typeof Bun.spawn>[] = [];

  async function start(env: Record<string, string>, keyArgs: string[] = []) {
    const dir = tempDir(`tollgate-${label}-`);
    dirs.push(dir);
    const fullEnv = { DEEPSEEK_API_KEY: `sk-${label}-test`, DEEPSEEK_BASE_URL: simulator.url, TOLLGATE_LOG_LEVEL: 'info', ...env };
    const key = runCli(['keys', 'create', '--plan', 'pro', ...keyArgs, '--data-dir', dir], fullEnv).stdout.trim();
    if (!key.startsWith('sk-gateway-')) throw new Error(`keys create printed no key: ${key}`);
    const gateway = await spawnGateway(['--data-dir', dir], fullEnv);
    started.push(gateway.proc);
    const output = new Response(gateway.proc.stdout).text();
    return { ...gateway, dir, key, output };
  }

  async function cleanUp() {
    for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await simulator.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  return { sim: simulator, start, cleanUp };
}
