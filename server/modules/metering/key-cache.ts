import type { KeyRow } from './store';

// Key rows by hash, read on every request. Writes made through the metering service drop the
// entry (the 'keys' topic of the invalidation bus: at once in this process, within a second on
// the other instances of the scale-out mode); settlements patch the spent total in place; a short
// life picks up what another process changed without telling (the `keys` command).

export const KEY_CACHE_MS = 2000;
const KEY_CACHE_MAX = 10_000;

export function createKeyCache(now: () => number = Date.now) {
  const byHash = new Map<string, { row: KeyRow; at: number }>();
  const hashById = new Map<string, string>();
  /** moves on every drop: a row read before a drop is not put back after it */
  let generation = 0;
  return {
    get generation(): number {
      return generation;
    },
    get(hash: string): KeyRow | undefined {
      const entry = byHash.get(hash);
      if (!entry) return undefined;
      if (now() - entry.at > KEY_CACHE_MS) {
        byHash.delete(hash);
        return undefined;
      }
      return entry.row;
    },
    /** caches a row read when the generation was `readAt`, unless something was dropped since */
    put(row: KeyRow, readAt: number): void {
      if (readAt !== generation) return;
      if (byHash.size >= KEY_CACHE_MAX) {
        byHash.clear();
        hashById.clear();
      }
      byHash.set(row.keyHash, { row, at: now() });
      hashById.set(row.id, row.keyHash);
    },
    patch(id: string, fields: Partial<KeyRow>): void {
      const hash = hashById.get(id);
      const entry = hash ? byHash.get(hash) : undefined;
      if (entry) entry.row = { ...entry.row, ...fields };
    },
    clear(): void {
      generation++;
      byHash.clear();
      hashById.clear();
    },
    forget(id: string): void {
      generation++;
      const hash = hashById.get(id);
      if (hash) byHash.delete(hash);
      hashById.delete(id);
    },
  };
}

export type KeyCache = ReturnType<typeof createKeyCache>;
