// Saturated load with wrk (`wrk -t1 -c50`) when it is installed, on a given CPU; the bench's own
// JavaScript loop (load.ts `saturate`) when it is not. Bounded by `seconds`; loopback only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saturate, type Latencies } from './load';
import { pinnedTo } from './processes';

export const WRK_AVAILABLE = Bun.which('wrk') !== null && process.env.BENCH_WRK !== '0';

export interface Target {
  /** the full URL of the POST */
  url: string;
  authorization: string;
  body: string;
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** "1.23ms" → 1.23 (milliseconds) */
function duration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  return m ? Number(m[1]) * (UNITS[m[2] as string] as number) : Number.NaN;
}

/** The figures of one `wrk --latency` run. */
export function parseWrk(out: string): Latencies {
  const run = /(\d+) requests in ([\d.]+(?:us|ms|s|m)),/.exec(out);
  const total = Number(run?.[1] ?? 0);
  const seconds = duration(run?.[2]) / 1000;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return {
    count: total - non2xx,
    errors: non2xx + socketErrors,
    seconds,
    p50: duration(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99: duration(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
  };
}

/** `connections` connections sending `target` back to back for `seconds`. */
export async function saturateTarget(dir: string, target: Target, connections: number, seconds: number, cpu?: string): Promise<Latencies> {
  if (!WRK_AVAILABLE) {
    const headers = { authorization: target.authorization, 'content-type': 'application/json' };
    return saturate(() => fetch(target.url, { method: 'POST', headers, body: target.body }), connections, seconds);
  }
  const script = join(dir, `wrk-${Bun.hash(target.url + target.authorization).toString(16)}.lua`);
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = [==[${target.body}]==]\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = [==[${target.authorization}]==]\n`);
  const cmd = pinnedTo(cpu, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', '-s', script, target.url]);
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (proc.exitCode !== 0) throw new Error(`wrk failed (${proc.exitCode}): ${err.trim()}`);
  return parseWrk(out);
}
