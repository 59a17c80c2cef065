import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE, connectPostgres, type PostgresHandle } from '../../server/db/pg/client';
import { newInstanceId, startHeartbeat, sweepDeadInstances } from '../../server/maintenance/instances';
import { electLeader, soleLeader, type Leadership } from '../../server/maintenance/leader';
import { capturedLog, eventually } from '../helpers/counters';
import { describePostgres, POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from '../helpers/postgres';

// Background work on one elected instance, and the instances' heartbeats that let the leader
// release the holds of an instance that died.

let pg: TestPostgres;
let url: string;
beforeAll(async () => {
  if (!POSTGRES_AVAILABLE) return;
  pg = await startPostgres();
  url = await pg.migratedDatabase();
}, 30_000);
afterAll(async () => {
  await pg?.stop();
});

describe('leadership in the SQLite mode', () => {
  it('always belongs to the one process', async () => {
    const sole = soleLeader();
    expect(sole.isLeader()).toBe(true);
    await sole.stop();
  });
});

describePostgres('leader election on PostgreSQL', () => {
  const handles: PostgresHandle[] = [];
  const electors: Leadership[] = [];
  afterAll(async () => {
    for (const elector of electors) await elector.stop();
    for (const handle of handles) await handle.close();
  });
  const instance = async () => {
    const handle = await connectPostgres(url, { max: 3 });
    handles.push(handle);
    const changes: boolean[] = [];
    const elector = electLeader(handle.sql, { log: capturedLog().log, everyMs: 200 });
    elector.onChange((leader) => changes.push(leader));
    electors.push(elector);
    return { elector, changes };
  };
  const holderPid = async () => {
    const rows = await pg.admin`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ${ADVISORY_NAMESPACE} AND objid = ${ADVISORY_LOCKS.leader}`;
    return rows.map((row: { pid: number }) => row.pid);
  };

  it('makes exactly one of two instances the leader, and keeps it so', async () => {
    const [a, b] = [await instance(), await instance()];
    expect(await eventually(() => a.elector.isLeader() || b.elector.isLeader(), 5000)).toBe(true);
    for (let i = 0; i < 5; i++) {
      await Bun.sleep(200);
      expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean).length).toBe(1);
    }
    expect((await holderPid()).length).toBe(1);
  });

  it('moves to the other instance when the leader’s connection dies', async () => {
    const [a, b] = electors.length >= 2 ? [electors[0]!, electors[1]!] : [];
    const leader = a!.isLeader() ? a! : b!;
    const other = leader === a ? b! : a!;
    const [pid] = await holderPid();
    await pg.admin`SELECT pg_terminate_backend(${pid as number})`;
    expect(await eventually(() => other.isLeader() && !leader.isLeader(), 5000)).toBe(true);
    await Bun.sleep(600);
    expect(leader.isLeader()).toBe(false);
    expect((await holderPid()).length).toBe(1);
  });

  it('hands over at once when the leader stops, telling its listeners', async () => {
    const c = await instance();
    const current = electors.find((e) => e.isLeader())!;
    await current.stop();
    expect(current.isLeader()).toBe(false);
    expect(await eventually(() => electors.filter((e) => e.isLeader()).length === 1, 5000)).toBe(true);
    await eventually(() => c.changes.length > 0 || !c.elector.isLeader(), 1000);
    expect(c.changes.every((change, i) => change === (i % 2 === 0))).toBe(true);
  });
});

describePostgres('instance heartbeats and the hold sweeper', () => {
  let db: PostgresHandle;
  beforeAll(async () => {
    db = await connectPostgres(url);
    await db.sql`INSERT INTO plans (id, name, price_nano, budget_nano, models, rpm, max_concurrency, validity_days) VALUES ('p', 'P', 1, 1000, '[]', 0, 0, 30)`;
  });
  afterAll(async () => {
    await db.close();
  });

  /** a key holding 100 for a live instance, 200 + 300 for a dead one and 50 for one whose row is gone */
  async function arrange(keyId: string, live: string) {
    const dead = `dead-${keyId}`;
    await db.sql`INSERT INTO instances (id, host, pid, version, started_at, last_seen) VALUES (${dead}, 'h', 1, 't', 0, 0)`;
    await db.sql`INSERT INTO api_keys (id, key_hash, key_encrypted, key_hint, plan_id, budget_nano, held_nano, in_flight, upstream_user_id)
      VALUES (${keyId}, ${keyId}, 'e', 'h', 'p', 1000, 650, 4, 'u')`;
    const holds = [
      [`${keyId}-1`, 100, live],
      [`${keyId}-2`, 200, dead],
      [`${keyId}-3`, 300, dead],
      [`${keyId}-4`, 50, `vanished-${keyId}`],
    ] as const;
    for (const [id, nano, owner] of holds) await db.sql`INSERT INTO holds (request_id, key_id, nano, instance_id) VALUES (${id}, ${keyId}, ${nano}, ${owner})`;
  }
  const keyState = async (keyId: string) => {
    const [row] = await db.sql`SELECT held_nano, in_flight FROM api_keys WHERE id = ${keyId}`;
    return { held: Number(row.held_nano), inFlight: Number(row.in_flight) };
  };

  it('keeps a live instance’s row fresh on the database’s clock, and removes it on stop', async () => {
    const heartbeat = await startHeartbeat(db.sql, { id: newInstanceId(), version: 'test', everyMs: 100, log: capturedLog().log });
    const seen = async () => Number((await db.sql`SELECT last_seen FROM instances WHERE id = ${heartbeat.id}`)[0]?.last_seen ?? 0);
    const first = await seen();
    expect(first).toBeGreaterThan(0);
    expect(await eventually(async () => (await seen()) > first, 3000)).toBe(true);
    await heartbeat.stop();
    expect(await seen()).toBe(0);
  });

  it('releases the holds of dead and vanished instances, once, and leaves a live instance’s alone', async () => {
    const heartbeat = await startHeartbeat(db.sql, { id: newInstanceId(), version: 'test', everyMs: 1000, log: capturedLog().log });
    try {
      await arrange('k1', heartbeat.id);
      expect(await sweepDeadInstances(db.sql, { staleMs: 60_000 })).toEqual({ instances: 1, holds: 3, nano: 550 });
      expect(await keyState('k1')).toEqual({ held: 100, inFlight: 1 });
      expect(((await db.sql`SELECT request_id FROM holds WHERE key_id = 'k1'`) as { request_id: string }[]).map((r) => r.request_id)).toEqual(['k1-1']);
      expect(await sweepDeadInstances(db.sql, { staleMs: 60_000 })).toEqual({ instances: 0, holds: 0, nano: 0 });
      expect(await keyState('k1')).toEqual({ held: 100, inFlight: 1 });
    } finally {
      // settled, as its request would be before the instance stops
      await db.sql`DELETE FROM holds WHERE key_id = 'k1'`;
      await heartbeat.stop();
    }
  });

  it('releases each hold once when two sweepers run at the same moment', async () => {
    const heartbeat = await startHeartbeat(db.sql, { id: newInstanceId(), version: 'test', everyMs: 1000, log: capturedLog().log });
    const other = await connectPostgres(url);
    try {
      await arrange('k2', heartbeat.id);
      const sweeps = await Promise.all([sweepDeadInstances(db.sql), sweepDeadInstances(other.sql)]);
      expect(sweeps.reduce((sum, s) => sum + s.holds, 0)).toBe(3);
      expect(sweeps.reduce((sum, s) => sum + s.nano, 0)).toBe(550);
      expect(await keyState('k2')).toEqual({ held: 100, inFlight: 1 });
    } finally {
      await other.close();
      await heartbeat.stop();
    }
  });
});
