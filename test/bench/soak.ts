// `bun run soak`: a bounded soak of the gateway at a steady mixed load, loopback only. The gateway
// and the DeepSeek simulator run as separate processes; this one drives OPEN_STREAMS long streams
// kept open at all times plus a steady rate of short requests, samples the gateway's memory and
// open file descriptors, and fails (exit 1) if memory grows after warm-up, descriptors do not come
// back when the load stops, or any request fails. Every process it starts is stopped by its PID.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process';
import { mean, metricValue, openFds, rssMb, slope } from './process-stats';
import { startGateway, startSimulator, stopChildren } from './processes';

const HARD_CAP_SECONDS = 1800;
const SECONDS = Math.min(HARD_CAP_SECONDS, Number(process.env.SOAK_SECONDS ?? 180));
const OPEN_STREAMS = Number(process.env.SOAK_OPEN_STREAMS ?? 200);
const SHORT_PER_SECOND = Number(process.env.SOAK_SHORT_PER_SECOND ?? 40);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const WARMUP_SECONDS = Math.min(30, Math.floor(SECONDS / 3));
const KEYS = 4;
// The simulator emits 25 tokens/s, so a 100–200 token answer streams for 4–8 s. The lengths
// differ so that the streams do not all end (and restart) together.
const TOKENS_PER_SECOND = 25;
const longTokens = (n: number) => 100 + ((n * 37) % 101);
const SHORT_TOKENS = 5;

// Pass/fail thresholds.
const MAX_RSS_GROWTH = 0.1; // end vs after warm-up
const MAX_FD_DRIFT = 5; // idle descriptors after the load vs idle before it
const UPSTREAM_KEY = 'sk-soak-upstream';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-soak-'));

function createKeys(dataDir: string): string[] {
  return Array.from({ length: KEYS }, () => {
    const args = ['keys', 'create', '--plan', 'pro', '--budget', '1000000', '--rpm', '0', '--concurrency', '0', '--expires-days', '0', '--data-dir', dataDir];
    const key = runCli(args, {}).stdout.trim();
    if (!key.startsWith('sk-gateway-')) throw new Error('could not create a soak key');
    return key;
  });
}

interface Counters {
  completed: number;
  errors: number;
  openLong: number;
  firstError?: string;
}

function load(base: string, keys: string[], counters: Counters) {
  let running = true;
  let sequence = 0;
  const headersOf = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
  const bodyOf = (tokens: number, stream: boolean) =>
    JSON.stringify({ model: 'deepseek-chat', stream, messages: [{ role: 'user', content: `Soak request ${sequence++} #tokens=${tokens}` }] });
  const fail = (why: string) => {
    counters.errors++;
    counters.firstError ??= why;
  };

  /** One request to its end; a stream counts only when it ends with [DONE]. */
  async function request(tokens: number, stream: boolean): Promise<void> {
    try {
      const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: headersOf(keys[sequence % keys.length] as string), body: bodyOf(tokens, stream) });
      const text = await res.text();
      if (!res.ok) return fail(`${res.status} ${text.slice(0, 200)}`);
      if (stream && !text.trimEnd().endsWith('data: [DONE]')) return fail(`stream without [DONE]: …${text.slice(-200)}`);
      counters.completed++;
    } catch (error) {
      fail(String(error));
    }
  }

  async function longStreamSlot(): Promise<void> {
    while (running) {
      counters.openLong++;
      const before = counters.errors;
      await request(longTokens(sequence), true);
      counters.openLong--;
      if (counters.errors > before) await Bun.sleep(200); // no hot loop if something breaks
    }
  }

  /** Short requests at a fixed rate (open loop), alternately streamed and not. */
  async function shortRequests(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const interval = 1000 / SHORT_PER_SECOND;
    const start = performance.now();
    for (let i = 0; running; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      const work = request(SHORT_TOKENS, i % 2 === 0).finally(() => inflight.delete(work));
      inflight.add(work);
    }
    await Promise.all(inflight);
  }

  const done = Promise.all([...Array.from({ length: OPEN_STREAMS }, longStreamSlot), shortRequests()]);
  return {
    /** Stops starting requests and resolves when every one in flight has ended. */
    stop: async () => {
      running = false;
      await done;
    },
  };
}

interface Sample {
  t: number;
  rss: number;
  fds: number;
  completed: number;
  errors: number;
  openLong: number;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<boolean> {
  const dataDir = join(dir, 'data');
  const keys = createKeys(dataDir);

  const sim = await startSimulator(TOKENS_PER_SECOND);
  const gateway = await startGateway(
    dataDir,
    // info, as in production: the request log is part of what runs (its lines go to /dev/null).
    { DEEPSEEK_API_KEY: UPSTREAM_KEY, DEEPSEEK_BASE_URL: sim.url, TOLLGATE_LOG_LEVEL: 'info', TOLLGATE_MAX_OPEN_STREAMS: String(Math.max(1000, OPEN_STREAMS * 2)) },
  );
  const base = gateway.url;
  const pid = gateway.proc.pid;

  // A few seconds of the same load first, so lazily made things (tokenizer worker, connection pools,
  // prepared statements) exist before the idle baseline is taken.
  const primer = { completed: 0, errors: 0, openLong: 0 };
  const primeLoad = load(base, keys, primer);
  await Bun.sleep(3000);
  await primeLoad.stop();
  await Bun.sleep(2000);
  const idleBefore = { rss: rssMb(pid), fds: openFds(pid) };

  console.log(`soak: ${SECONDS} s, ${OPEN_STREAMS} open streams (100–200 tokens at ${TOKENS_PER_SECOND}/s) + ${SHORT_PER_SECOND} short requests/s, ${KEYS} keys, warm-up ${WARMUP_SECONDS} s`);
  console.log(`gateway pid ${pid}, idle before the load: RSS ${fmt(idleBefore.rss)} MB, ${idleBefore.fds} fds\n`);
  console.log('|   t s | RSS MB |  fds | open streams | completed | req/s | errors |\n|---:|---:|---:|---:|---:|---:|---:|');

  const counters: Counters = { completed: 0, errors: 0, openLong: 0 };
  const started = performance.now();
  const running = load(base, keys, counters);
  const samples: Sample[] = [];
  let last = { t: 0, completed: 0 };
  for (let t = SAMPLE_SECONDS; t <= SECONDS; t += SAMPLE_SECONDS) {
    await Bun.sleep(Math.max(0, started + t * 1000 - performance.now()));
    const sample = { t, rss: rssMb(pid), fds: openFds(pid), completed: counters.completed, errors: counters.errors, openLong: counters.openLong };
    samples.push(sample);
    const rate = (sample.completed - last.completed) / (t - last.t);
    last = sample;
    console.log(`| ${String(t).padStart(5)} | ${fmt(sample.rss).padStart(6)} | ${String(sample.fds).padStart(4)} | ${String(sample.openLong).padStart(12)} | ${String(sample.completed).padStart(9)} | ${fmt(rate, 0).padStart(5)} | ${String(sample.errors).padStart(6)} |`);
  }
  await running.stop();

  // Idle again: give closed sockets and the upstream pool a moment, then look.
  let idleAfter = { rss: rssMb(pid), fds: openFds(pid) };
  for (let i = 0; i < 20 && idleAfter.fds > idleBefore.fds + MAX_FD_DRIFT; i++) {
    await Bun.sleep(500);
    idleAfter = { rss: rssMb(pid), fds: openFds(pid) };
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const openStreamsGauge = metricValue(metrics, 'tollgate_open_streams');
  const holds = metricValue(metrics, 'tollgate_holds_outstanding');
  const settled = metricValue(metrics, 'tollgate_settled_requests_total');

  const steady = samples.filter((s) => s.t > WARMUP_SECONDS);
  const rssStart = mean(steady.slice(0, 2).map((s) => s.rss));
  const rssEnd = mean(steady.slice(-2).map((s) => s.rss));
  const growth = (rssEnd - rssStart) / rssStart;
  const perMinute = slope(steady.map((s) => ({ x: s.t / 60, y: s.rss })));
  const fdsDuring = steady.map((s) => s.fds);
  const fdDrift = idleAfter.fds - idleBefore.fds;
  const requests = counters.completed + counters.errors;

  console.log(`\nrequests ${requests} (${fmt(counters.completed / SECONDS, 0)}/s completed), errors ${counters.errors}${counters.firstError ? ` (first: ${counters.firstError})` : ''}`);
  console.log(`settled in the ledger (tollgate_settled_requests_total, priming included): ${settled}; open streams after the load ${openStreamsGauge}; holds outstanding ${holds}`);
  console.log(`RSS idle before ${fmt(idleBefore.rss)} MB, after warm-up ${fmt(rssStart)} MB, at the end ${fmt(rssEnd)} MB, idle after ${fmt(idleAfter.rss)} MB`);
  console.log(`fds idle before ${idleBefore.fds}, under load after warm-up ${Math.min(...fdsDuring)}–${Math.max(...fdsDuring)}, idle after ${idleAfter.fds}`);

  const checks = [
    ['RSS growth, end vs after warm-up (means of two samples)', `${fmt(growth * 100)} %`, growth < MAX_RSS_GROWTH, `< ${MAX_RSS_GROWTH * 100} %`],
    ['RSS slope after warm-up (least squares)', `${fmt(perMinute, 2)} MB/min`, true, '(info)'],
    ['open fds, idle after vs idle before', `${fdDrift >= 0 ? '+' : ''}${fdDrift}`, Math.abs(fdDrift) <= MAX_FD_DRIFT, `± ${MAX_FD_DRIFT}`],
    ['failed requests', String(counters.errors), counters.errors === 0, '0'],
    ['requests completed', String(counters.completed), counters.completed > 0, '> 0'],
    ['open streams and holds after the load', `${openStreamsGauge} / ${holds}`, openStreamsGauge === 0 && holds === 0, '0 / 0'],
    ['ledger rows settled vs requests completed', `${settled} / ${primer.completed + counters.completed}`, settled === primer.completed + counters.completed, 'equal'],
  ] as const;
  console.log('\n| measure | value | target | met |\n|---|---|---|---|');
  for (const [name, value, ok, target] of checks) console.log(`| ${name} | ${value} | ${target} | ${ok ? 'yes' : 'NO'} |`);
  const passed = checks.every(([, , ok]) => ok);
  console.log(passed ? '\nsoak passed' : '\nsoak FAILED');
  return passed;
}

async function stopAll(): Promise<void> {
  await stopChildren();
  rmSync(dir, { recursive: true, force: true });
}

// Ctrl-C or a stuck run still stops what this script started.
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error('soak: over its time limit, stopping');
  void stopAll().then(() => process.exit(1));
}, (SECONDS + 120) * 1000);

let passed = false;
try {
  passed = await main();
} catch (error) {
  console.error(error);
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
process.exit(passed ? 0 : 1);
