import type { Deps } from '../deps';

/** Background upkeep of a running gateway: the optional daily backup and the ledger roll-up. */
export function startMaintenance(_deps: Deps): () => Promise<void> {
  return async () => {};
}
