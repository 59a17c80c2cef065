// DeepSeek's context cache, per user_id, with bounded memory. As DeepSeek documents it (guides/
// kv_cache): every request persists two cache prefix units, one at the end of its input and one
// at the end of the model's output; a later request hits the longest unit its prompt repeats in
// full, and only a whole unit counts. Not simulated: the units DeepSeek persists when it detects
// a common prefix across several requests, and those cut at fixed (undocumented) token intervals.

export interface PrefixCacheLimits {
  /** Most buckets (distinct user_id values) kept; least recently used are dropped. */
  maxBuckets: number;
  /** Most units per bucket; least recently used are dropped. */
  maxUnitsPerBucket: number;
}

const DEFAULT_LIMITS: PrefixCacheLimits = { maxBuckets: 1024, maxUnitsPerBucket: 16384 };

export class PrefixCache {
  private readonly buckets = new Map<string, Map<number, true>>();
  private readonly limits: PrefixCacheLimits;

  constructor(limits: Partial<PrefixCacheLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The units stored for a bucket (created empty, and made most recently used). */
  bucket(bucketId: string): ReadonlyMap<number, true> {
    let bucket = this.buckets.get(bucketId);
    if (bucket) this.buckets.delete(bucketId);
    else bucket = new Map();
    this.buckets.set(bucketId, bucket);
    while (this.buckets.size > this.limits.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
    return bucket;
  }

  /** Persists the units of one request (the keys of whole token sequences). */
  store(bucketId: string, units: readonly number[]): void {
    const bucket = this.bucket(bucketId) as Map<number, true>;
    for (const unit of units) {
      bucket.delete(unit);
      bucket.set(unit, true);
    }
    while (bucket.size > this.limits.maxUnitsPerBucket) {
      const oldest = bucket.keys().next().value;
      if (oldest === undefined) break;
      bucket.delete(oldest);
    }
  }

  clear(): void {
    this.buckets.clear();
  }
}
