import { afterAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway';
import { runCli } from '../helpers/process';

const dir = tempDir();
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = (...args: string[]) => runCli(['keys', ...args, '--data-dir', dataDir], {});

describe('tollgate keys', () => {
  let key = '';

  it('creates a key and prints it alone on its own line', () => {
    const result = keys('create', '--plan', 'starter', '--budget', '2.50', '--email', 'a@example.com', '--note', 'cli', '--rpm', '0', '--concurrency', '3', '--expires-days', '10');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sk-gateway-[0-9A-Za-z]{40}\n$/);
    key = result.stdout.trim();
  });

  it('lists keys without showing the secret', () => {
    const result = keys('list');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('starter');
    expect(result.stdout).toContain('2.500000000');
    expect(result.stdout).toContain('a@example.com');
    expect(result.stdout).not.toContain(key);
    expect(result.stdout).toContain(`${key.slice(0, 15)}…${key.slice(-4)}`);
  });

  it('tops up by key or by id', () => {
    const result = keys('topup', key, '1.25');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('budget 3.750000000 USD');
    const id = result.stdout.split(' ')[0]!;
    expect(keys('topup', id, '0.25').stdout).toContain('budget 4.000000000 USD');
  });

  it('disables a key', () => {
    const result = keys('disable', key);
    expect(result.code).toBe(0);
    expect(keys('list').stdout).toMatch(/\tdisabled\t/);
  });

  it.each([
    [['create'], 'needs --plan'],
    [['create', '--plan', 'gold'], 'unknown plan "gold"'],
    [['create', '--plan', 'trial', '--budget', '-3'], '--budget must be a USD amount'],
    [['create', '--plan', 'trial', '--rpm', 'fast'], '--rpm must be a whole number'],
    [['topup', 'key_nope', '5'], 'no key matches'],
    [['frob'], 'unknown keys command'],
  ])('exits 2 with one clear line for %p', (args, message) => {
    const result = keys(...args);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});
