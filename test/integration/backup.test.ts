import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, it } from 'bun:test';
import { copyFileSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBackup } from '../../server/db/backup';
import { embeddedMigrations } from '../../server/db/migrations.generated';
import { fixedClock } from '../../server/lib/clock';
import { dailyBackupTick } from '../../server/maintenance';
import { runDailyBackup } from '../../server/maintenance/daily-backup';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { startTestGateway, tempDir } from '../helpers/gateway';
import { MAIN, runCli, spawnGateway } from '../helpers/process';

const sim = startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1' });
const dir = tempDir('tollgate-backup-');
const dataDir = join(dir, 'data');
const live = join(dataDir, 'tollgate.sqlite');
const env = { DEEPSEEK_API_KEY: 'sk-upstream-backup', DEEPSEEK_BASE_URL: sim.url, TOLLGATE_ADMIN_TOKEN: 'admin-token-for-backup-tests' };
const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], env);
const backupFile = join(dir, 'first.sqlite');
let gateway: Awaited<ReturnType<typeof spawnGateway>> | undefined;

afterAll(async () => {
  gateway?.proc.kill('SIGKILL');
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI as a child process without blocking this event loop (the load keeps running meanwhile). */
async function cliAsync(...args: string[]) {
  const proc = Bun.spawn(['bun', 'run', MAIN, ...args, '--data-dir', dataDir], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

function chat(url: string, key: string, stream: boolean) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', stream, messages: [{ role: 'user', content: 'backup load #tokens=5' }] }),
  }).then((res) => res.text().then(() => res.status));
}

function readDb<T>(file: string, read: (db: Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const mode = (file: string) => statSync(file).mode & 0o777;
const usage = async (url: string, key: string) => (await fetch(`${url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<Record<string, any>>;

describe('tollgate backup', () => {
  let key1 = '';

  it('writes a consistent 0600 copy while the gateway serves streams and non-streams', async () => {
    key1 = cli('keys', 'create', '--plan', 'pro', '--rpm', '0', '--concurrency', '0').stdout.trim();
    expect(key1).toMatch(/^sk-gateway-/);
    gateway = await spawnGateway(['--data-dir', dataDir], env);
    const url = gateway.url;

    let done = 0;
    let stop = false;
    const statuses: number[] = [];
    const workers = [0, 1, 2, 3].map(async (w) => {
      for (let i = 0; !stop && i < 100; i++) {
        statuses.push(await chat(url, key1, (w + i) % 2 === 0));
        done++;
      }
    });
    while (done < 8) await Bun.sleep(10);
    const committed = readDb(live, (db) => (db.query('SELECT request_id FROM ledger').all() as { request_id: string }[]).map((r) => r.request_id));
    expect(committed.length).toBeGreaterThan(0);

    const result = await cliAsync('backup', backupFile);
    const servedDuringBackup = done;
    stop = true;
    await Promise.all(workers);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${backupFile} (`);
    expect(result.stdout).toMatch(/\d+ bytes\)/);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(servedDuringBackup).toBeGreaterThan(8);

    expect(mode(backupFile)).toBe(0o600);
    const copy = readDb(backupFile, (db) => ({
      integrity: (db.query('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
      ids: new Set((db.query('SELECT request_id FROM ledger').all() as { request_id: string }[]).map((r) => r.request_id)),
      key: db.query("SELECT spent_nano, (SELECT sum(cost_nano) FROM ledger) AS rows FROM api_keys WHERE key_hint = ?").get(`${key1.slice(0, 15)}…${key1.slice(-4)}`) as { spent_nano: number; rows: number },
    }));
    expect(copy.integrity).toBe('ok');
    for (const id of committed) expect(copy.ids.has(id)).toBe(true);
    // one snapshot: the key's spent total and its ledger rows agree inside the copy
    expect(copy.key.spent_nano).toBe(copy.key.rows);
    expect(checkBackup(backupFile).keys).toBe(1);
  }, 30_000);

  it('refuses to overwrite an existing file, with one line and status 2', () => {
    const size = statSync(backupFile).size;
    const result = cli('backup', backupFile);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([`tollgate: ${backupFile} already exists; choose another name or remove it first`]);
    expect(statSync(backupFile).size).toBe(size);
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  let key2 = '';
  let spentAtBackup = 0;
  let requestsAtBackup = 0;

  it('will not restore while a gateway serves the data dir', async () => {
    ({ spentAtBackup, requestsAtBackup } = readDb(backupFile, (db) => {
      const row = db.query('SELECT spent_nano AS spent, (SELECT count(*) FROM ledger) AS n FROM api_keys').get() as { spent: number; n: number };
      return { spentAtBackup: row.spent, requestsAtBackup: row.n };
    }));
    key2 = cli('keys', 'create', '--plan', 'starter').stdout.trim();
    expect(await chat(gateway!.url, key1, false)).toBe(200);
    expect(await chat(gateway!.url, key2, true)).toBe(200);

    const result = cli('restore', backupFile);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`a gateway (pid ${gateway!.proc.pid}) is serving ${dataDir}; stop it before restoring`);
    expect(readdirSync(dataDir).some((name) => name.includes('before-restore'))).toBe(false);
    expect((await usage(gateway!.url, key2)).requests).toBe(1);
  }, 20_000);

  it("restores after a crash, keeps the old database whole beside it, and the next start serves the backup's state", async () => {
    gateway!.proc.kill('SIGKILL');
    await gateway!.proc.exited;
    gateway = undefined;
    expect(existsSync(join(dataDir, 'tollgate.pid'))).toBe(true); // stale: its process is gone

    const result = cli('restore', backupFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`restored ${backupFile} into ${live} (1 keys, ${requestsAtBackup} ledger rows)`);
    const kept = readdirSync(dataDir).filter((name) => /^tollgate\.sqlite\.before-restore-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.test(name));
    expect(kept.length).toBe(1);
    expect(readdirSync(dataDir).filter((name) => name.startsWith(`${kept[0]}-`))).toEqual([]);
    expect(readdirSync(dataDir).filter((name) => /^tollgate\.sqlite-(wal|shm)$/.test(name))).toEqual([]);
    expect(mode(live)).toBe(0o600);
    // the killed process's WAL was folded into the kept file: it has the key made after the backup
    expect(readDb(join(dataDir, kept[0]!), (db) => (db.query('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n)).toBe(2);

    gateway = await spawnGateway(['--data-dir', dataDir], env);
    const first = await usage(gateway.url, key1);
    expect(first.requests).toBe(requestsAtBackup);
    expect(first.spent_usd).toBe((spentAtBackup / 1e9).toFixed(9));
    expect((await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${key2}` } })).status).toBe(401);
    expect(await chat(gateway.url, key1, true)).toBe(200);

    // Without its marker, SQLite's own lock still stops a restore under a live gateway.
    rmSync(join(dataDir, 'tollgate.pid'));
    const refused = cli('restore', backupFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${live} is in use by another process (stop the gateway first)`);
    expect(readdirSync(dataDir).filter((name) => name.includes('before-restore')).length).toBe(1);
    expect(readdirSync(dataDir).filter((name) => name.includes('.restoring-'))).toEqual([]);
    expect((await usage(gateway.url, key1)).requests).toBe(requestsAtBackup + 1);
    gateway.proc.kill('SIGKILL');
    await gateway.proc.exited;
    gateway = undefined;
  }, 30_000);

  it('refuses files that are missing, not SQLite, not Tollgate, or from a newer version', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database, just words '.repeat(200));
    const foreign = join(dir, 'foreign.sqlite');
    const other = new Database(foreign);
    other.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)');
    other.close();
    const newer = join(dir, 'newer.sqlite');
    copyFileSync(backupFile, newer);
    const db = new Database(newer);
    db.exec(`INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ${Date.parse('2099-01-01')})`);
    db.close();

    const liveSize = statSync(live).size;
    const cases: [string, string][] = [
      [join(dir, 'missing.sqlite'), 'does not exist'],
      [text, 'is not a SQLite database'],
      [foreign, 'is not a Tollgate database (no __drizzle_migrations, api_keys, ledger, orders, plans, prices table)'],
      [newer, 'comes from a newer Tollgate'],
    ];
    for (const [file, message] of cases) {
      const result = cli('restore', file);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n').length).toBe(1);
    }
    expect(statSync(live).size).toBe(liveSize);
    expect(readdirSync(dataDir).filter((name) => name.includes('before-restore')).length).toBe(1);
  });
});

describe('restoring a backup from an older version', () => {
  it('restores it, and the next start migrates it forward', async () => {
    const older = join(dir, 'older.sqlite');
    copyFileSync(backupFile, older);
    const db = new Database(older);
    // what a backup taken before 0001_ledger_rollup looks like (and so before every later migration)
    db.exec('DROP TABLE ledger_daily; DROP INDEX ledger_started_idx; ALTER TABLE ledger DROP COLUMN protocol;');
    db.exec('DROP INDEX orders_reconcile_idx; ALTER TABLE orders DROP COLUMN capture_request_id; ALTER TABLE orders DROP COLUMN next_check_at;');
    db.exec('DROP TABLE credits; DROP TABLE mail_outbox; ALTER TABLE api_keys DROP COLUMN lang; ALTER TABLE orders DROP COLUMN lang; ALTER TABLE orders DROP COLUMN topup_key_id;');
    db.exec('DROP TABLE refusals; ALTER TABLE plans DROP COLUMN name_zh; ALTER TABLE plans DROP COLUMN description_zh;');
    // and what 0005_server_tools adds
    db.exec('DROP TABLE tool_prices; ALTER TABLE ledger DROP COLUMN web_search_calls; ALTER TABLE ledger DROP COLUMN read_url_calls; ALTER TABLE ledger DROP COLUMN file_parse_calls; ALTER TABLE ledger DROP COLUMN server_tool_cost_nano;');
    db.exec(`DELETE FROM __drizzle_migrations WHERE created_at > (SELECT min(created_at) FROM __drizzle_migrations)`);
    db.close();
    expect(checkBackup(older).migrations).toBe(1);

    const result = cli('restore', older);
    expect(result.code).toBe(0);
    gateway = await spawnGateway(['--data-dir', dataDir], env);
    try {
      expect(await chat(gateway.url, (await cliAsync('keys', 'create', '--plan', 'pro')).stdout.trim(), false)).toBe(200);
    } finally {
      gateway.proc.kill('SIGKILL');
      await gateway.proc.exited;
      gateway = undefined;
    }
    const after = readDb(live, (db) => ({
      migrations: (db.query('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n,
      rollUpTable: (db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ledger_daily'").get() as { n: number }).n,
      protocolColumn: (db.query("SELECT count(*) AS n FROM pragma_table_info('ledger') WHERE name = 'protocol'").get() as { n: number }).n,
    }));
    expect(after).toEqual({ migrations: embeddedMigrations.length, rollUpTable: 1, protocolColumn: 1 });
  }, 20_000);
});

describe('backup and restore usage errors', () => {
  it.each([
    [['backup'], 'tollgate: usage: tollgate backup FILE'],
    [['restore', 'a.sqlite', 'b.sqlite'], 'tollgate: usage: tollgate restore FILE'],
    [['backup', 'x.sqlite', '--data-dir', 'empty-data'], 'tollgate: there is no database at'],
    [['backup', 'no/such/dir/x.sqlite'], 'tollgate: cannot write'],
  ])('exits 2 with one line for %p', (args, message) => {
    const result = runCli(args.includes('--data-dir') ? args : [...args, '--data-dir', dataDir], env, dir);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').length).toBe(1);
    expect(result.stderr).toStartWith(message);
  });
});

describe('the daily backup', () => {
  const DAY_MS = 86_400_000;
  const DAY1 = Date.parse('2026-11-01T00:00:00Z');

  it("writes today's file once its UTC time has passed, then keeps only the newest of that pattern", async () => {
    const backups = join(dir, 'daily');
    const clock = fixedClock(DAY1 + 2 * 3_600_000);
    const gw = await startTestGateway({ clock, env: { TOLLGATE_BACKUP_DAILY: '03:30', TOLLGATE_BACKUP_KEEP: '3', TOLLGATE_BACKUP_DIR: backups } });
    try {
      const config = gw.deps.config.backup;
      const file = gw.deps.database!.sqlite.filename;
      await Bun.sleep(20); // the start-up tick: not due yet
      expect(existsSync(backups)).toBe(false);
      clock.set(DAY1 + 3 * 3_600_000 + 29 * 60_000);
      expect(await runDailyBackup(config, file, clock.now())).toEqual({ written: null, removed: [] });

      clock.set(DAY1 + 3 * 3_600_000 + 30 * 60_000);
      await dailyBackupTick(gw.deps); // the gateway's own path: written in a worker thread
      const first = join(backups, 'tollgate-2026-11-01.sqlite');
      expect(existsSync(first)).toBe(true);
      expect(gw.logLines.some((line) => line.includes('daily backup written'))).toBe(true);
      expect(mode(backups)).toBe(0o700);
      expect(mode(first)).toBe(0o600);
      expect(checkBackup(first).migrations).toBeGreaterThan(0);
      clock.advance(3_600_000);
      expect(await runDailyBackup(config, file, clock.now())).toEqual({ written: null, removed: [] });

      for (const name of ['notes.txt', 'tollgate-manual.sqlite', 'tollgate-2026-10-01.sqlite.bak']) writeFileSync(join(backups, name), 'keep me');
      const removed: string[] = [];
      for (let day = 1; day <= 5; day++) {
        clock.set(DAY1 + day * DAY_MS + 4 * 3_600_000);
        const result = await runDailyBackup(config, file, clock.now());
        expect(result.written).toBe(join(backups, `tollgate-2026-11-0${day + 1}.sqlite`));
        removed.push(...result.removed);
      }
      expect(removed).toEqual([join(backups, 'tollgate-2026-11-01.sqlite'), join(backups, 'tollgate-2026-11-02.sqlite'), join(backups, 'tollgate-2026-11-03.sqlite')]);
      expect(readdirSync(backups).sort()).toEqual([
        'notes.txt',
        'tollgate-2026-10-01.sqlite.bak',
        'tollgate-2026-11-04.sqlite',
        'tollgate-2026-11-05.sqlite',
        'tollgate-2026-11-06.sqlite',
        'tollgate-manual.sqlite',
      ]);
    } finally {
      await gw.close();
    }
  });

  it("catches up at start when today's time has passed and its file is missing", async () => {
    const backups = join(dir, 'catch-up');
    const clock = fixedClock(DAY1 + 9 * DAY_MS + 5 * 3_600_000);
    const gw = await startTestGateway({ clock, env: { TOLLGATE_BACKUP_DAILY: '03:30', TOLLGATE_BACKUP_DIR: backups } });
    try {
      const expected = join(backups, 'tollgate-2026-11-10.sqlite');
      for (let i = 0; i < 100 && !existsSync(expected); i++) await Bun.sleep(20);
      expect(readdirSync(backups)).toEqual(['tollgate-2026-11-10.sqlite']);
    } finally {
      await gw.close();
    }
  });
});
