import { monotonicMs } from "./clock.js";
import { isPending, type Collected } from "./collected.js";

/**
 * A value computed on demand and reused for `ttlMs`, shared by every caller.
 *
 * Freshness is judged from timestamps when a caller asks: no timer ever runs,
 * so an agent nobody talks to does no work. Concurrent callers that miss the
 * cache share one in-flight load instead of each collecting. A load that has
 * its value at once (see {@link Collected}) is answered at once.
 */
export class TtlCache<T> {
  private value: T | undefined;
  private loadedAt = -Infinity;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Collected<T>,
    private readonly now: () => number = monotonicMs,
  ) {}

  /**
   * The cached value when fresh, else the result of a (shared) load. A failed
   * load is not cached, and its failure always comes as a rejection, never
   * thrown: callers gather several caches with Promise.allSettled.
   */
  get(): Collected<T> {
    if (this.value !== undefined && this.now() - this.loadedAt < this.ttlMs) return this.value;
    if (this.inflight !== undefined) return this.inflight;
    let loaded: Collected<T>;
    try {
      loaded = this.load();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isPending(loaded)) {
      this.value = loaded;
      this.loadedAt = this.now();
      return loaded;
    }
    const pending = loaded.then(
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
    private readonly load: (key: K) => Collected<T>,
    private readonly maxEntries = 256,
    private readonly now: () => number = monotonicMs,
  ) {}

  get(key: K): Collected<T> {
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
