import { afterAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import pkg from '../../package.json' with { type: 'json' };
import { embeddedMigrations } from '../../server/db/migrations.generated';
import { tempDir } from '../helpers/gateway';
import { runCli } from '../helpers/process';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, env, dir);

describe('the tollgate command line', () => {
  it('prints its version and help', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, stdout: `tollgate ${pkg.version}\n` });
    const help = run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'migrate', 'simulate-upstream']) expect(help.stdout).toContain(command);
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
