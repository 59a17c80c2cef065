import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';
import { createSqliteBackend } from '../../server/db/sqlite/backend';
import { systemClock } from '../../server/lib/clock';
import { DEFAULT_SCHEDULE } from '../../server/modules/catalog/defaults';
import { costOf, isValidSchedule, periodAt } from '../../server/modules/catalog/price-book';
import { createCatalogService } from '../../server/modules/catalog/service';
import { tempDir } from '../helpers/gateway';

// 2026-11-23 is a Monday; Asia/Shanghai is UTC+8 all year.
const shanghai = (local: string) => new Date(`${local}+08:00`);

describe('the peak schedule', () => {
  it.each([
    ['2026-11-23T08:59:59', 'off_peak'],
    ['2026-11-23T09:00:00', 'peak'],
    ['2026-11-23T11:59:59', 'peak'],
    ['2026-11-23T12:00:00', 'off_peak'],
    ['2026-11-23T13:59:59', 'off_peak'],
    ['2026-11-23T14:00:00', 'peak'],
    ['2026-11-23T17:59:59', 'peak'],
    ['2026-11-23T18:00:00', 'off_peak'],
    ['2026-11-27T10:00:00', 'peak'], // Friday
    ['2026-11-28T10:00:00', 'off_peak'], // Saturday
    ['2026-11-29T15:00:00', 'off_peak'], // Sunday
    ['2026-10-01T10:00:00', 'off_peak'], // National Day, a Thursday
    ['2026-10-08T10:00:00', 'peak'], // the Thursday after
  ])('at %s Beijing time is %s', (local, period) => {
    expect(periodAt(DEFAULT_SCHEDULE, shanghai(local))).toBe(period as 'peak' | 'off_peak');
  });

  it('reads the time zone from the schedule, not the machine', () => {
    // 01:30 UTC on a Monday is 09:30 in Shanghai but 20:30 the day before in New York.
    const at = new Date('2026-11-23T01:30:00Z');
    expect(periodAt(DEFAULT_SCHEDULE, at)).toBe('peak');
    expect(periodAt({ ...DEFAULT_SCHEDULE, timeZone: 'America/New_York' }, at)).toBe('off_peak');
  });

  it('validates schedules', () => {
    expect(isValidSchedule(DEFAULT_SCHEDULE)).toBeNull();
    expect(isValidSchedule({ ...DEFAULT_SCHEDULE, timeZone: 'Mars/Olympus' })).toContain('time zone');
    expect(isValidSchedule({ ...DEFAULT_SCHEDULE, peakWindows: [{ days: [1], start: '12:00', end: '09:00' }] })).toContain('ends before');
    expect(isValidSchedule({ ...DEFAULT_SCHEDULE, peakWindows: [{ days: [0], start: '09:00', end: '10:00' }] })).toContain('days');
    expect(isValidSchedule({ ...DEFAULT_SCHEDULE, holidays: ['1 Oct'] })).toContain('YYYY-MM-DD');
  });
});

describe('cost arithmetic', () => {
  it('bills each kind of token at its own price, exactly', () => {
    const prices = { cacheHitNano: 6, cacheMissNano: 300, outputNano: 1200 };
    expect(costOf({ cacheHitTokens: 1000, cacheMissTokens: 2000, outputTokens: 500, reasoningTokens: 200 }, prices)).toBe(6_000 + 600_000 + 600_000);
    expect(costOf({ cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 }, prices)).toBe(0);
  });
});

describe('the catalog service over a real database', () => {
  const dir = tempDir();
  const handle = openDatabase(join(dir, 'catalog.sqlite'));
  migrateDatabase(handle.db);
  const backend = createSqliteBackend(handle, { clock: systemClock });
  const catalog = createCatalogService({ store: backend.stores.catalog, bus: backend.bus });
  beforeAll(async () => {
    expect(await catalog.seedDefaults()).toBe(true);
  });
  afterAll(() => {
    handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds the defaults once and keeps an operator edit', async () => {
    handle.sqlite.exec("UPDATE plans SET name = 'Tiny' WHERE id = 'trial'");
    expect(await catalog.seedDefaults()).toBe(false);
    expect(catalog.plan('trial')?.name).toBe('Tiny');
  });

  it('offers the four plans, with the pro model only in Pro', () => {
    expect(catalog.plans().map((p) => p.id)).toEqual(['trial', 'starter', 'standard', 'pro']);
    for (const plan of catalog.plans()) expect(plan.models.includes('deepseek-v4-pro')).toBe(plan.id === 'pro');
    expect(catalog.plan('standard')?.rpm).toBe(60);
    expect(catalog.plan('starter')?.rpm).toBe(30);
  });

  it('maps public models and aliases to upstream models and thinking modes', () => {
    expect(catalog.resolveModel('deepseek-v4-flash')).toEqual({ publicModel: 'deepseek-v4-flash', upstreamModel: 'deepseek-flash', thinking: null, maxOutputTokens: 393_216 });
    expect(catalog.resolveModel('deepseek-v4-pro')?.upstreamModel).toBe('deepseek-v4-pro');
    expect(catalog.resolveModel('deepseek-reasoner')).toMatchObject({ publicModel: 'deepseek-v4-flash', thinking: 'enabled' });
    expect(catalog.resolveModel('deepseek-chat')).toMatchObject({ publicModel: 'deepseek-v4-flash', thinking: 'disabled' });
    expect(catalog.resolveModel('deepseek-coder')?.publicModel).toBe('deepseek-v4-flash');
    expect(catalog.resolveModel('deepseek-flash')?.publicModel).toBe('deepseek-v4-flash');
    expect(catalog.resolveModel('gpt-4o')).toBeUndefined();
  });

  it('stops resolving a retired model and its aliases', async () => {
    handle.sqlite.exec("UPDATE models SET retired = 1 WHERE id = 'deepseek-v4-pro'");
    await catalog.invalidate();
    expect(catalog.resolveModel('deepseek-v4-pro')).toBeUndefined();
    handle.sqlite.exec("UPDATE models SET retired = 0 WHERE id = 'deepseek-v4-pro'");
    await catalog.invalidate();
    expect(catalog.resolveModel('deepseek-v4-pro')).toBeDefined();
  });

  it('prices by completion time: a request that starts off-peak and completes at peak pays peak prices', () => {
    const usage = { cacheHitTokens: 640, cacheMissTokens: 1000, outputTokens: 300, reasoningTokens: 100 };
    const started = shanghai('2026-11-23T08:59:30');
    const completed = shanghai('2026-11-23T09:00:10');
    expect(catalog.periodAt(started)).toBe('off_peak');
    const priced = catalog.cost(usage, 'deepseek-v4-flash', completed);
    expect(priced.period).toBe('peak');
    expect(priced.costNano).toBe(640 * 6 + 1000 * 300 + 300 * 1200);
  });

  it('charges off-peak prices on a holiday, and pro prices for pro', () => {
    const usage = { cacheHitTokens: 64, cacheMissTokens: 10, outputTokens: 20, reasoningTokens: 0 };
    const holiday = catalog.cost(usage, 'deepseek-v4-pro', shanghai('2026-10-01T10:00:00'));
    expect(holiday.period).toBe('off_peak');
    expect(holiday.costNano).toBe(64 * 22 + 10 * 660 + 20 * 1980);
    const workday = catalog.cost(usage, 'deepseek-v4-pro', shanghai('2026-10-08T10:00:00'));
    expect(workday.costNano).toBe(64 * 44 + 10 * 1320 + 20 * 3960);
  });

  it('holds against the highest price of each kind', () => {
    expect(catalog.worstCasePrices('deepseek-v4-flash')).toEqual({ cacheHitNano: 6, cacheMissNano: 300, outputNano: 1200 });
  });
});
