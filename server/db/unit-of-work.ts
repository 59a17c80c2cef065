// A unit of work: several stores' writes in one real transaction, on either backend. The callback
// gets the stores bound to that transaction (`tx`); it commits when the callback resolves and
// rolls back when it throws. No network I/O inside (never await a fetch in one): on SQLite the one
// connection is the transaction, so everything else that needs the database waits meanwhile.
//
//   SQLite (db/sqlite/unit-of-work.ts): BEGIN IMMEDIATE on the one connection, under an async
//     mutex (the connection gate) that every store call outside the transaction waits for.
//     drizzle's async transaction() on bun:sqlite commits before the callback's awaits finish;
//     it is never used.
//   PostgreSQL (the scale-out mode): `sql.begin(async (tx) => work(storesOver(tx)))` on a pooled
//     connection; reads that are followed by a write of the same row take its lock (the stores'
//     lock… methods: SELECT … FOR UPDATE). Other work runs on other connections meanwhile.

/** What a transaction offers besides its stores. */
export interface TransactionHooks {
  /**
   * Runs `fn` once the transaction has committed (never when it rolls back): cache invalidations,
   * waking the mail worker. Errors in it are logged, not thrown: the transaction is done.
   */
  afterCommit(fn: () => unknown): void;
}

export interface UnitOfWork<Tx> {
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A service method that may join its caller's transaction: with `tx` it runs in it, without one
 * it runs in a transaction of its own.
 */
export function within<Tx, T>(uow: UnitOfWork<Tx>, tx: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
  return tx === undefined ? uow.run(work) : work(tx);
}
