import type { SQL } from 'bun';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../lib/log';

// Instances of the scale-out mode and the holds they leave behind. Each instance writes its row
// at start and refreshes `last_seen` every few seconds (on the database's clock, so instances
// whose clocks disagree still agree on who is late). The leader's sweeper deletes the rows of
// instances that stopped heartbeating and releases their holds, in one statement: a request that
// an instance was running when it died is neither billed nor left holding its key's budget.

/** Written into the holds an instance takes: host, PID and a random part (a PID gets reused). */
export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

const NOW_MS = 'floor(extract(epoch from clock_timestamp()) * 1000)::bigint';

export interface Heartbeat {
  id: string;
  stop(): Promise<void>;
}

/**
 * Registers the instance and keeps its row fresh; stop() deletes the row (its holds, if any, go to
 * the sweeper). Every beat writes the row whole: an instance whose row a sweeper deleted (it was
 * cut off from the database longer than the stale time) is registered again by its next beat.
 */
export async function startHeartbeat(sql: SQL, opts: { id: string; version: string; everyMs?: number; log: Logger }): Promise<Heartbeat> {
  const { id } = opts;
  const beat = () =>
    sql.unsafe(
      `INSERT INTO instances (id, host, pid, version, started_at, last_seen) VALUES ($1, $2, $3, $4, ${NOW_MS}, ${NOW_MS})
       ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`,
      [id, hostname(), process.pid, opts.version],
    );
  await beat();
  let beating: Promise<unknown> = Promise.resolve();
  let late = false;
  const timer = setInterval(() => {
    beating = beat().then(
      () => {
        if (late) opts.log.info('instance heartbeat written again');
        late = false;
      },
      (error: unknown) => {
        if (!late) opts.log.warn('instance heartbeat failed; after the stale time this instance’s holds are released', { error: (error as Error).message });
        late = true;
      },
    );
  }, opts.everyMs ?? 5000);
  timer.unref?.();
  return {
    id,
    async stop() {
      clearInterval(timer);
      await beating;
      await sql`DELETE FROM instances WHERE id = ${id}`.catch(() => undefined);
    },
  };
}

export interface Sweep {
  instances: number;
  holds: number;
  nano: number;
}

/**
 * Deletes instances not seen for `staleMs` and every hold whose instance is gone, giving each
 * key back what those holds kept (held_nano, in_flight). One statement: two sweeps at once, or a
 * sweep and a settlement of the same request, release a hold once (whoever deletes its row).
 */
export async function sweepDeadInstances(sql: SQL, opts: { staleMs?: number } = {}): Promise<Sweep> {
  const staleMs = opts.staleMs ?? 60_000;
  const [row] = await sql.unsafe(
    `WITH dead AS (
       DELETE FROM instances WHERE last_seen < ${NOW_MS} - $1 RETURNING id
     ), gone AS (
       DELETE FROM holds h
       WHERE h.instance_id IN (SELECT id FROM dead) OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = h.instance_id)
       RETURNING h.key_id, h.nano
     ), per_key AS (
       SELECT key_id, sum(nano) AS nano, count(*) AS n FROM gone GROUP BY key_id
     ), released AS (
       UPDATE api_keys k SET held_nano = k.held_nano - p.nano, in_flight = k.in_flight - p.n
       FROM per_key p WHERE k.id = p.key_id
       RETURNING p.nano, p.n
     )
     SELECT (SELECT count(*) FROM dead) AS instances, coalesce(sum(n), 0) AS holds, coalesce(sum(nano), 0) AS nano FROM released`,
    [staleMs],
  );
  return { instances: Number(row.instances), holds: Number(row.holds), nano: Number(row.nano) };
}
