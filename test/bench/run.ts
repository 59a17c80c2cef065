// `bun run bench`: the gateway against a direct call to the DeepSeek simulator and against a
// minimal Bun pass-through proxy, measured in one run on this machine. Ratios, not absolutes.
// Every process it starts is stopped by its PID at the end. Loopback only; bounded in time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process';
import { firstByte, paced, saturate, type Latencies, type Send } from './load';
import { pinnedDataDir, pinnedMode } from './pinned';
import { postgresMode } from './postgres-mode';
import { rssMb } from './process-stats';
import { startGateway, startPassthrough, startSimulator, stopChildren } from './processes';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const OPEN_STREAMS = Number(process.env.BENCH_OPEN_STREAMS ?? 1000);
const PINNED_ROUNDS = Math.max(2, Number(process.env.BENCH_PINNED_ROUNDS ?? 2));
const UPSTREAM_KEY = 'sk-bench-upstream';
const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));

// The gateway's own cap on open streams must not be what the open-streams measure runs into.
const gatewayEnv = (upstreamUrl: string) => ({ DEEPSEEK_API_KEY: UPSTREAM_KEY, DEEPSEEK_BASE_URL: upstreamUrl, TOLLGATE_LOG_LEVEL: 'warn', TOLLGATE_MAX_OPEN_STREAMS: String(Math.max(1000, OPEN_STREAMS + 100)) });

const body = (stream: boolean, model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Benchmark me #tokens=16' }], thinking: { type: 'disabled' }, stream });

function sender(base: string, key: string, model: string, stream = false): Send {
  const payload = body(stream, model);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return () => fetch(`${base}/chat/completions`, { method: 'POST', headers, body: payload });
}

const ms = (n: number) => `${n.toFixed(2)} ms`;
const row = (name: string, l: Latencies) => `${name.padEnd(22)} ${String(Math.round(l.count / l.seconds)).padStart(8)} req/s   p50 ${ms(l.p50).padStart(10)}   p99 ${ms(l.p99).padStart(10)}   errors ${l.errors}`;

/** Opens OPEN_STREAMS slow streams through `base`, measures the process's RSS, then closes them. */
async function openStreams(base: string, key: string, pid: number) {
  const idle = rssMb(pid);
  const controllers: AbortController[] = [];
  // Keep every reader: a dropped response is collected and its connection closed.
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const slowBody = JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'A slow stream #tokens=200' }], stream: true });
  let opened = 0;
  await Promise.all(
    Array.from({ length: OPEN_STREAMS }, async () => {
      const controller = new AbortController();
      controllers.push(controller);
      try {
        const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: slowBody, signal: controller.signal });
        const reader = res.body!.getReader();
        readers.push(reader);
        await reader.read();
        opened++;
      } catch {
        // counted as not opened
      }
    }),
  );
  await Bun.sleep(1000);
  const open = rssMb(pid);
  readers.length = 0;
  for (const c of controllers) c.abort();
  await Bun.sleep(500);
  return { idle, open, opened };
}

async function main() {
  const newKey = (dataDir: string, rpm = '0', concurrency = '0') => {
    const made = runCli(['keys', 'create', '--plan', 'pro', '--budget', '1000000', '--rpm', rpm, '--concurrency', concurrency, '--expires-days', '0', '--data-dir', dataDir], {}).stdout.trim();
    if (!made.startsWith('sk-gateway-')) throw new Error('could not create the bench key');
    return made;
  };
  const gatewayData = join(dir, 'gateway');
  const key = newKey(gatewayData);
  // the open-streams gateway runs while the first one still does: one server per data dir, so its own
  const slowData = join(dir, 'gateway-slow');
  const slowKey = newKey(slowData);

  // Pinned first, on its own gateway: a key whose rate limit and concurrency cap are checked on
  // every request (and never reached), the request log line written (info), metrics on.
  const pinnedData = pinnedDataDir(dir);
  await pinnedMode({
    dir,
    dataDir: pinnedData,
    key: newKey(pinnedData, '10000000', '1000'),
    upstreamKey: UPSTREAM_KEY,
    gatewayEnv: (url) => ({ ...gatewayEnv(url), TOLLGATE_LOG_LEVEL: 'info' }),
    body,
    seconds: SECONDS,
    pacedSeconds: PACED_SECONDS,
    rounds: PINNED_ROUNDS,
    row,
  });
  if (process.env.BENCH_UNPINNED === '0') return;

  const sim = await startSimulator(0);
  const gateway = await startGateway(gatewayData, gatewayEnv(sim.url));
  const passUrl = (await startPassthrough(sim.url, UPSTREAM_KEY)).url;

  const targets = {
    direct: sender(sim.url, UPSTREAM_KEY, 'deepseek-flash'),
    passthrough: sender(`${passUrl}/v1`, key, 'deepseek-flash'),
    tollgate: sender(`${gateway.url}/v1`, key, 'deepseek-chat'),
  };
  const streams = {
    direct: sender(sim.url, UPSTREAM_KEY, 'deepseek-flash', true),
    passthrough: sender(`${passUrl}/v1`, key, 'deepseek-flash', true),
    tollgate: sender(`${gateway.url}/v1`, key, 'deepseek-chat', true),
  };
  for (const send of [...Object.values(targets), ...Object.values(streams)]) await saturate(send, 10, 1);

  console.log(`\nunpinned: saturated, 50 connections, ${SECONDS} s each`);
  const sat: Record<string, Latencies> = {};
  for (const [name, send] of Object.entries(targets)) console.log(row(name, (sat[name] = await saturate(send, 50, SECONDS))));

  console.log(`\npaced at 1,000 requests/s, ${PACED_SECONDS} s each`);
  const pace: Record<string, Latencies> = {};
  for (const [name, send] of Object.entries(targets)) console.log(row(name, (pace[name] = await paced(send, 1000, PACED_SECONDS))));

  console.log('\nstreaming time to first byte, 1,000 requests, 10 at a time');
  const ttfb: Record<string, Latencies> = {};
  for (const [name, send] of Object.entries(streams)) console.log(row(name, (ttfb[name] = await firstByte(send, 1000, 10))));

  console.log(`\nresident memory of the gateway with ${OPEN_STREAMS} open streams`);
  const slowSim = await startSimulator(2);
  const slowGateway = await startGateway(slowData, gatewayEnv(slowSim.url));
  const slowPass = await startPassthrough(slowSim.url, UPSTREAM_KEY);
  const gw = await openStreams(`${slowGateway.url}/v1`, slowKey, slowGateway.proc.pid);
  const pass = await openStreams(`${slowPass.url}/v1`, key, slowPass.proc.pid);
  console.log(`tollgate: open streams ${gw.opened}, RSS idle ${gw.idle.toFixed(0)} MB, with the streams open ${gw.open.toFixed(0)} MB`);
  console.log(`pass-through: open streams ${pass.opened}, RSS idle ${pass.idle.toFixed(0)} MB, with the streams open ${pass.open.toFixed(0)} MB`);
  const opened = gw.opened;
  const openRss = gw.open;

  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const thr = (n: string) => sat[n]!.count / sat[n]!.seconds;
  const checks = [
    ['saturated throughput, tollgate / pass-through', ratio(thr('tollgate'), thr('passthrough')), thr('tollgate') >= 0.6 * thr('passthrough'), '≥ 0.60'],
    ['saturated throughput, tollgate / direct', ratio(thr('tollgate'), thr('direct')), true, '(info)'],
    ['added p50 at 1,000 req/s over direct', ms(pace.tollgate!.p50 - pace.direct!.p50), pace.tollgate!.p50 - pace.direct!.p50 <= 0.5, '≤ 0.50 ms'],
    ['added p99 at 1,000 req/s over direct', ms(pace.tollgate!.p99 - pace.direct!.p99), pace.tollgate!.p99 - pace.direct!.p99 <= 3, '≤ 3.00 ms'],
    ['pass-through added p50 / p99 (the floor)', `${ms(pace.passthrough!.p50 - pace.direct!.p50)} / ${ms(pace.passthrough!.p99 - pace.direct!.p99)}`, true, '(info)'],
    ['stream TTFB p50, tollgate − pass-through', ms(ttfb.tollgate!.p50 - ttfb.passthrough!.p50), ttfb.tollgate!.p50 - ttfb.passthrough!.p50 <= 1, '≤ 1.00 ms'],
    [`RSS with ${opened} open streams`, `${openRss.toFixed(0)} MB`, openRss <= 120 && opened === OPEN_STREAMS, '≤ 120 MB'],
  ] as const;
  console.log('\n| measure | value | target | met |\n|---|---|---|---|');
  for (const [name, value, ok, target] of checks) console.log(`| ${name} | ${value} | ${target} | ${ok ? 'yes' : 'NO'} |`);

  // issue 16: two instances on PostgreSQL + Redis against the same simulator, as ratios to the figures above
  await postgresMode({ dir, simUrl: sim.url, upstreamKey: UPSTREAM_KEY, seconds: SECONDS, pacedSeconds: PACED_SECONDS, sqlite: { saturated: sat.tollgate!, paced: pace.tollgate!, direct: pace.direct! }, row });
}

try {
  await main();
} finally {
  await stopChildren();
  rmSync(dir, { recursive: true, force: true });
}
