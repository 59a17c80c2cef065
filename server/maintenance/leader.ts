import type { ReservedSQL, SQL } from 'bun';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from '../db/pg/client';
import type { Logger } from '../lib/log';

// Which instance runs the background work (order reconciler, upstream balance checks, ledger
// roll-up, mail outbox, hold sweeper). In the SQLite mode the one process always does. In the
// scale-out mode the leader is whoever holds a session advisory lock on a connection reserved for
// it: PostgreSQL drops the lock when that connection dies, however the instance died, and another
// instance takes it on its next try. The leader checks every `everyMs` that its connection is alive
// and still holds the lock; if not, it stops being the leader at once.
//
// Jobs ask isLeader() when their timer fires, or follow onChange to start and stop. A job can
// still overlap its successor's first run by up to `everyMs` (the old leader learns late that its
// connection is gone), so every job stays safe to run twice: one-statement roll-ups, conditional
// updates, unique keys.

/** A piece of background work: started when this instance runs the background work, stopped when it no longer does (or shuts down). */
export interface BackgroundJob {
  name: string;
  start(): void;
  stop(): Promise<unknown> | void;
}

export interface Leadership {
  isLeader(): boolean;
  /** called with true when this instance becomes the leader and false when it stops; returns the unsubscribe */
  onChange(listener: (leader: boolean) => void): () => void;
  /** gives the lock up (another instance takes it on its next try) */
  stop(): Promise<void>;
}

/** The SQLite mode: one process, always the leader. */
export function soleLeader(): Leadership {
  return { isLeader: () => true, onChange: () => () => undefined, stop: async () => undefined };
}

/** A command (`keys …`) on the scale-out mode's database: it never runs the background work, nor competes for it. */
export function neverLeader(): Leadership {
  return { isLeader: () => false, onChange: () => () => undefined, stop: async () => undefined };
}

const LOCK_ARGS = [ADVISORY_NAMESPACE, ADVISORY_LOCKS.leader] as const;

export function electLeader(sql: SQL, opts: { log: Logger; everyMs?: number }): Leadership {
  const everyMs = opts.everyMs ?? 2000;
  const listeners = new Set<(leader: boolean) => void>();
  let held: ReservedSQL | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const setLeader = (leader: boolean) => {
    opts.log.info(leader ? 'this instance now runs the background work (leader)' : 'this instance no longer runs the background work');
    for (const listener of listeners) listener(leader);
  };

  async function tryToLead(): Promise<void> {
    let reserved: ReservedSQL | undefined;
    try {
      reserved = await sql.reserve();
      const [row] = await reserved`SELECT pg_try_advisory_lock(${LOCK_ARGS[0]}, ${LOCK_ARGS[1]}) AS got`;
      if (row.got !== true) {
        reserved.release();
        return;
      }
      held = reserved;
      setLeader(true);
    } catch (error) {
      reserved?.close().catch(() => undefined);
      opts.log.debug('leader election: no answer from PostgreSQL', { error: (error as Error).message });
    }
  }

  /** The lock is ours while our connection answers and pg_locks lists it under our backend. */
  async function stillLeading(connection: ReservedSQL): Promise<boolean> {
    const check = connection`SELECT count(*) AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND classid = ${LOCK_ARGS[0]} AND objid = ${LOCK_ARGS[1]} AND objsubid = 2`;
    const timeout = Bun.sleep(everyMs).then(() => 'timeout' as const);
    try {
      const answer = await Promise.race([check, timeout]);
      return answer !== 'timeout' && Number(answer[0].n) === 1;
    } catch {
      return false;
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (!held) return tryToLead();
    if (await stillLeading(held)) return;
    const lost = held;
    held = undefined;
    // closing (not releasing) the connection: a pooled connection must never carry the lock on
    lost.close().catch(() => undefined);
    setLeader(false);
  }

  const next = () => {
    running = running.then(tick).catch(() => undefined);
  };
  const timer = setInterval(next, everyMs);
  timer.unref?.();
  next();

  return {
    isLeader: () => held !== undefined,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (!held) return;
      const connection = held;
      held = undefined;
      await connection`SELECT pg_advisory_unlock(${LOCK_ARGS[0]}, ${LOCK_ARGS[1]})`.catch(() => undefined);
      await connection.close().catch(() => undefined);
      setLeader(false);
    },
  };
}
