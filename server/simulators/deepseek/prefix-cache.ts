// Prefix (context) cache per user_id, in whole 64-token blocks, with bounded memory.

export interface PrefixCacheLimits {
  /** Most buckets (distinct user_id values) kept; least recently used are dropped. */
  maxBuckets: number;
  /** Most block keys per bucket; least recently used are dropped. */
  maxKeysPerBucket: number;
}

const DEFAULT_LIMITS: PrefixCacheLimits = { maxBuckets: 1024, maxKeysPerBucket: 16384 };

export class PrefixCache {
  private readonly buckets = new Map<string, Map<number, true>>();
  private readonly limits: PrefixCacheLimits;

  constructor(limits: Partial<PrefixCacheLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Returns how many leading blocks of this prompt were seen before in the bucket (the
   * longest stored prefix), then stores all of this prompt's block keys.
   */
  lookupAndStore(bucketId: string, blockKeys: readonly number[]): number {
    let bucket = this.buckets.get(bucketId);
    if (bucket) {
      this.buckets.delete(bucketId); // refresh LRU position
    } else {
      bucket = new Map();
    }
    this.buckets.set(bucketId, bucket);
    while (this.buckets.size > this.limits.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }

    let hitBlocks = 0;
    for (let i = blockKeys.length - 1; i >= 0; i--) {
      if (bucket.has(blockKeys[i]!)) {
        hitBlocks = i + 1;
        break;
      }
    }
    for (const key of blockKeys) {
      bucket.delete(key);
      bucket.set(key, true);
    }
    while (bucket.size > this.limits.maxKeysPerBucket) {
      const oldest = bucket.keys().next().value;
      if (oldest === undefined) break;
      bucket.delete(oldest);
    }
    return hitBlocks;
  }

  clear(): void {
    this.buckets.clear();
  }
}
