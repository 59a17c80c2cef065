// Load generators for the benchmark: bounded in count and time, loopback only.

export interface Latencies {
  count: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summarize(samples: number[], errors: number, seconds: number): Latencies {
  samples.sort((a, b) => a - b);
  return { count: samples.length, errors, seconds, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export type Send = () => Promise<Response>;

/** `connections` loops sending back to back for `seconds`. */
export async function saturate(send: Send, connections: number, seconds: number): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          const res = await send();
          await res.arrayBuffer();
          if (res.ok) samples.push(performance.now() - t0);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(samples, errors, (performance.now() - start) / 1000);
}

/** Requests started at a fixed rate (open loop), so latency isn't hidden by back-pressure. */
export async function paced(send: Send, perSecond: number, seconds: number): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  const total = Math.round(perSecond * seconds);
  const interval = 1000 / perSecond;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const t0 = performance.now();
    inflight.push(
      send().then(
        async (res) => {
          await res.arrayBuffer();
          if (res.ok) samples.push(performance.now() - t0);
          else errors++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  return summarize(samples, errors, (performance.now() - start) / 1000);
}

/** Time to the first body byte of a streaming answer, `count` requests, `concurrency` at a time. */
export async function firstByte(send: Send, count: number, concurrency: number): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        try {
          const res = await send();
          const reader = res.body!.getReader();
          await reader.read();
          samples.push(performance.now() - t0);
          while (!(await reader.read()).done) {
            // drain
          }
          if (!res.ok) errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(samples, errors, (performance.now() - start) / 1000);
}
