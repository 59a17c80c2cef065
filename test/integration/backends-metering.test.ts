import { afterEach, expect, it } from 'bun:test';
import { fixedClock } from '../../server/lib/clock';
import { sweepDeadInstances } from '../../server/maintenance/instances';
import type { Admission, KeyContext } from '../../server/modules/metering/service';
import type { SettleRow } from '../../server/modules/metering/store';
import { eachBackend, type OpenedBackend } from '../helpers/backends';

// Metering on both backends, through the services and stores the gateway runs on: holds
// (whole, clamped, refused, the concurrency cap), settling (one ledger row, spent = ledger, no hold
// left), budget alerts queued with the spend, key lifecycle and credits as single statements that
// add up under concurrency, refusal counts, and the ledger roll-up run twice at once. PostgreSQL
// adds the settlement of a request whose hold the sweeper had already released.

const MAIL = { TOLLGATE_SMTP_URL: 'smtp://127.0.0.1:2525', TOLLGATE_MAIL_FROM: 'Tollgate <noreply@example.com>' };
const FLASH_MISS = 300; // peak, nano-USD per token: the worst case a hold prices
const FLASH_OUT = 1200;
// Monday 2026-11-23 10:00 in Shanghai: peak, so a cost is priced as its hold was
const PEAK = Date.parse('2026-11-23T10:00:00+08:00');

eachBackend('metering', (b) => {
  let opened: OpenedBackend | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  const open = async () => (opened = await b.open({ env: MAIL, clock: fixedClock(PEAK) }));

  async function keyContext(o: OpenedBackend, input: { budgetNano: number; concurrency?: number; email?: string }): Promise<KeyContext> {
    const deps = await o.deps();
    const { row } = await deps.metering.createKey({ planId: 'pro', budgetNano: input.budgetNano, concurrencyOverride: input.concurrency ?? 0, rpmOverride: 0, email: input.email ?? null });
    return deps.metering.limitsOf(row);
  }
  const flash = async (o: OpenedBackend) => (await o.deps()).catalog.resolveModel('deepseek-v4-flash')!;
  const usage = (output: number, miss = 50) => ({ cacheHitTokens: 0, cacheMissTokens: miss, outputTokens: output, reasoningTokens: 0 });
  const settleInput = async (o: OpenedBackend, output: number, miss = 50) => ({
    protocol: 'chat' as const,
    model: await flash(o),
    usage: usage(output, miss),
    basis: 'upstream' as const,
    httpStatus: 200,
    finishReason: 'stop',
    stream: false,
    ttfbMs: 5,
    upstreamKeyId: null,
  });
  const money = async (o: OpenedBackend, keyId: string) => {
    const [row] = await o.query('SELECT budget_nano, spent_nano FROM api_keys WHERE id = ?', keyId);
    const [ledger] = await o.query('SELECT coalesce(sum(cost_nano), 0) AS cost_nano, count(*) AS n FROM ledger WHERE key_id = ?', keyId);
    const held = o.kind === 'postgres' ? (await o.query('SELECT held_nano, in_flight FROM api_keys WHERE id = ?', keyId))[0] : { held_nano: 0, in_flight: 0 };
    const holds = o.kind === 'postgres' ? (await o.query('SELECT count(*) AS n FROM holds WHERE key_id = ?', keyId))[0]!.n : 0;
    return { budget: row!.budget_nano as number, spent: row!.spent_nano as number, ledger: Number(ledger!.cost_nano), rows: Number(ledger!.n), held: Number(held!.held_nano), inFlight: Number(held!.in_flight), holds: Number(holds) };
  };

  it('holds the whole cap when it fits, fewer tokens when only those fit, and refuses below the floor with what is left', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const model = await flash(o);
    const whole = 100 * FLASH_MISS + 1000 * FLASH_OUT;
    const ctx = await keyContext(o, { budgetNano: whole + 500 * FLASH_OUT });
    const first = await metering.admit(ctx, model, 100, 1000, 'req_whole');
    expect(first).toMatchObject({ maxTokens: 1000, clamped: false, holdNano: whole });
    const second = await metering.admit(ctx, model, 100, 1000, 'req_clamped');
    expect(second.clamped).toBe(true);
    expect(second.maxTokens).toBe(Math.floor((500 * FLASH_OUT - 100 * FLASH_MISS) / FLASH_OUT));
    const refused = await metering.admit(ctx, model, 100, 1000, 'req_refused').catch((error: { status: number; message: string }) => error);
    expect((refused as { status: number }).status).toBe(402);
    if (o.kind === 'postgres') expect(await money(o, ctx.key.id)).toMatchObject({ held: first.holdNano + second.holdNano, inFlight: 2, holds: 2 });
    await metering.release(first);
    await metering.release(second);
    expect(await money(o, ctx.key.id)).toMatchObject({ spent: 0, held: 0, inFlight: 0, holds: 0, rows: 0 });
  });

  it('counts a key’s requests in flight against its concurrency cap, and frees a slot when one ends', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const model = await flash(o);
    const ctx = await keyContext(o, { budgetNano: 1_000_000_000, concurrency: 2 });
    const a = await metering.admit(ctx, model, 10, 100, 'req_a');
    await metering.admit(ctx, model, 10, 100, 'req_b');
    const third = await metering.admit(ctx, model, 10, 100, 'req_c').catch((error: { status: number }) => error);
    expect((third as { status: number }).status).toBe(429);
    await metering.settle(a, await settleInput(o, 20));
    const again = await metering.admit(ctx, model, 10, 100, 'req_d');
    expect(again.maxTokens).toBe(100);
  });

  it('never lets concurrent requests on one key hold or spend past its budget, and the ledger sums to spent', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const model = await flash(o);
    // room for about 7 whole holds, and 40 requests at once
    const budget = 7 * (20 * FLASH_MISS + 200 * FLASH_OUT) + 12_345;
    const ctx = await keyContext(o, { budgetNano: budget });
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        let admission: Admission;
        try {
          admission = await metering.admit(ctx, model, 20, 200, `req_many_${i}`);
        } catch (error) {
          return { refused: (error as { status: number }).status };
        }
        await Bun.sleep(i % 5);
        // what was held, as a real request may cost: its prompt and every output token it was allowed
        return { settled: await metering.settle(admission, await settleInput(o, admission.maxTokens, 20)) };
      }),
    );
    expect(results.filter((r) => 'refused' in r).every((r) => (r as { refused: number }).refused === 402)).toBe(true);
    const settled = results.filter((r) => 'settled' in r).length;
    expect(settled).toBeGreaterThanOrEqual(7);
    const after = await money(o, ctx.key.id);
    expect(after.spent).toBeLessThanOrEqual(budget);
    expect(after.ledger).toBe(after.spent);
    expect(after.rows).toBe(settled);
    expect(after).toMatchObject({ held: 0, inFlight: 0, holds: 0 });
  });

  it('settles once: one ledger row per request, spent raised by its cost, and the budget alert queued with it', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const model = await flash(o);
    const ctx = await keyContext(o, { budgetNano: 2_000_000, email: 'alerts@example.com' });
    const admission = await metering.admit(ctx, model, 50, 1500, 'req_alert');
    const settled = await metering.settle(admission, await settleInput(o, 1400));
    expect(settled.costNano).toBe(50 * FLASH_MISS + 1400 * FLASH_OUT);
    await expect(metering.settle(admission, await settleInput(o, 1))).rejects.toThrow('settled twice');
    const after = await money(o, ctx.key.id);
    expect(after).toMatchObject({ spent: settled.costNano, ledger: settled.costNano, rows: 1, held: 0, holds: 0 });
    // 85% of the budget spent: the low-budget mail, queued in the settle batch's transaction
    expect(await o.query('SELECT kind, to_email FROM mail_outbox')).toEqual([{ kind: 'low_budget', to_email: 'alerts@example.com' }]);
    expect(settled.remainingNano).toBe(after.budget - after.spent);
  });

  it('moves budgets in single statements: concurrent top-ups add up, a refund never goes below what is spent, an edit below it is refused', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const model = await flash(o);
    const ctx = await keyContext(o, { budgetNano: 1_000_000 });
    await Promise.all(Array.from({ length: 20 }, () => metering.topUp(ctx.key.id, 1000)));
    expect((await money(o, ctx.key.id)).budget).toBe(1_020_000);
    const admission = await metering.admit(ctx, model, 10, 100, 'req_spend');
    const { costNano } = await metering.settle(admission, await settleInput(o, 100, 10));
    const lowered = await metering.reduceBudget(ctx.key.id, 5_000_000);
    expect(lowered.budgetNano).toBe(costNano);
    expect(lowered.status).toBe('exhausted');
    await expect(metering.updateKey(ctx.key.id, { budgetNano: costNano - 1 })).rejects.toThrow('at least what the key has already spent');
    const edited = await metering.updateKey(ctx.key.id, { budgetNano: costNano + 10_000 });
    expect(edited).toMatchObject({ budgetNano: costNano + 10_000, status: 'active' });
  });

  it('credits an order once, however many credit it at the same moment', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const ctx = await keyContext(o, { budgetNano: 1_000_000 });
    const now = Date.now();
    await o.backend.stores.checkout.insertOrder({ id: 'ord_once', planId: 'starter', email: 'b@example.com', amountNano: 5_000_000_000, paypalRequestId: 'pp-req', viewTokenHash: 'h', createdAt: now, updatedAt: now });
    const inserted = await Promise.all(
      Array.from({ length: 8 }, () =>
        o.backend.stores.metering.insertCredit({ keyId: ctx.key.id, orderId: 'ord_once', kind: 'purchase', amountNano: 5_000_000_000, budgetAddedNano: 4_250_000_000, planAfter: 'starter', createdAt: now }),
      ),
    );
    expect(inserted.filter(Boolean)).toHaveLength(1);
    expect(await metering.creditsOf(ctx.key.id)).toHaveLength(1);
  });

  it('adds refusal counts from several writers, per key, day and reason', async () => {
    const o = await open();
    const ctx = await keyContext(o, { budgetNano: 1000 });
    const rows = (count: number) => [
      { keyId: ctx.key.id, date: '2026-11-23', reason: 'rate_limited' as const, count },
      { keyId: ctx.key.id, date: '2026-11-24', reason: 'budget_too_low' as const, count },
      { keyId: ctx.key.id, date: '2026-11-24', reason: 'budget_too_low' as const, count: 1 },
    ];
    await Promise.all([o.backend.stores.refusals.add(rows(2)), o.backend.stores.refusals.add(rows(3))]);
    expect(await o.backend.stores.refusals.byReason({ keyId: ctx.key.id })).toEqual([
      { reason: 'budget_too_low', count: 7 },
      { reason: 'rate_limited', count: 5 },
    ]);
    expect(await o.backend.stores.refusals.byDay({ keyId: ctx.key.id, fromDate: '2026-11-24' })).toEqual([{ date: '2026-11-24', reason: 'budget_too_low', count: 7 }]);
    expect((await o.backend.stores.refusals.rows({}, 10))[0]).toEqual({ keyId: ctx.key.id, date: '2026-11-24', reason: 'budget_too_low', count: 7 });
  });

  it('rolls the ledger up twice at once without counting a row twice', async () => {
    const o = await open();
    const { metering } = await o.deps();
    const ctx = await keyContext(o, { budgetNano: 1_000_000_000 });
    const day = Date.parse('2026-01-05T10:00:00Z');
    const rows: SettleRow[] = Array.from({ length: 300 }, (_, i) => ({
      requestId: `req_old_${i}`,
      keyId: ctx.key.id,
      publicModel: 'deepseek-v4-flash',
      upstreamModel: 'deepseek-flash',
      period: 'peak',
      cacheHitTokens: 1,
      cacheMissTokens: 2,
      outputTokens: 3,
      reasoningTokens: 0,
      cacheHitPriceNano: 6,
      cacheMissPriceNano: 300,
      outputPriceNano: 1200,
      costNano: 1000 + i,
      basis: 'upstream',
      httpStatus: i % 10 === 0 ? 500 : 200,
      stream: false,
      durationMs: 10,
      startedAt: day + (i % 3) * 86_400_000,
      finishedAt: day + (i % 3) * 86_400_000 + 10,
      holdNano: 0,
      floorNano: 0,
    }));
    await o.backend.stores.metering.settleMany(rows);
    const before = await metering.ledgerSum(ctx.key.id);
    const moved = await Promise.all([metering.rollUpLedger(day + 10 * 86_400_000, 40), metering.rollUpLedger(day + 10 * 86_400_000, 40)]);
    expect(moved[0] + moved[1]).toBe(300);
    expect(await o.query('SELECT count(*) AS n FROM ledger')).toEqual([{ n: 0 }]);
    expect(await metering.ledgerSum(ctx.key.id)).toEqual(before);
    const daily = await o.query('SELECT date, requests, errors FROM ledger_daily ORDER BY date');
    expect(daily).toEqual([
      { date: '2026-01-05', requests: 100, errors: 10 },
      { date: '2026-01-06', requests: 100, errors: 10 },
      { date: '2026-01-07', requests: 100, errors: 10 },
    ]);
    const totals = await metering.usageDaily(ctx.key.id, 400);
    expect(totals.filter((t) => t.date.startsWith('2026-01')).map((t) => t.requests)).toEqual([100, 100, 100]);
  });

  if (b.kind === 'postgres') {
    it('settles a request whose hold the sweeper released: billed only what still fits, never over budget, held never negative', async () => {
      const o = await open();
      const { metering } = await o.deps();
      const model = await flash(o);
      const budget = 100 * FLASH_MISS + 1000 * FLASH_OUT;
      const ctx = await keyContext(o, { budgetNano: budget });
      const orphan = await metering.admit(ctx, model, 100, 1000, 'req_orphan');
      // this backend does not heartbeat: to the sweeper its holds are a dead instance's
      const sql = new Bun.SQL(o.config.databaseUrl as string, { max: 1 });
      try {
        expect(await sweepDeadInstances(sql, { staleMs: 1 })).toMatchObject({ holds: 1, nano: budget });
      } finally {
        await sql.close();
      }
      expect(await money(o, ctx.key.id)).toMatchObject({ held: 0, inFlight: 0, holds: 0 });
      // the released budget is taken by another request meanwhile
      const other = await metering.admit(ctx, model, 100, 600, 'req_other');
      const { costNano } = await metering.settle(orphan, await settleInput(o, 900, 100));
      expect(costNano).toBe(100 * FLASH_MISS + 900 * FLASH_OUT);
      const mid = await money(o, ctx.key.id);
      expect(mid.spent + mid.held).toBeLessThanOrEqual(budget);
      expect(mid.spent).toBe(budget - other.holdNano); // what still fitted, not the whole cost
      expect(mid.ledger).toBe(mid.spent);
      await metering.settle(other, await settleInput(o, 600, 100));
      const after = await money(o, ctx.key.id);
      expect(after.spent).toBeLessThanOrEqual(budget);
      expect(after).toMatchObject({ held: 0, inFlight: 0, holds: 0, ledger: after.spent, rows: 2 });
    });
  }
});
