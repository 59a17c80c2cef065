// The bench's PostgreSQL mode (issue 16): two `tollgate serve` instances on one PostgreSQL and one
// Redis, requests alternating between them, against the same simulator the SQLite mode used, in
// the same run; reported as ratios to the SQLite mode. The hot-key case (one key, many requests
// at once: every hold and settle updates the same api_keys row) is reported on its own, beside
// the same load spread over many keys. PostgreSQL and Redis are started by the test helpers on
// free loopback ports and stopped by PID; skipped with a note when they are not installed.
import { join } from 'node:path';
import { POSTGRES_AVAILABLE, startPostgres } from '../helpers/postgres';
import { REDIS_AVAILABLE, startRedis } from '../helpers/redis';
import { paced, saturate, type Latencies, type Send } from './load';
import { startGateway } from './processes';

const ADMIN_TOKEN = 'tg-admin-bench-postgres-mode-01';
const SECRET = Buffer.alloc(32, 5).toString('base64');

export interface SqliteFigures {
  saturated: Latencies;
  paced: Latencies;
  /** the simulator called directly at the same pace: the floor both modes' added latency is measured from */
  direct: Latencies;
}

export interface PostgresModeOptions {
  dir: string;
  simUrl: string;
  upstreamKey: string;
  seconds: number;
  pacedSeconds: number;
  /** connections of the hot-key case (default 100) */
  hotConnections?: number;
  sqlite: SqliteFigures;
  row(name: string, l: Latencies): string;
}

const body = JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Benchmark me #tokens=16' }], thinking: { type: 'disabled' }, stream: false });

/** Alternates between `bases` and between `keys`, as a round-robin load balancer and many buyers would. */
function roundRobin(bases: string[], keys: string[]): Send {
  let turn = 0;
  const headers = keys.map((key) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' }));
  return () => {
    const i = turn++;
    return fetch(`${bases[i % bases.length]}/v1/chat/completions`, { method: 'POST', headers: headers[i % headers.length], body });
  };
}

async function newKey(base: string): Promise<string> {
  const res = await fetch(`${base}/admin/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ plan_id: 'pro', budget_usd: '1000000', rpm: 0, concurrency: 0, expires_days: 0 }),
  });
  if (!res.ok) throw new Error(`creating a bench key answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

export async function postgresMode(opts: PostgresModeOptions): Promise<void> {
  if (!POSTGRES_AVAILABLE || !REDIS_AVAILABLE || process.env.BENCH_POSTGRES === '0') {
    console.log('\nPostgreSQL mode skipped (needs PostgreSQL and redis-server installed; BENCH_POSTGRES=0 skips it)');
    return;
  }
  const { row, sqlite } = opts;
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  try {
    const env = {
      TOLLGATE_DATABASE_URL: await pg.migratedDatabase(),
      TOLLGATE_REDIS_URL: redis.url,
      TOLLGATE_SERVER_SECRET: SECRET,
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      DEEPSEEK_API_KEY: opts.upstreamKey,
      DEEPSEEK_BASE_URL: opts.simUrl,
      TOLLGATE_LOG_LEVEL: 'warn',
    };
    const instances = await Promise.all([0, 1].map((i) => startGateway(join(opts.dir, `postgres-${i}`), env)));
    const bases = instances.map((i) => i.url);
    const hotKey = await newKey(bases[0] as string);
    const spread = await Promise.all(Array.from({ length: 50 }, () => newKey(bases[1] as string)));
    const pair = roundRobin(bases, [hotKey]);
    await saturate(pair, 10, 1);

    console.log(`\nPostgreSQL mode: two instances on one PostgreSQL + Redis, requests alternating, one key`);
    const sat = await saturate(pair, 50, opts.seconds);
    console.log(row('saturated, 50 conns', sat));
    const pace = await paced(pair, 1000, opts.pacedSeconds);
    console.log(row('paced 1,000 req/s', pace));

    const hotConnections = opts.hotConnections ?? 100;
    console.log(`\nhot key: ${hotConnections} connections on one key, against the same load over 50 keys`);
    const hot = await saturate(roundRobin(bases, [hotKey]), hotConnections, opts.seconds);
    console.log(row('one key', hot));
    const cold = await saturate(roundRobin(bases, spread), hotConnections, opts.seconds);
    console.log(row('50 keys', cold));

    const thr = (l: Latencies) => l.count / l.seconds;
    const ms = (n: number) => `${n.toFixed(2)} ms`;
    const added = (l: Latencies, p: 'p50' | 'p99') => l[p] - sqlite.direct[p];
    const table: [string, string][] = [
      ['saturated throughput, PostgreSQL mode / SQLite mode', (thr(sat) / thr(sqlite.saturated)).toFixed(2)],
      ['added p50 at 1,000 req/s, PostgreSQL mode / SQLite mode', `${ms(added(pace, 'p50'))} / ${ms(added(sqlite.paced, 'p50'))} = ${(added(pace, 'p50') / added(sqlite.paced, 'p50')).toFixed(2)}`],
      ['added p99 at 1,000 req/s, PostgreSQL mode / SQLite mode', `${ms(added(pace, 'p99'))} / ${ms(added(sqlite.paced, 'p99'))} = ${(added(pace, 'p99') / added(sqlite.paced, 'p99')).toFixed(2)}`],
      ['errors, PostgreSQL mode (saturated + paced)', String(sat.errors + pace.errors)],
      [`hot key throughput, one key / 50 keys (${hotConnections} conns)`, (thr(hot) / thr(cold)).toFixed(2)],
      ['hot key p99, one key / 50 keys', `${ms(hot.p99)} / ${ms(cold.p99)}`],
      ['errors, hot key + 50 keys', String(hot.errors + cold.errors)],
    ];
    console.log('\n| PostgreSQL mode | value |\n|---|---|');
    for (const [name, value] of table) console.log(`| ${name} | ${value} |`);
    for (const instance of instances) instance.proc.kill();
    await Promise.all(instances.map((i) => i.proc.exited));
  } finally {
    await Promise.all([pg.stop(), redis.close()]);
  }
}
