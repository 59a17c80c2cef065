// `tollgate copy-to-postgres DATABASE_URL`: a shop that ran on SQLite (keys bought through the
// checkout with the PayPal simulator, spent through the DeepSeek simulator, a top-up, a refund,
// settings, a plan edit, an upstream key added in the console, mail, refusals, the audit trail)
// is copied into PostgreSQL with the same rows and money, then served there in the scale-out mode
// with Redis: the same key with its remaining budget, the same order, the same ledger. Bad input
// is refused in one line with status 2, and a copy that does not verify with status 1; neither
// writes anything.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { copyPlan } from '../../server/db/copy/plan';
import { formatUsd } from '../../server/lib/money';
import { adminClient, type AdminClient } from '../helpers/admin';
import { startCheckoutStack, waitFor, type CheckoutStack, type Created } from '../helpers/checkout';
import { startTestGateway, tempDir } from '../helpers/gateway';
import { describePostgres, POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from '../helpers/postgres';
import { freePort, runCli, spawnGateway } from '../helpers/process';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp';
import { UPSTREAM_KEY } from '../helpers/stack';

type J = Record<string, any>;
const AVAILABLE = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
const plan = copyPlan();

let pg: TestPostgres;
let redis: TestRedis;
let smtp: SmtpServer;
let s: CheckoutStack;
let dataDir: string;
/** what the SQLite gateway answered before it stopped, to compare with the PostgreSQL one */
const before: { key?: string; order?: Created; email?: string; usage?: J; ledger?: J; audit?: J; plans?: J; settings?: J; upstreams?: J } = {};
const started: ReturnType<typeof Bun.spawn>[] = [];
const scratch: string[] = [];

const chat = (key: string, content: string, extra: J = {}) =>
  fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content }], ...extra }),
  });

async function buy(planId: string, email: string, key?: string): Promise<Created> {
  const res = await s.post('/api/checkout', { plan_id: planId, email, ...(key ? { key } : {}) }, { 'x-forwarded-for': `198.51.100.${started.length + 40}` });
  expect(res.status).toBe(200);
  const created = (await res.json()) as Created;
  await s.pay(created);
  await s.quiesce();
  expect(s.order(created.order_id).status).toBe('paid');
  return created;
}

/** Row counts and money sums of every copied table, read straight from one side. */
async function sides(url: string): Promise<{ sqlite: J; postgres: J }> {
  const file = new Database(join(dataDir, 'tollgate.sqlite'), { readonly: true });
  const reader = new SQL(url, { max: 1 });
  const sqlite: J = {};
  const postgres: J = {};
  try {
    for (const table of plan) {
      const query = `SELECT count(*) AS n${table.money.map((c) => `, coalesce(sum(${c}), 0) AS ${c}`).join('')} FROM ${table.name}`;
      sqlite[table.name] = Object.fromEntries(Object.entries(file.query(query).get() as J).map(([k, v]) => [k, String(v)]));
      postgres[table.name] = Object.fromEntries(Object.entries((await reader.unsafe(query))[0] as J).map(([k, v]) => [k, String(v)]));
    }
  } finally {
    file.close();
    await reader.close();
  }
  return { sqlite, postgres };
}

const oneLine = (result: { code: number | null; stderr: string }, code = 2) => {
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
};
const copy = (url: string, dir = dataDir) => runCli(['copy-to-postgres', url, '--data-dir', dir], {});
/** Whether a database has any Tollgate table (a refused copy must not even migrate it). */
async function hasTables(url: string): Promise<boolean> {
  const reader = new SQL(url, { max: 1 });
  try {
    const [row] = await reader`SELECT to_regclass('public.api_keys') IS NOT NULL AS t`;
    return Boolean(row.t);
  } finally {
    await reader.close();
  }
}

beforeAll(async () => {
  if (!AVAILABLE) return;
  [pg, redis, smtp] = await Promise.all([startPostgres(), startRedis(), startSmtpServer()]);
  // no DEEPSEEK_API_KEY: the only upstream key is the one added in the console, sealed in the database
  s = await startCheckoutStack({ deepseek: true, env: { DEEPSEEK_API_KEY: '', TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' } });
  dataDir = s.gw.dataDir;
  const admin = adminClient(s.url, s.gw.admin.token);
  expect((await admin.post('/upstreams', { key: UPSTREAM_KEY, label: 'main' })).status).toBe(200);

  const email = 'mover@example.com';
  const order = await buy('starter', email);
  const key = (await s.viewOrder(order.order_id, order.view_token)).body.key as string;
  for (const content of ['hello #tokens=20', 'again #tokens=35']) expect((await chat(key, content)).status).toBe(200);
  const stream = await chat(key, 'a stream #tokens=12', { stream: true });
  expect(stream.status).toBe(200);
  await stream.text();
  expect((await chat(key, 'no such model', { model: 'no-such-model' })).status).toBe(404); // a refusal
  await buy('starter', email, key); // a top-up of the same key
  const refunded = await buy('trial', 'refunded@example.com');
  await s.refund(s.payments(refunded.order_id)[0]?.paypal_capture_id as string, '0.50');
  await waitFor(() => s.payments(refunded.order_id)[0]?.refunded_nano === 500_000_000, 8000, 'the refund');
  await s.quiesce();
  expect((await admin.patch('/settings', { announcement: 'We are moving to a bigger home', announcement_zh: '我们正在搬家' })).status).toBe(200);
  expect((await admin.patch('/plans/starter', { description: 'Edited before the move', rpm: 77 })).status).toBe(200);
  expect((await admin.post('/keys', { plan_id: 'pro', budget_usd: '3', note: 'given away' })).status).toBe(200);
  await waitFor(() => s.rows("SELECT 1 FROM mail_outbox WHERE status = 'sent'").length >= 3, 10_000, 'the receipts');

  before.key = key;
  before.order = order;
  before.email = email;
  before.usage = (await (await s.usage(key)).json()) as J;
  before.ledger = (await admin.get('/ledger')).body;
  before.audit = (await admin.get('/audit')).body;
  before.plans = (await admin.get('/plans')).body;
  before.settings = (await admin.get('/settings')).body;
  before.upstreams = (await admin.get('/upstreams')).body;
  // stop the shop, keeping its data dir
  s.paypal.sim.setWebhookUrl(undefined);
  await s.gw.deps.checkout.settled();
  await s.gw.stop();
}, 120_000);

afterAll(async () => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await Promise.all(started.map((proc) => proc.exited));
  if (s) {
    await s.paypal.stop();
    await s.deepseek?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  await Promise.all([pg?.stop(), redis?.close(), smtp?.close()]);
});

describePostgres('tollgate copy-to-postgres', () => {
  it.skipIf(!AVAILABLE)('copies every table with the same rows and money, never printing the password', async () => {
    const url = (await pg.createDatabase()).replace('postgres@', 'postgres:hunter2@'); // trust auth: any password goes
    const result = copy(url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('hunter2');
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`copying ${join(dataDir, 'tollgate.sqlite')} into postgres://postgres@127.0.0.1:${pg.port}/${url.split('/').pop()} (one transaction)`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^verified: ${plan.length} tables, \\d+ rows; row counts and money totals are equal on both sides$`)));
    expect(result.stdout).toContain(`sealed with ${join(dataDir, 'server-secret')}: every instance must have TOLLGATE_SERVER_SECRET set to its content`);
    const { sqlite, postgres } = await sides(url);
    expect(postgres).toEqual(sqlite);
    // what the shop did is all there
    for (const table of ['api_keys', 'orders', 'payments', 'credits', 'ledger', 'refusals', 'audit_log', 'mail_outbox', 'upstream_keys', 'settings', 'webhook_events']) {
      expect(`${table}: ${Number(sqlite[table].n) > 0}`).toBe(`${table}: true`);
    }
    expect(Number(sqlite.payments.refunded_nano)).toBe(500_000_000);
    const apiKeys = result.stdout.split('\n').find((line) => line.startsWith('api_keys'));
    expect(apiKeys?.split(/ +/)).toEqual(['api_keys', sqlite.api_keys.n, 'budget', `${formatUsd(Number(sqlite.api_keys.budget_nano))},`, 'spent', formatUsd(Number(sqlite.api_keys.spent_nano))]);
    const reader = new SQL(url, { max: 1 });
    try {
      const [holds] = await reader`SELECT count(*)::int AS n, (SELECT coalesce(sum(held_nano), 0)::int FROM api_keys) AS held FROM holds`;
      expect(holds).toEqual({ n: 0, held: 0 });
    } finally {
      await reader.close();
    }
    (before as J).url = url;
  }, 60_000);

  it.skipIf(!AVAILABLE)('serves the copy in the scale-out mode: the same key and remaining budget, the same order, the same ledger and console', async () => {
    const url = (before as J).url as string;
    expect(url).toBeDefined();
    const instanceDir = tempDir('tollgate-copied-');
    scratch.push(instanceDir);
    const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const gateway = await spawnGateway([], {
      TOLLGATE_DATA_DIR: instanceDir,
      TOLLGATE_DATABASE_URL: url,
      TOLLGATE_REDIS_URL: redis.url,
      TOLLGATE_SERVER_SECRET: readFileSync(join(dataDir, 'server-secret'), 'utf8').trim(),
      TOLLGATE_ADMIN_TOKEN: adminToken,
      TOLLGATE_PUBLIC_URL: before.settings?.public_url as string, // the shop's address, as before
      DEEPSEEK_BASE_URL: s.deepseek?.url as string,
      PAYPAL_API_URL: s.paypal.url,
      PAYPAL_CLIENT_ID: 'sim-client',
      PAYPAL_CLIENT_SECRET: 'sim-secret',
      PAYPAL_WEBHOOK_ID: '1SIM4TOLLGATE7WH0',
    });
    started.push(gateway.proc);
    const admin: AdminClient = adminClient(gateway.url, adminToken);
    const key = before.key as string;
    const usage = await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } });
    expect(usage.status).toBe(200);
    expect(await usage.json()).toEqual(before.usage as J);
    const lookup = await fetch(`${gateway.url}/api/orders/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order_id: before.order?.order_id, email: before.email }),
    });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ order_id: before.order?.order_id, status: 'paid', key });
    expect((await admin.get('/ledger')).body).toEqual(before.ledger as J);
    expect((await admin.get('/audit')).body).toEqual(before.audit as J);
    expect((await admin.get('/plans')).body).toEqual(before.plans as J);
    expect((await admin.get('/settings')).body).toEqual(before.settings as J);
    const upstreams = (await admin.get('/upstreams')).body;
    expect(upstreams.data.map((u: J) => [u.id, u.key_hint, u.source])).toEqual(before.upstreams?.data.map((u: J) => [u.id, u.key_hint, u.source]));

    // the key spends on through the upstream key that was sealed on SQLite; new rows get new ids
    const spent = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'after the move #tokens=10' }] }),
    });
    expect(spent.status).toBe(200);
    const ledger = await waitFor(async () => {
      const body = (await admin.get('/ledger')).body;
      return body.total === before.ledger?.total + 1 ? body : undefined;
    }, 5000, 'the new ledger row');
    expect(ledger.data[0].id).toBeGreaterThan(Math.max(...before.ledger?.data.map((r: J) => r.id)));
    expect((await admin.patch('/settings', { announcement: 'Moved' })).status).toBe(200); // a new audit row takes the next id
    const after = (await (await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as J;
    expect(after.budget_usd).toBe(before.usage?.budget_usd);
    expect(Number(after.spent_usd)).toBeGreaterThan(Number(before.usage?.spent_usd));
    gateway.proc.kill('SIGTERM');
    expect(await gateway.proc.exited).toBe(0);
  }, 60_000);

  it.skipIf(!AVAILABLE)('refuses a target that holds any row (status 2) or has a table in the way (status 1), in one line, leaving it as it was', async () => {
    const url = await pg.createDatabase();
    const other = new SQL(url, { max: 1 });
    await other`CREATE TABLE notes (body text)`;
    await other`INSERT INTO notes VALUES ('someone else lives here')`;
    await other.close();
    expect(oneLine(copy(url))).toBe('tollgate: the target database is not empty (rows in notes); copy-to-postgres needs an empty database');
    expect(await hasTables(url)).toBe(false);
    // an empty table in the way of the migrations: the copy fails (status 1), the database stays as it was
    const clash = await pg.createDatabase();
    const owner = new SQL(clash, { max: 1 });
    await owner`CREATE TABLE plans (note text)`;
    expect(oneLine(copy(clash), 1)).toStartWith('tollgate: the copy failed: relation "plans" already exists; nothing was written (the transaction was rolled back)');
    expect(await hasTables(clash)).toBe(false);
    const [kept] = await owner`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'plans'`;
    expect(kept.n).toBe(1);
    await owner.close();
    // the database the first test filled is refused the same way
    expect(oneLine(copy((before as J).url))).toStartWith('tollgate: the target database is not empty (rows in api_keys, ');
  }, 30_000);

  it.skipIf(!AVAILABLE)('refuses an unreachable server, a missing database and a URL that is not PostgreSQL, never showing the password', async () => {
    const port = freePort();
    const down = oneLine(copy(`postgres://postgres:hunter2@127.0.0.1:${port}/tollgate`));
    expect(down).toStartWith(`tollgate: DATABASE_URL: cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${port}/tollgate: `);
    expect(down).not.toContain('hunter2');
    expect(oneLine(copy(pg.url('no_such_database')))).toStartWith(`tollgate: DATABASE_URL: cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${pg.port}/no_such_database: `);
    expect(oneLine(copy('mysql://root:hunter2@127.0.0.1/tollgate'))).toBe(
      'tollgate: DATABASE_URL: must start with postgres:// or postgresql://, not mysql:// (use postgres://user:password@host:5432/tollgate)',
    );
    expect(oneLine(runCli(['copy-to-postgres', '--data-dir', dataDir], {}))).toBe('tollgate: usage: tollgate copy-to-postgres DATABASE_URL (postgres://user:password@host:5432/tollgate)');
    const empty = tempDir('tollgate-nothing-');
    scratch.push(empty);
    expect(oneLine(copy(await pg.createDatabase(), empty))).toBe(`tollgate: there is no SQLite database at ${join(empty, 'tollgate.sqlite')} to copy (point --data-dir at the shop's data dir)`);
    // a data dir an older binary left: migrate it first (the copy reads the columns of this version)
    expect(runCli(['migrate', '--data-dir', empty], {}).code).toBe(0);
    const file = new Database(join(empty, 'tollgate.sqlite'));
    file.run('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)');
    file.close();
    const target = await pg.createDatabase();
    expect(oneLine(copy(target, empty))).toBe('tollgate: the SQLite database is 1 migration(s) behind this version; run tollgate migrate (with the same --data-dir) first');
    expect(await hasTables(target)).toBe(false);
  }, 30_000);

  it.skipIf(!AVAILABLE)('rolls everything back, migrations included, when the totals do not verify (status 1)', async () => {
    const url = await pg.migratedDatabase();
    const tamper = new SQL(url, { max: 1 });
    await tamper.unsafe(`CREATE FUNCTION skim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.cost_nano := NEW.cost_nano + 1; RETURN NEW; END $$`);
    await tamper.unsafe('CREATE TRIGGER skim BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION skim()');
    const result = copy(url);
    const line = oneLine(result, 1);
    expect(line).toMatch(/^tollgate: verification failed: the sum of ledger\.cost_nano is \d+ nano-USD in SQLite but \d+ in PostgreSQL; nothing was written \(the transaction was rolled back\)$/);
    const [row] = await tamper`SELECT (SELECT count(*) FROM api_keys)::int AS keys, (SELECT count(*) FROM ledger)::int AS ledger`;
    expect(row).toEqual({ keys: 0, ledger: 0 });
    await tamper.close();
  }, 30_000);

  it.skipIf(!AVAILABLE)('refuses while a gateway serves the data dir, naming it, and writes nothing', async () => {
    const gateway = await startTestGateway({ dataDir, env: { TOLLGATE_LOG_LEVEL: 'error' } });
    try {
      const url = await pg.createDatabase();
      expect(oneLine(copy(url))).toBe(`tollgate: a gateway (pid ${process.pid}) is serving ${dataDir}; stop it before copying (copy-to-postgres copies a stopped shop)`);
      expect(await hasTables(url)).toBe(false);
    } finally {
      await gateway.stop();
    }
  }, 30_000);
});

describePostgres('tollgate copy-to-postgres on a long ledger', () => {
  it.skipIf(!AVAILABLE)('copies in batches, moves the ids past SQLite’s own counter, and refuses a key spent past its budget', async () => {
    const dir = tempDir('tollgate-long-');
    scratch.push(dir);
    expect(runCli(['keys', 'create', '--plan', 'pro', '--budget', '100', '--data-dir', dir], {}).code).toBe(0);
    const file = new Database(join(dir, 'tollgate.sqlite'));
    const keyId = (file.query('SELECT id FROM api_keys').get() as { id: string }).id;
    const insert = file.prepare(
      `INSERT INTO ledger (request_id, key_id, public_model, upstream_model, period, cache_hit_tokens, cache_miss_tokens, output_tokens,
         reasoning_tokens, cache_hit_price_nano, cache_miss_price_nano, output_price_nano, cost_nano, basis, http_status, stream,
         duration_ms, started_at, finished_at)
       VALUES (?, ?, 'deepseek-v4-flash', 'deepseek-chat', 'peak', 1, 2, 3, 0, 10, 20, 30, ?, 'upstream', 200, ?, 5, ?, ?)`,
    );
    const rows = 2_600; // three batches of the widest table
    file.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(`req-${i}`, keyId, 1000 + i, i % 2, 1_700_000_000_000 + i, 1_700_000_000_005 + i);
    })();
    const cost = rows * 1000 + (rows * (rows - 1)) / 2 - (1000 + 2599) - (1000 + 2598); // the two newest rows go below
    file.run("DELETE FROM ledger WHERE request_id IN ('req-2599', 'req-2598')");
    file.run('UPDATE api_keys SET spent_nano = ?', [cost]);
    const counter = (file.query("SELECT seq FROM sqlite_sequence WHERE name = 'ledger'").get() as { seq: number }).seq;
    expect(counter).toBe(rows);
    file.close();

    const url = await pg.createDatabase();
    const result = copy(url, dir);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').map((line) => line.split(/ +/).join(' '))).toContain(`ledger ${rows - 2} cost ${formatUsd(cost)}`);
    const reader = new SQL(url, { max: 1 });
    try {
      const [ledger] = await reader`SELECT count(*)::int AS n, sum(cost_nano)::bigint AS cost, count(*) FILTER (WHERE stream)::int AS streams FROM ledger`;
      expect(ledger).toEqual({ n: rows - 2, cost: String(cost), streams: (rows - 2) / 2 });
      const [next] = await reader`SELECT nextval(pg_get_serial_sequence('ledger', 'id'))::int AS id`;
      expect(next.id).toBe(rows + 1); // not 2599: ids of deleted rows never come back
    } finally {
      await reader.close();
    }

    const over = new Database(join(dir, 'tollgate.sqlite'));
    over.run('UPDATE api_keys SET spent_nano = budget_nano + 1');
    over.close();
    const target = await pg.createDatabase();
    expect(oneLine(copy(target, dir))).toBe(
      `tollgate: key(s) ${keyId} spent more than their budget, which PostgreSQL's api_keys_within_budget check refuses; raise their budget first (tollgate keys topup ID USD)`,
    );
    expect(await hasTables(target)).toBe(false);
  }, 60_000);
});
