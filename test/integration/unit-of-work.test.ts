// The SQLite unit of work over a real database file: a transaction that spans awaits commits or
// rolls back as a whole, everything outside it waits for it (and never sees what it has not
// committed), its after-commit steps run only when it commits, and the money paths built on it
// (settle batches, refunds, top-ups) move a budget once however many callers race.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../server/backend';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';
import { createSqliteBackend } from '../../server/db/sqlite/backend';
import { createConnectionGate } from '../../server/db/sqlite/gate';
import { systemClock } from '../../server/lib/clock';
import { tempDir } from '../helpers/gateway';

let dir: string;
let handle: DatabaseHandle;
let backend: Backend;

const keyRow = (id: string) => handle.sqlite.query('SELECT budget_nano, spent_nano, status FROM api_keys WHERE id = ?').get(id) as { budget_nano: number; spent_nano: number; status: string } | null;

async function newKey(id: string, budgetNano = 1_000_000): Promise<void> {
  await backend.stores.metering.insertKey({
    id,
    keyHash: `hash-${id}`,
    keyEncrypted: 'sealed',
    keyHint: 'hint',
    planId: 'pro',
    budgetNano,
    upstreamUserId: `user-${id}`,
    createdAt: Date.now(),
  });
}

beforeAll(async () => {
  dir = tempDir('tollgate-uow-');
  handle = openDatabase(join(dir, 'uow.sqlite'));
  migrateDatabase(handle.db);
  backend = createSqliteBackend(handle, { clock: systemClock });
  await backend.stores.catalog.seedDefaults();
});

afterAll(async () => {
  await backend.close();
  handle.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a unit of work on SQLite', () => {
  it('commits every write of a callback that awaits between them', async () => {
    await backend.uow.run(async (tx) => {
      await tx.metering.insertKey({ id: 'key_a', keyHash: 'hash-a', keyEncrypted: 's', keyHint: 'h', planId: 'pro', budgetNano: 100, upstreamUserId: 'u-a', createdAt: 1 });
      await Bun.sleep(5);
      await tx.metering.addBudget('key_a', 50);
    });
    expect(keyRow('key_a')).toMatchObject({ budget_nano: 150 });
  });

  it('rolls every write back when the callback throws after an await', async () => {
    await expect(
      backend.uow.run(async (tx) => {
        await tx.metering.insertKey({ id: 'key_b', keyHash: 'hash-b', keyEncrypted: 's', keyHint: 'h', planId: 'pro', budgetNano: 100, upstreamUserId: 'u-b', createdAt: 1 });
        await Bun.sleep(5);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(keyRow('key_b')).toBeNull();
    expect(handle.sqlite.inTransaction).toBe(false);
  });

  it('makes a read outside wait for the commit instead of seeing uncommitted rows', async () => {
    await newKey('key_c', 100);
    let inside!: () => void;
    const open = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const work = backend.uow.run(async (tx) => {
      await tx.metering.addBudget('key_c', 900);
      inside();
      await Bun.sleep(30);
      await tx.metering.addBudget('key_c', 1000);
    });
    await open;
    // asked while the transaction is open: answered after it, with both of its writes
    const seen = await backend.stores.metering.keyById('key_c');
    expect(seen?.budgetNano).toBe(2000);
    await work;
  });

  it('runs after-commit steps once committed, and never for a rollback', async () => {
    const ran: string[] = [];
    await backend.uow.run(async (tx) => {
      tx.afterCommit(() => ran.push('committed'));
      ran.push('inside');
    });
    await backend.uow
      .run(async (tx) => {
        tx.afterCommit(() => ran.push('rolled back'));
        throw new Error('no');
      })
      .catch(() => undefined);
    expect(ran).toEqual(['inside', 'committed']);
  });

  it('runs units of work one at a time, in the order they were asked for', async () => {
    await newKey('key_d', 0);
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        backend.uow.run(async (tx) => {
          const before = (await tx.metering.keyById('key_d'))!.budgetNano;
          await Bun.sleep(2);
          await tx.metering.editKey('key_d', { budgetNano: before + n, now: Date.now() });
          order.push(n);
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3, 4]);
    expect(keyRow('key_d')?.budget_nano).toBe(10);
  });

  it('reports where calls wait when a transaction holds the connection too long', async () => {
    const stuck: string[][] = [];
    const gate = createConnectionGate({ stuckMs: 100, onStuck: (_ms, waiting) => stuck.push(waiting) });
    let release!: () => void;
    const held = gate.hold(() => new Promise<void>((resolve) => (release = resolve)));
    let ran = false;
    const waiting = gate.call(() => (ran = true));
    for (let i = 0; i < 200 && stuck.length === 0; i++) await Bun.sleep(25);
    expect(ran).toBe(false);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]![0]).toContain('unit-of-work.test.ts');
    release();
    await held;
    expect(await waiting).toBe(true);
    gate.close();
  });
});

describe('budget writes are single statements', () => {
  it('lowers a budget never below what is spent, and exhausts the key', async () => {
    await newKey('key_e', 1000);
    handle.sqlite.exec("UPDATE api_keys SET spent_nano = 600 WHERE id = 'key_e'");
    const [a, b] = await Promise.all([backend.stores.metering.reduceBudget('key_e', 300), backend.stores.metering.reduceBudget('key_e', 300)]);
    expect([a?.budgetNano, b?.budgetNano].sort()).toEqual([600, 700]);
    expect(keyRow('key_e')).toMatchObject({ budget_nano: 600, status: 'exhausted' });
  });

  it('refuses an edit that would put the budget below what is spent, and changes nothing', async () => {
    expect(await backend.stores.metering.editKey('key_e', { budgetNano: 500, note: 'nope', now: Date.now() })).toBeUndefined();
    expect(keyRow('key_e')).toMatchObject({ budget_nano: 600 });
  });

  it('raises a payment’s refunded total only from the value read: two racing refunds count once', async () => {
    const orderId = 'ord_uow_refund';
    await backend.stores.checkout.insertOrder({
      id: orderId,
      planId: 'starter',
      email: 'race@example.com',
      amountNano: 5_000_000_000,
      currency: 'USD',
      status: 'paid',
      paypalRequestId: 'req-race',
      viewTokenHash: 'x',
      lang: 'en',
      createdAt: 1,
      updatedAt: 1,
    });
    await backend.stores.checkout.insertPayment({ orderId, paypalCaptureId: 'CAP-RACE', status: 'COMPLETED', amountNano: 5_000_000_000, currency: 'USD', refundedNano: 0 });
    const moved = await Promise.all([0, 1].map(() => backend.stores.checkout.raiseRefunded('CAP-RACE', 0, 2_000_000_000, 'PARTIALLY_REFUNDED')));
    expect(moved.filter(Boolean)).toHaveLength(1);
    expect((await backend.stores.checkout.paymentByCapture('CAP-RACE'))?.refundedNano).toBe(2_000_000_000);
  });
});
