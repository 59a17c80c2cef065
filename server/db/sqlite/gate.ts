import type { Database } from 'bun:sqlite';

// The one bun:sqlite connection, shared by everything in the process. A unit of work holds it
// from BEGIN IMMEDIATE to COMMIT across awaits, so every other statement must wait for that to end
// or it would run inside that transaction (and see its uncommitted rows, and roll back with it).
// The gate is that wait: a FIFO of statements and transactions, empty nearly always, so that a
// store call costs one resolved promise. Statements stay synchronous (prepared, bun:sqlite): a
// gated call runs at once when no transaction is open.

/** The synchronous twin of an asynchronous store interface: what its bun:sqlite implementation provides. */
export type Synchronous<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : S[K];
};

export interface ConnectionGate {
  /** true while a unit of work holds the connection */
  readonly held: boolean;
  /** runs the synchronous `statement` once no unit of work holds the connection (at once when none does) */
  call<T>(statement: () => T): Promise<T>;
  /** runs `work` holding the connection; statements and other units of work wait until it settles */
  hold<T>(work: () => Promise<T>): Promise<T>;
}

type Waiting = { kind: 'call'; run(): void } | { kind: 'hold'; start(): void };

/** Longer than this, a transaction is worth a log line: it blocked every other database call meanwhile. */
export const SLOW_TRANSACTION_MS = 1000;
/** Held this long with calls waiting, the gate reports where they wait from: a store used outside its transaction inside a unit of work waits forever. */
export const STUCK_TRANSACTION_MS = 5000;

export interface GateReports {
  /** a transaction held the connection this long */
  onSlow?(ms: number): void;
  /** a transaction has held it for `stuckMs` with calls waiting; `waiting` are their stacks */
  onStuck?(ms: number, waiting: string[]): void;
  /** default STUCK_TRANSACTION_MS */
  stuckMs?: number;
}

export function createConnectionGate(opts: GateReports = {}): ConnectionGate & { close(): void } {
  let held = false;
  let heldSince = 0;
  let reported = false;
  const queue: (Waiting & { origin?: Error })[] = [];
  const stuckMs = opts.stuckMs ?? STUCK_TRANSACTION_MS;
  const watchdog = opts.onStuck
    ? setInterval(
        () => {
          if (!held || reported || queue.length === 0 || Date.now() - heldSince < stuckMs) return;
          reported = true;
          opts.onStuck?.(Date.now() - heldSince, queue.map((w) => w.origin?.stack ?? '(no stack)'));
        },
        Math.max(50, Math.floor(stuckMs / 5)),
      )
    : null;
  watchdog?.unref?.();

  function release(): void {
    held = false;
    const ms = Date.now() - heldSince;
    if (ms > SLOW_TRANSACTION_MS) opts.onSlow?.(ms);
    while (queue.length > 0) {
      const next = queue.shift() as Waiting;
      if (next.kind === 'call') next.run();
      else {
        next.start();
        return;
      }
    }
  }

  function start<T>(work: () => Promise<T>): Promise<T> {
    held = true;
    reported = false;
    heldSince = Date.now();
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(release);
  }

  function now<T>(statement: () => T): Promise<T> {
    try {
      return Promise.resolve(statement());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    get held() {
      return held;
    },
    call(statement) {
      if (!held) return now(statement);
      const origin = opts.onStuck ? new Error('a store call waiting for the connection') : undefined;
      return new Promise((resolve, reject) => {
        queue.push({
          origin,
          kind: 'call',
          run() {
            try {
              resolve(statement());
            } catch (error) {
              reject(error);
            }
          },
        });
      });
    },
    hold(work) {
      if (!held) return start(work);
      const origin = opts.onStuck ? new Error('a unit of work waiting for the connection') : undefined;
      return new Promise((resolve, reject) => {
        queue.push({ origin, kind: 'hold', start: () => void start(work).then(resolve, reject) });
      });
    },
    close: () => {
      if (watchdog) clearInterval(watchdog);
    },
  };
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The store outside any transaction: each method a statement (or a few, atomically) through the gate. */
export function gatedStore<S extends object>(impl: Synchronous<S>, gate: ConnectionGate): S {
  const store: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(impl as Record<string, unknown>)) {
    if (typeof value !== 'function') continue;
    const fn = value as AnyFunction;
    store[name] = (...args: unknown[]) => {
      if (!gate.held) {
        try {
          return Promise.resolve(fn(...args));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return gate.call(() => fn(...args));
    };
  }
  return store as S;
}

/** The store inside a unit of work: the transaction holds the gate, so its statements run at once. */
export function directStore<S extends object>(impl: Synchronous<S>): S {
  const store: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(impl as Record<string, unknown>)) {
    if (typeof value !== 'function') continue;
    const fn = value as AnyFunction;
    store[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return store as S;
}

/**
 * Runs `fn` atomically on the connection: in a transaction of its own (BEGIN IMMEDIATE), or, when a
 * unit of work's transaction is open already, as part of it. A store method that writes several
 * statements uses this, so that it is atomic with or without a unit of work around it. Inside one
 * no savepoint is taken: SQLite then journals every statement on its own, which costs about a
 * microsecond per row of a settle batch; a store error inside a unit of work ends it (the unit
 * rolls back as a whole), so there is nothing to roll back to.
 */
export function atomically<T>(sqlite: Database, fn: () => T): T {
  if (sqlite.inTransaction) return fn();
  sqlite.query('BEGIN IMMEDIATE').run();
  try {
    const result = fn();
    sqlite.query('COMMIT').run();
    return result;
  } catch (error) {
    if (sqlite.inTransaction) sqlite.query('ROLLBACK').run();
    throw error;
  }
}
