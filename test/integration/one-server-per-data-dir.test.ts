import { afterAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway';
import { freePort, MAIN, runCli, spawnGateway, waitForHttp } from '../helpers/process';
import { spawnedGateways } from '../helpers/spawned-gateways';

// Two gateways on one SQLite data dir would each keep their own holds and caches and get money
// wrong; the second one must refuse to start, naming the first, as `tollgate restore` does.

const gateways = spawnedGateways('one-dir');
const env = { DEEPSEEK_API_KEY: 'sk-one-dir-test', DEEPSEEK_BASE_URL: gateways.sim.url, TOLLGATE_LOG_LEVEL: 'warn' };
const extra: ReturnType<typeof Bun.spawn>[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const proc of extra) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await gateways.cleanUp();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const refusal = (pid: number, dir: string) => `tollgate: a gateway (pid ${pid}) is already serving ${dir}; stop it first, or give this one its own --data-dir`;

function spawnServe(dir: string) {
  const port = freePort();
  const proc = Bun.spawn(['bun', 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  extra.push(proc);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}

describe('one server per SQLite data dir', () => {
  it('refuses a second serve or demo on a data dir a live gateway holds, in one line naming it, and leaves the first serving', async () => {
    const first = await gateways.start(env);
    for (const command of ['serve', 'demo']) {
      const second = runCli([command, '--host', '127.0.0.1', '--port', String(freePort()), '--data-dir', first.dir], env);
      expect(second.code).toBe(2);
      expect(second.stderr.trim().split('\n')).toEqual([refusal(first.proc.pid, first.dir)]);
    }
    // the operator's other commands still work beside it
    expect(runCli(['keys', 'list', '--data-dir', first.dir], env).code).toBe(0);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    const models = await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${first.key}` } });
    expect(models.status).toBe(200);

    // a marker left by a killed gateway does not block the next start
    first.proc.kill('SIGKILL');
    await first.proc.exited;
    const marker = JSON.parse(readFileSync(join(first.dir, 'tollgate.pid'), 'utf8')) as { pid: number };
    expect(marker.pid).toBe(first.proc.pid);
    const next = await spawnGateway(['--data-dir', first.dir], env);
    extra.push(next.proc);
    expect((await fetch(`${next.url}/v1/models`, { headers: { authorization: `Bearer ${first.key}` } })).status).toBe(200);
    expect((JSON.parse(readFileSync(join(first.dir, 'tollgate.pid'), 'utf8')) as { pid: number }).pid).toBe(next.proc.pid);
    next.proc.kill('SIGTERM');
    expect(await next.proc.exited).toBe(0);
  }, 60_000);

  it('lets exactly one of two gateways started at the same moment serve', async () => {
    const dir = tempDir('tollgate-one-dir-race-');
    dirs.push(dir);
    const both = [spawnServe(dir), spawnServe(dir)];
    const loser = await Promise.race(both.map((proc) => proc.exited.then(() => proc)));
    const winner = both.find((proc) => proc !== loser)!;
    expect(loser.exitCode).toBe(2);
    expect((await new Response(loser.stderr).text()).trim().split('\n')).toEqual([refusal(winner.pid, dir)]);
    await waitForHttp(`${winner.url}/healthz`);
    expect(winner.exitCode).toBeNull();
    const marker = JSON.parse(readFileSync(join(dir, 'tollgate.pid'), 'utf8')) as { pid: number };
    expect(marker.pid).toBe(winner.pid);
    winner.kill('SIGTERM');
    expect(await winner.exited).toBe(0);
    // a clean stop leaves no marker behind
    expect(() => readFileSync(join(dir, 'tollgate.pid'))).toThrow();
  }, 60_000);
});
