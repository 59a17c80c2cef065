// `bun run test/bench/profile.ts`: where a relayed request's CPU goes, by stage. The gateway runs
// pinned on CPU 0 under Bun's CPU profiler (`--cpu-prof-md`), `wrk -t1 -c50` (or the bench's own
// loop) and the simulator on CPU 1, non-streaming chat with a rate-limited, concurrency-capped key
// and the request log on, as in the bench's pinned mode. When the gateway exits, the profile's call
// tree is summed per stage and scaled to the main thread's CPU time: µs per request. The figures
// are samples (1 ms apart), so a stage under ~1 µs is noise. Needs taskset and two cores.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, MAIN, runCli, waitForHttp } from '../helpers/process';
import { pinnedTo, startSimulator, stopChildren } from './processes';
import { saturateTarget } from './wrk';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const UPSTREAM_KEY = 'sk-bench-upstream';

/** Each stage: the functions (name, a part of the file's path) whose call-tree totals it is. */
const STAGES: [string, [string, string][]][] = [
  ['request target, CORS, size', [['target', 'server/app.ts'], ['(anonymous)', 'plugins/cors.ts'], ['checkContentLength', 'plugins/edge.ts']]],
  ['parse (the JSON body)', [['async readJsonBody', 'lib/json-body.ts']]],
  ['the key, before the body', [['async checkKeyHolder', 'plugins/auth.ts']]],
  ['auth in the relay (usable)', [['async usable', 'metering/service.ts']]],
  ['limits + hold', [['async admit', 'metering/service.ts']]],
  ['upstream request (fetch included)', [['async sendUpstream', 'proxy/upstream.ts']]],
  ['response read', [['async readCompletion', 'proxy/completion.ts']]],
  ['transform', [['completion', 'protocols/openai-chat.ts']]],
  ['settle (group commit)', [['async flush', 'metering/settle-queue.ts'], ['async settle', 'metering/service.ts']]],
  ['log line (and its stdout write)', [['settledLine', 'plugins/request-log.ts'], ['flushStdout', 'lib/log.ts']]],
  ['metrics', [['settled', 'ops/metrics.ts'], ['request', 'ops/metrics.ts']]],
];

interface Row {
  fn: string;
  location: string;
  ms: number;
}

/** The "Call Tree (Total Time)" rows of a `--cpu-prof-md` profile, and the run's duration. */
function callTree(markdown: string): { seconds: number; rows: Row[] } {
  const seconds = Number(/^\| ([\d.]+)s \| \d+ \|/m.exec(markdown)?.[1] ?? Number.NaN);
  const section = markdown.slice(markdown.indexOf('## Call Tree'), markdown.indexOf('## Function Details'));
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('|') || !line.includes('`')) continue;
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    const total = cells[1] as string;
    const ms = total.endsWith('ms') ? Number(total.slice(0, -2)) : total.endsWith('us') ? Number(total.slice(0, -2)) / 1000 : Number(total.slice(0, -1)) * 1000;
    rows.push({ fn: (cells[4] as string).replaceAll('`', ''), location: (cells[5] as string).replaceAll('`', ''), ms });
  }
  return { seconds, rows };
}

/** A function's time: an async function's resumptions nest (the largest); a plain one's lines are distinct (their sum). */
function stageMs(rows: Row[], fn: string, file: string): number {
  const hits = rows.filter((r) => r.fn === fn && r.location.includes(file)).map((r) => r.ms);
  if (hits.length === 0) return 0;
  return fn.startsWith('async ') ? Math.max(...hits) : hits.reduce((a, b) => a + b, 0);
}

function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(`${name} (${tid})`, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return out;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-profile-'));
  const dataDir = join(dir, 'data');
  const key = runCli(['keys', 'create', '--plan', 'pro', '--budget', '1000000', '--rpm', '10000000', '--concurrency', '1000', '--expires-days', '0', '--data-dir', dataDir], {}).stdout.trim();
  const sim = await startSimulator(0, '1');
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = Bun.spawn(pinnedTo('0', ['bun', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir]), {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DEEPSEEK_API_KEY: UPSTREAM_KEY, DEEPSEEK_BASE_URL: sim.url, TOLLGATE_LOG_LEVEL: 'info' },
    stdout: 'ignore',
    stderr: 'inherit',
  });
  try {
    await waitForHttp(`${url}/healthz`);
    const body = JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Benchmark me #tokens=16' }], thinking: { type: 'disabled' }, stream: false });
    const target = { url: `${url}/v1/chat/completions`, authorization: `Bearer ${key}`, body };
    const warm = await saturateTarget(dir, target, 50, 2, '1');
    const before = threadCpu(gateway.pid);
    const load = await saturateTarget(dir, target, 50, SECONDS, '1');
    const after = threadCpu(gateway.pid);
    const requests = load.count + load.errors;
    const mainThread = [...after.keys()].find((name) => name.endsWith(`(${gateway.pid})`)) as string;
    const mainCpu = after.get(mainThread) as number;
    gateway.kill('SIGTERM');
    await gateway.exited;
    const file = readdirSync(dir).find((name) => name.endsWith('.md'));
    if (!file) throw new Error('the gateway wrote no profile');
    const { seconds, rows } = callTree(readFileSync(join(dir, file), 'utf8'));
    // the profile covers the process's life; its main-thread CPU over that life scales the samples
    const total = warm.count + warm.errors + requests;
    const scale = mainCpu / seconds;
    console.log(`${Math.round(load.count / load.seconds)} req/s, ${load.errors} errors; µs of CPU per request, main thread (the profile: ${file})\n`);
    console.log('| stage | µs/request |\n|---|---|');
    for (const [name, parts] of STAGES) {
      const ms = parts.reduce((sum, [fn, where]) => sum + stageMs(rows, fn, where), 0);
      console.log(`| ${name} | ${((ms * 1000 * scale) / total).toFixed(1)} |`);
    }
    console.log(`| **main thread, the process's whole life (start-up included)** | ${((mainCpu * 1e6) / total).toFixed(1)} |`);
    console.log('\nper thread over the measured run (µs/request):');
    for (const [name, cpu] of after) {
      const used = cpu - (before.get(name) ?? 0);
      if (used > 0.01) console.log(`  ${name.padEnd(28)} ${((used * 1e6) / requests).toFixed(1)}`);
    }
  } finally {
    if (gateway.exitCode === null) gateway.kill();
    await gateway.exited;
    await stopChildren();
  }
}

await main();
