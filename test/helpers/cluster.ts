import { describe } from 'bun:test';
import { SQL } from 'bun';
import { rmSync } from 'node:fs';
import { hashApiKey } from '../../server/lib/keys';
import { startDeepSeekSimulator, type DeepSeekSimulatorOptions } from '../../server/simulators/deepseek';
import { startRecordedPayPal, type RecordedPayPal } from '../contracts/paypal-recorder';
import { adminClient, type AdminClient } from './admin';
import { PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PAYPAL_WEBHOOK_ID } from './checkout';
import { tempDir } from './gateway';
import { teeProcessStream } from './log-tee';
import { POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from './postgres';
import { freePort, MAIN, waitForHttp } from './process';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from './redis';

// The scale-out mode as an operator runs it: one PostgreSQL, one Redis and N `tollgate serve`
// processes on them (the same secret, admin token and public URL), the DeepSeek simulator as
// their upstream and, when asked, the PayPal simulator as their PayPal. Requests alternate
// between the instances (next()), as a round-robin load balancer would send them; a test that
// needs one instance in particular uses instances[i]. Everything is stopped by PID in close().
// The money a test checks is read from PostgreSQL itself (money()), never from an instance.

export const SCALE_OUT_AVAILABLE = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
export const describeScaleOut = SCALE_OUT_AVAILABLE ? describe : describe.skip;

export const CLUSTER_SECRET = Buffer.alloc(32, 7).toString('base64');
export const CLUSTER_ADMIN_TOKEN = 'tg-admin-cluster-test-token-0001';
export const CLUSTER_UPSTREAM_KEY = 'sk-cluster-upstream-0001';
/** a second key the simulator accepts, for a test that adds an upstream key */
export const CLUSTER_SPARE_UPSTREAM_KEY = 'sk-cluster-upstream-0002';

/** A short stale time, so that a SIGKILLed instance's holds are swept within seconds (README: TOLLGATE_INSTANCE_STALE_SECONDS). */
export const FAST_FAILOVER_ENV = {
  TOLLGATE_INSTANCE_STALE_SECONDS: '3',
};

export interface ClusterOptions {
  instances?: number;
  /** env for every instance */
  env?: Record<string, string>;
  /** the PayPal simulator as PayPal, its webhooks to instance 0 (default false) */
  paypal?: boolean;
  sim?: Omit<DeepSeekSimulatorOptions, 'keys'>;
  /** 'empty': the instances' first start migrates (at the same moment); 'migrated': a copy of a migrated database */
  database?: 'empty' | 'migrated';
}

export interface Instance {
  index: number;
  url: string;
  port: number;
  readonly pid: number;
  /** stdout and stderr lines so far (JSON log lines and the rest) */
  lines: string[];
  admin: AdminClient;
  /** whether the process is still running */
  alive(): boolean;
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** starts it again on the same port (after kill) */
  start(): Promise<void>;
}

export interface Money {
  budget: number;
  spent: number;
  held: number;
  inFlight: number;
  /** sum of the key's ledger rows (raw and rolled up) */
  ledger: number;
  ledgerRows: number;
  holds: number;
}

type Row = Record<string, unknown>;

export async function startCluster(opts: ClusterOptions = {}) {
  const count = opts.instances ?? 2;
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = opts.database === 'migrated' ? await pg.migratedDatabase() : await pg.createDatabase();
  const db = new SQL(databaseUrl, { max: 4 });
  const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', keys: [CLUSTER_UPSTREAM_KEY, CLUSTER_SPARE_UPSTREAM_KEY], ...opts.sim });
  const paypal: RecordedPayPal | undefined = opts.paypal ? startRecordedPayPal({ clientId: PAYPAL_CLIENT_ID, clientSecret: PAYPAL_CLIENT_SECRET, webhookId: PAYPAL_WEBHOOK_ID }) : undefined;
  const ports = Array.from({ length: count }, () => freePort());
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  const dirs: string[] = [];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TOLLGATE_DATABASE_URL: databaseUrl,
    TOLLGATE_REDIS_URL: redis.url,
    TOLLGATE_SERVER_SECRET: CLUSTER_SECRET,
    TOLLGATE_ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN,
    TOLLGATE_PUBLIC_URL: publicUrl,
    TOLLGATE_LOG_LEVEL: 'info',
    DEEPSEEK_API_KEY: CLUSTER_UPSTREAM_KEY,
    DEEPSEEK_BASE_URL: sim.url,
    ...(paypal ? { PAYPAL_API_URL: paypal.url, PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PAYPAL_WEBHOOK_ID } : {}),
    ...opts.env,
  };

  const instances: Instance[] = ports.map((port, index) => {
    const dir = tempDir(`tollgate-cluster-${index}-`);
    dirs.push(dir);
    const url = `http://127.0.0.1:${port}`;
    const lines: string[] = [];
    let proc: ReturnType<typeof Bun.spawn> | undefined;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      let carry = '';
      for await (const chunk of stream) {
        carry += decoder.decode(chunk, { stream: true });
        const parts = carry.split('\n');
        carry = parts.pop() ?? '';
        lines.push(...parts);
      }
      if (carry !== '') lines.push(carry);
    };
    const alive = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    return {
      index,
      url,
      port,
      get pid() {
        return proc?.pid ?? 0;
      },
      lines,
      admin: adminClient(url, CLUSTER_ADMIN_TOKEN),
      alive,
      async kill(signal = 'SIGTERM') {
        if (!proc || !alive()) return;
        proc.kill(signal);
        await proc.exited;
      },
      async start() {
        const child = Bun.spawn(['bun', 'run', MAIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir], { env, stdout: 'pipe', stderr: 'pipe' });
        proc = child;
        const done = Promise.all([collect(teeProcessStream('stdout', child.stdout)), collect(teeProcessStream('stderr', child.stderr))]);
        const exited = child.exited.then(async (code) => {
          await done;
          return code;
        });
        const up = await Promise.race([waitForHttp(`${url}/healthz`, 45_000).then(() => 'up' as const), exited]);
        if (up !== 'up') throw new Error(`instance ${index} exited with ${up} before serving:\n${lines.slice(-20).join('\n')}`);
      },
    };
  });

  let turn = 0;
  async function close() {
    paypal?.sim.setWebhookUrl(undefined);
    await Promise.all(instances.map((instance) => instance.kill('SIGTERM')));
    await db.close({ timeout: 0 }).catch(() => undefined);
    await sim.stop();
    await paypal?.stop();
    await Promise.all([pg.stop(), redis.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  const cluster = {
    pg,
    redis,
    sim,
    paypal,
    databaseUrl,
    /** a connection of the test's own to the instances' database */
    db,
    instances,
    publicUrl,
    /** the next instance in turn, as a round-robin load balancer picks it */
    next(): Instance {
      for (let tried = 0; tried < instances.length; tried++) {
        const instance = instances[turn++ % instances.length] as Instance;
        if (instance.alive()) return instance;
      }
      throw new Error('no instance is running');
    },
    /** POST /v1/chat/completions with `key` to the next instance (or `to`) */
    chat(key: string, body: Record<string, unknown>, opts: { to?: Instance; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
      const target = opts.to ?? cluster.next();
      return fetch(`${target.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...opts.headers },
        body: JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Hello #tokens=8' }], ...body }),
        signal: opts.signal,
      });
    },
    /** a key made through the admin API of instance 0 (or `on`), with its id */
    async key(body: Row = {}, on: Instance = instances[0] as Instance): Promise<{ key: string; id: string }> {
      const res = await on.admin.post('/keys', { plan_id: 'pro', rpm: 0, concurrency: 0, ...body });
      if (res.status !== 200) throw new Error(`creating a key answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { key: res.body.key as string, id: res.body.data.id as string };
    },
    /** the key's money as PostgreSQL has it now */
    async money(keyId: string): Promise<Money> {
      const [row] = await db`SELECT k.budget_nano, k.spent_nano, k.held_nano, k.in_flight,
          (SELECT count(*) FROM ledger l WHERE l.key_id = k.id) AS ledger_rows,
          coalesce((SELECT sum(cost_nano) FROM ledger l WHERE l.key_id = k.id), 0) + coalesce((SELECT sum(cost_nano) FROM ledger_daily d WHERE d.key_id = k.id), 0) AS ledger,
          (SELECT count(*) FROM holds h WHERE h.key_id = k.id) AS holds
        FROM api_keys k WHERE k.id = ${keyId}`;
      if (!row) throw new Error(`no key ${keyId}`);
      return {
        budget: Number(row.budget_nano),
        spent: Number(row.spent_nano),
        held: Number(row.held_nano),
        inFlight: Number(row.in_flight),
        ledger: Number(row.ledger),
        ledgerRows: Number(row.ledger_rows),
        holds: Number(row.holds),
      };
    },
    keyId: async (key: string) => ((await db`SELECT id FROM api_keys WHERE key_hash = ${hashApiKey(key)}`)[0] as { id: string } | undefined)?.id,
    /** POST to the PayPal simulator's control API */
    async paypalControl(path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
      if (!paypal) throw new Error('the cluster runs without PayPal');
      const res = await fetch(`${paypal.url}/_control/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
    close,
  };

  try {
    // every instance at the same moment: on an empty database that is two first starts at once
    await Promise.all(instances.map((instance) => instance.start()));
    if (paypal) paypal.sim.setWebhookUrl(`${instances[0]?.url}/api/paypal/webhook`);
  } catch (error) {
    await close();
    throw error;
  }
  return cluster;
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/** Invariants that must hold for every key, whatever happened: the database refuses the rest, this proves it. */
export function moneyHolds(m: Money): boolean {
  return m.spent <= m.budget && m.ledger === m.spent && m.held >= 0 && m.inFlight >= 0;
}
