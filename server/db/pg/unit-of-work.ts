import type { SQL } from 'bun';
import type { Stores } from '../../backend';
import type { Logger } from '../../lib/log';
import type { TransactionHooks, UnitOfWork } from '../unit-of-work';
import { pgConn } from './conn';
import { pgStores } from './stores';

/**
 * `sql.begin` on a connection of the pool: the callback gets every store bound to that
 * transaction; it commits when the callback resolves and rolls back when it throws. After COMMIT
 * the afterCommit hooks run. Other work runs on other connections meanwhile; a read followed by a
 * write of the same row takes the row's lock (lockOrder, lockKey: SELECT … FOR UPDATE).
 */
export function pgUnitOfWork(sql: SQL, log?: Logger): UnitOfWork<Stores & TransactionHooks> {
  function afterCommitFailed(error: unknown): void {
    log?.error('an after-commit step failed', { error: error instanceof Error ? error.message : String(error) });
  }

  return {
    async run<T>(work: (tx: Stores & TransactionHooks) => Promise<T>): Promise<T> {
      const hooks: (() => unknown)[] = [];
      // boxed: Bun's begin() treats a returned array as queries to await
      const { value } = await sql.begin(async (txSql) => {
        const tx = Object.assign(pgStores(pgConn(txSql, true)), { afterCommit: (fn: () => unknown) => void hooks.push(fn) });
        return { value: await work(tx) };
      });
      for (const hook of hooks) {
        try {
          const done = hook();
          if (done instanceof Promise) done.catch(afterCommitFailed);
        } catch (error) {
          afterCommitFailed(error);
        }
      }
      return value;
    },
  };
}
