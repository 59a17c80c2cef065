// The bench's pinned mode (issue 14): the gateway and its worker threads on core 0 (`taskset -c 0`),
// the load generator (wrk, or this script's own loop) and the simulator on core 1, the bare Bun
// pass-through (the floor) on core 0 the same way. Gateway and floor alternate `rounds` times in
// one run, and each run reads the CPU its server used from /proc: CPU µs per request does not
// depend on what else the shared machine is doing the way req/s does. On by default where
// `taskset` exists and the machine has at least two cores; BENCH_PINNED=0 skips it.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { firstByte, paced, type Latencies, type Send } from './load';
import { cpuSeconds } from './process-stats';
import { startGateway, startPassthrough, startSimulator } from './processes';
import { saturateTarget, WRK_AVAILABLE, type Target } from './wrk';

const SERVER_CPU = '0';
const LOAD_CPU = '1';

export const PINNED_AVAILABLE = Bun.which('taskset') !== null && availableParallelism() >= 2 && process.env.BENCH_PINNED !== '0';

function affinity(pid: number): string {
  const out = Bun.spawnSync(['taskset', '-a', '-c', '-p', String(pid)]).stdout.toString();
  return out.slice(out.lastIndexOf(':') + 1).trim().split('\n')[0] as string;
}

/** Moves every thread of this process to `cpus`. */
function pinSelf(cpus: string): void {
  const r = Bun.spawnSync(['taskset', '-a', '-c', '-p', cpus, String(process.pid)]);
  if (r.exitCode !== 0) throw new Error(`taskset failed: ${r.stderr.toString()}`);
}

export interface PinnedOptions {
  dir: string;
  /** a data dir with `key` in it: a key with a rate limit and a concurrency cap that this load never reaches */
  dataDir: string;
  key: string;
  upstreamKey: string;
  gatewayEnv(upstreamUrl: string): Record<string, string>;
  body(stream: boolean, model: string): string;
  seconds: number;
  pacedSeconds: number;
  rounds: number;
  row(name: string, l: Latencies): string;
}

export interface PinnedFigures {
  ratios: number[];
  gatewayCpuUs: number[];
  floorCpuUs: number[];
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const spread = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const ms = (n: number) => `${n.toFixed(2)} ms`;

export async function pinnedMode(o: PinnedOptions): Promise<PinnedFigures | null> {
  if (!PINNED_AVAILABLE) {
    console.log('\npinned mode skipped (needs taskset and two cores; BENCH_PINNED=0 turns it off)');
    return null;
  }
  const before = affinity(process.pid);
  const sim = await startSimulator(0, LOAD_CPU);
  const gateway = await startGateway(o.dataDir, o.gatewayEnv(sim.url), SERVER_CPU);
  const floor = await startPassthrough(sim.url, o.upstreamKey, SERVER_CPU);
  pinSelf(LOAD_CPU);
  try {
    const authorization = `Bearer ${o.key}`;
    const servers = {
      tollgate: { pid: gateway.proc.pid, target: { url: `${gateway.url}/v1/chat/completions`, authorization, body: o.body(false, 'deepseek-chat') } },
      passthrough: { pid: floor.proc.pid, target: { url: `${floor.url}/v1/chat/completions`, authorization, body: o.body(false, 'deepseek-flash') } },
    };
    const direct: Target = { url: `${sim.url}/chat/completions`, authorization: `Bearer ${o.upstreamKey}`, body: o.body(false, 'deepseek-flash') };
    const send = (t: Target): Send => {
      const headers = { authorization: t.authorization, 'content-type': 'application/json' };
      return () => fetch(t.url, { method: 'POST', headers, body: t.body });
    };
    const streamSend = (t: Target, model: string): Send => send({ ...t, body: o.body(true, model) });

    for (const s of Object.values(servers)) await saturateTarget(o.dir, s.target, 50, 2, LOAD_CPU);

    console.log(`\npinned: servers on CPU ${SERVER_CPU}, ${WRK_AVAILABLE ? 'wrk -t1 -c50' : 'the bench loop, 50 connections'} and the simulator on CPU ${LOAD_CPU}; ${o.seconds} s each, alternated ${o.rounds} times`);
    const figures: PinnedFigures = { ratios: [], gatewayCpuUs: [], floorCpuUs: [] };
    for (let round = 0; round < o.rounds; round++) {
      const perSecond: Record<string, number> = {};
      for (const [name, s] of Object.entries(servers)) {
        const cpu0 = cpuSeconds(s.pid);
        const l = await saturateTarget(o.dir, s.target, 50, o.seconds, LOAD_CPU);
        const cpuUs = ((cpuSeconds(s.pid) - cpu0) * 1e6) / Math.max(1, l.count + l.errors);
        perSecond[name] = l.count / l.seconds;
        (name === 'tollgate' ? figures.gatewayCpuUs : figures.floorCpuUs).push(cpuUs);
        console.log(`${o.row(`${name} #${round + 1}`, l)}   CPU ${cpuUs.toFixed(0).padStart(4)} µs/request`);
      }
      figures.ratios.push((perSecond.tollgate as number) / (perSecond.passthrough as number));
    }

    console.log(`\npinned, paced at 1,000 requests/s, ${o.pacedSeconds} s each`);
    const pace: Record<string, Latencies> = {};
    const pacedTargets = { direct, passthrough: servers.passthrough.target, tollgate: servers.tollgate.target };
    for (const [name, t] of Object.entries(pacedTargets)) console.log(o.row(name, (pace[name] = await paced(send(t), 1000, o.pacedSeconds))));

    console.log('\npinned, streaming time to first byte, 1,000 requests, 10 at a time');
    const ttfb: Record<string, Latencies> = {};
    const streamTargets = { direct: streamSend(direct, 'deepseek-flash'), passthrough: streamSend(servers.passthrough.target, 'deepseek-flash'), tollgate: streamSend(servers.tollgate.target, 'deepseek-chat') };
    for (const [name, s] of Object.entries(streamTargets)) console.log(o.row(name, (ttfb[name] = await firstByte(s, 1000, 10))));

    const minRatio = Math.min(...figures.ratios);
    const p50 = pace.tollgate!.p50 - pace.direct!.p50;
    const p99 = pace.tollgate!.p99 - pace.direct!.p99;
    const firstByteOver = ttfb.tollgate!.p50 - ttfb.passthrough!.p50;
    const checks = [
      ['saturated throughput, tollgate / pass-through (median, spread)', spread(figures.ratios, 2), minRatio >= 0.67 ? 'yes' : minRatio >= 0.6 ? 'progress (≥ 0.60)' : 'NO', '≥ 0.67'],
      ['CPU per request, tollgate / pass-through (median, spread)', `${spread(figures.gatewayCpuUs, 0)} / ${spread(figures.floorCpuUs, 0)} µs`, '(info)', ''],
      ['added p50 at 1,000 req/s over direct', ms(p50), p50 <= 0.3 ? 'yes' : 'NO', '≤ 0.30 ms'],
      ['added p99 at 1,000 req/s over direct', ms(p99), p99 <= 2 ? 'yes' : 'NO', '≤ 2.00 ms'],
      ['pass-through added p50 / p99 (the floor)', `${ms(pace.passthrough!.p50 - pace.direct!.p50)} / ${ms(pace.passthrough!.p99 - pace.direct!.p99)}`, '(info)', ''],
      ['stream TTFB p50, tollgate − pass-through', ms(firstByteOver), firstByteOver <= 0.5 ? 'yes' : 'NO', '≤ 0.50 ms'],
    ] as const;
    console.log('\n| pinned measure | value | target | met |\n|---|---|---|---|');
    for (const [name, value, ok, target] of checks) console.log(`| ${name} | ${value} | ${target} | ${ok} |`);
    return figures;
  } finally {
    pinSelf(before);
    for (const p of [gateway.proc, floor.proc, sim.proc]) p.kill();
    await Promise.all([gateway.proc.exited, floor.proc.exited, sim.proc.exited]);
  }
}

export const pinnedDataDir = (dir: string) => join(dir, 'gateway-pinned');
