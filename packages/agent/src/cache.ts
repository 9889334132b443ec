import { monotonicMs } from "./clock.js";

/**
 * A value computed on demand and reused for `ttlMs`, shared by every caller.
 *
 * Freshness is judged from timestamps when a caller asks: no timer ever runs,
 * so an agent nobody talks to does no work. Concurrent callers that miss the
 * cache share one in-flight load instead of each collecting.
 */
export class TtlCache<T> {
  private value: T | undefined;
  private loadedAt = -Infinity;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<T>,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** The cached value when fresh, else the result of a (shared) load. A failed load is not cached. */
  get(): Promise<T> {
    if (this.value !== undefined && this.now() - this.loadedAt < this.ttlMs) {
      return Promise.resolve(this.value);
    }
    if (this.inflight !== undefined) return this.inflight;
    const pending = this.load().then(
      (value) => {
        this.value = value;
        this.loadedAt = this.now();
        this.inflight = undefined;
        return value;
      },
      (error: unknown) => {
        this.inflight = undefined;
        throw error;
      },
    );
    this.inflight = pending;
    return pending;
  }
}

/** A small per-key TTL cache (process details, journal entries), bounded in size. */
export class KeyedTtlCache<K, T> {
  private readonly entries = new Map<K, TtlCache<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<T>,
    private readonly maxEntries = 256,
    private readonly now: () => number = monotonicMs,
  ) {}

  get(key: K): Promise<T> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxEntries) {
        // Map iteration order is insertion order: drop the oldest key.
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      entry = new TtlCache(this.ttlMs, () => this.load(key), this.now);
      this.entries.set(key, entry);
    }
    return entry.get();
  }
}
