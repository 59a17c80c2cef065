import { afterAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import pkg from '../../package.json' with { type: 'json' };
import { embeddedMigrations } from '../../server/db/migrations.generated';
import { tempDir } from '../helpers/gateway';
import { freePort, MAIN, runCli } from '../helpers/process';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, env, dir);

describe('the tollgate command line', () => {
  it('prints its version and help', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, stdout: `tollgate ${pkg.version}\n` });
    const help = run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'migrate', 'copy-to-postgres', 'simulate-upstream']) expect(help.stdout).toContain(command);
  });

  it('exits 2 with one clear line for an unknown command', () => {
    const result = run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['tollgate: unknown command "frobnicate" (see tollgate --help)']);
  });

  it('exits 2 with one line naming the variable for bad configuration', () => {
    const result = run(['serve'], { TOLLGATE_PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['tollgate: TOLLGATE_PORT: must be a whole number, not "eighty"']);
  });

  it('refuses to run checkout without PAYPAL_WEBHOOK_ID (webhooks could not be verified): exit 2, one line', () => {
    const result = run(['serve', '--data-dir', join(dir, 'no-webhook-id')], { PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret' });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith('tollgate: PAYPAL_WEBHOOK_ID: required when checkout is on');
  });

  it('runs the PayPal simulator with PayPal-format webhook ids only, printing the one it signs for', async () => {
    const bad = run(['simulate-paypal', '--webhook-id', 'WH-SIM']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['tollgate: --webhook-id must be 17 upper-case letters and digits, as PayPal\'s are (not "WH-SIM")']);

    for (const [args, id] of [[[], '1SIM4TOLLGATE7WH0'], [['--webhook-id', '8PT597110X687430L'], '8PT597110X687430L']] as const) {
      const proc = Bun.spawn(['bun', 'run', MAIN, 'simulate-paypal', '--port', String(freePort()), ...args], { stdout: 'pipe', stderr: 'pipe' });
      try {
        const reader = proc.stdout.getReader();
        const { value } = await reader.read();
        expect(new TextDecoder().decode(value)).toMatch(new RegExp(`^PayPal simulator listening on http://127\\.0\\.0\\.1:\\d+ \\(client id sim-client, secret sim-secret, webhook id ${id}\\)`));
      } finally {
        proc.kill();
        await proc.exited;
      }
    }
  });

  it('applies migrations to an empty data dir with `migrate`', () => {
    const dataDir = join(dir, 'migrated');
    const result = run(['migrate', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`applied ${embeddedMigrations.length} migration(s)`);
    const db = new Database(join(dataDir, 'tollgate.sqlite'));
    expect(db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ledger'").get()).toEqual({ n: 1 });
    db.close();
    expect(run(['migrate', '--data-dir', dataDir]).stdout).toMatch(/applied 0 migration\(s\)/);
  });
});
