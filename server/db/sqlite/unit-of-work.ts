import type { Database } from 'bun:sqlite';
import type { Logger } from '../../lib/log';
import type { TransactionHooks, UnitOfWork } from '../unit-of-work';
import type { ConnectionGate } from './gate';

/**
 * BEGIN IMMEDIATE on the one connection, holding the gate until COMMIT or ROLLBACK, around an
 * asynchronous callback that gets the transaction's stores (`txStores`: the same statements,
 * not gated). After COMMIT the afterCommit hooks run, before any waiting statement does.
 */
export function sqliteUnitOfWork<Stores extends object>(sqlite: Database, gate: ConnectionGate, txStores: Stores, log?: Logger): UnitOfWork<Stores & TransactionHooks> {
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const rollback = sqlite.prepare('ROLLBACK');

  function afterCommitFailed(error: unknown): void {
    log?.error('an after-commit step failed', { error: error instanceof Error ? error.message : String(error) });
  }

  return {
    run<T>(work: (tx: Stores & TransactionHooks) => Promise<T>): Promise<T> {
      return gate.hold(async () => {
        const hooks: (() => unknown)[] = [];
        const tx = { ...txStores, afterCommit: (fn: () => unknown) => void hooks.push(fn) };
        begin.run();
        let result: T;
        try {
          result = await work(tx);
          commit.run();
        } catch (error) {
          if (sqlite.inTransaction) rollback.run();
          throw error;
        }
        for (const hook of hooks) {
          try {
            const done = hook();
            if (done instanceof Promise) done.catch(afterCommitFailed);
          } catch (error) {
            afterCommitFailed(error);
          }
        }
        return result;
      });
    },
  };
}
