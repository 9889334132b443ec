/**
 * Histories and rates the panels draw: a fixed-capacity ring of numbers and
 * the network rate tracker (moved out of state.ts to keep it under 500 lines;
 * state.ts re-exports both).
 */
import type { NetworkInterface } from "@socktop/protocol";

/** Fixed-capacity history of numbers; the oldest value falls off. */
export class Ring {
  private readonly data: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.count < this.capacity) {
      this.data[(this.start + this.count) % this.capacity] = value;
      this.count++;
    } else {
      this.data[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.count;
  }

  /** Value `i` counting from the oldest. */
  at(i: number): number {
    return this.data[(this.start + i) % this.capacity]!;
  }

  last(): number | null {
    return this.count === 0 ? null : this.at(this.count - 1);
  }

  /** The newest `n` values, oldest first. */
  tail(n: number): number[] {
    const k = Math.min(n, this.count);
    const out = new Array<number>(k);
    for (let i = 0; i < k; i++) out[i] = this.at(this.count - k + i);
    return out;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}

/** Interfaces left out of the totals: loopback traffic never leaves the machine. */
export function countsTowardTraffic(name: string): boolean {
  return name !== "lo" && !name.startsWith("lo:");
}

export interface Rates {
  rx: number;
  tx: number;
}

/**
 * Download/upload rates from the agent's cumulative byte counters.
 * Deltas are taken per interface and summed, so an interface appearing or
 * disappearing between two samples does not show up as a burst, and a counter
 * that went backwards (interface reset, counter wrap) counts as zero.
 */
export class RateTracker {
  private prev = new Map<string, { rx: number; tx: number }>();
  private prevAt: number | null = null;

  update(networks: readonly NetworkInterface[], atMs: number): Rates | null {
    const next = new Map<string, { rx: number; tx: number }>();
    for (const n of networks) {
      if (countsTowardTraffic(n.name)) next.set(n.name, { rx: n.received, tx: n.transmitted });
    }
    const prevAt = this.prevAt;
    const prev = this.prev;
    this.prev = next;
    this.prevAt = atMs;
    if (prevAt === null || atMs <= prevAt) return null;
    const dt = (atMs - prevAt) / 1000;
    let rx = 0;
    let tx = 0;
    for (const [name, cur] of next) {
      const old = prev.get(name);
      if (!old) continue;
      const drx = cur.rx - old.rx;
      const dtx = cur.tx - old.tx;
      if (drx > 0) rx += drx;
      if (dtx > 0) tx += dtx;
    }
    return { rx: rx / dt, tx: tx / dt };
  }

  reset(): void {
    this.prev.clear();
    this.prevAt = null;
  }
}
