/**
 * The collector interface, the backend (the set of collectors a platform
 * provides) and the registry that runs collectors with failure isolation.
 *
 * A collector reads one kind of data (memory, CPU, disks, …). It may throw:
 * the registry catches the failure, records it (success 0 and its duration
 * in `socktop_collector_success` / `socktop_collector_duration_seconds`),
 * logs one line (again at most once a minute while it keeps failing), and the
 * reply carries null / empty for that collector's fields instead of failing.
 *
 * How to add a collector:
 * 1. Write a class or object with a `name` (lower_snake_case, it becomes the
 *    Prometheus `collector` label) and `collect()`, using the readers of
 *    procfs.ts: it returns the value itself when it reads it at once (a /proc
 *    file), a promise when it must wait (a sensor read with a timeout, a child
 *    process). Take the roots (procRoot, sysRoot) as options so tests can
 *    point it at a fixture tree.
 * 2. Add it to {@link Backend} and construct it in `linuxBackend()`
 *    (collectors/linux.ts); a portable backend provides the same members.
 * 3. Run it through `registry.value(backend.x)` where a reply is assembled
 *    (sources.ts), mapping null to the reply's "unavailable" value.
 * 4. Test it against a fixture tree under test/fixtures and the live machine.
 */
import type { DiskInfo, DiskIoReply, LoadReply, NetworkInterface, ProcessEntry } from "@socktop/protocol";
import type { CgroupsResult } from "./cgroups.js";
import type { Logger } from "../log.js";
import type { CpuUsage } from "./cpu.js";
import type { GpuReading } from "./gpu.js";
import type { MemoryInfo } from "./memory.js";
import { monotonicMs } from "../clock.js";
import { isPending, type Collected } from "../collected.js";

export interface Collector<T> {
  /** Unique within a backend; the `collector` label in Prometheus and the prefix of its log lines. */
  readonly name: string;
  /** Reads the data now (see {@link Collected}). Throws (or rejects) when it cannot; the registry isolates the failure. */
  collect(): Collected<T>;
}

/**
 * The collectors one platform provides, chosen once at start-up: the Linux
 * backend reads /proc and /sys; a portable backend (other systems) provides
 * the same members from another source. Everything above this interface
 * (caches, replies, Prometheus) is the same whichever backend runs.
 */
export interface Backend {
  /** "linux", … (reported in logs). */
  readonly name: string;
  readonly cpu: Collector<CpuUsage>;
  readonly memory: Collector<MemoryInfo>;
  readonly network: Collector<NetworkInterface[]>;
  readonly hostname: Collector<string>;
  /** CPU temperature in °C; null when there is no sensor (not a failure) or it is disabled. */
  readonly temperature: Collector<number | null>;
  /** null when there is no GPU or GPU collection is disabled. */
  readonly gpu: Collector<GpuReading[] | null>;
  /** null while the backend cannot know yet (the portable backend before its first process listing). */
  readonly processCount: Collector<number | null>;
  readonly processes: Collector<ProcessEntry[]>;
  readonly disks: Collector<DiskInfo[]>;
  /** Releases what the collectors keep between requests (the Linux process scan's open stat files). */
  close?(): void;
  /** Load average and uptime. Optional: a backend without it answers such requests UNAVAILABLE. */
  readonly load?: Collector<LoadReply>;
  /** Disk I/O rates since the previous call. Optional, as load. */
  readonly diskIo?: Collector<DiskIoReply>;
  /** Per-cgroup CPU and memory (or why there is none). Optional, as load. */
  readonly cgroups?: Collector<CgroupsResult>;
}

/** The last run of one collector, as `socktop_collector_*` reports it. */
export interface CollectorStatus {
  name: string;
  success: boolean;
  durationSeconds: number;
}

/** A collector's failure as the registry reports it to whoever needed the data. */
export class CollectorFailure extends Error {
  override readonly name = "CollectorFailure";
  constructor(
    readonly collector: string,
    reason: string,
  ) {
    super(`${collector} collector failed: ${reason}`);
  }
}

const SUCCEEDED = { ok: true } as const;
/** {@link CollectorRegistry.value}'s answer to a failure. */
const nothing = (): null => null;
/** {@link CollectorRegistry.require}'s answer to a failure. */
const failure = (name: string, reason: string): never => {
  throw new CollectorFailure(name, reason);
};

interface Entry {
  status: CollectorStatus;
  failing: boolean;
  lastLoggedAt: number;
}

export interface CollectorRegistryOptions {
  log: Logger;
  /** A collector that keeps failing is logged again after this long (default one minute). */
  logIntervalMs?: number;
  now?: () => number;
}

export class CollectorRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly logIntervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CollectorRegistryOptions) {
    this.logIntervalMs = options.logIntervalMs ?? 60_000;
    this.now = options.now ?? monotonicMs;
  }

  /** The collector's data, or null when it failed (recorded and logged here). Never throws or rejects. */
  value<T>(collector: Collector<T>): Collected<T | null> {
    return this.run(collector, nothing);
  }

  /** The collector's data; a failure (recorded and logged here) throws or rejects with a {@link CollectorFailure}. */
  require<T>(collector: Collector<T>): Collected<T> {
    return this.run(collector, failure);
  }

  /** The last run of every collector that has run, in the order they first ran. */
  statuses(): CollectorStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  /** Runs the collector, records how it went, and answers its data or what `onFailure` makes of its failure. */
  private run<T, F>(collector: Collector<T>, onFailure: (name: string, reason: string) => F): Collected<T | F> {
    const { name } = collector;
    const started = this.now();
    let collected: Collected<T>;
    try {
      collected = collector.collect();
    } catch (error) {
      return this.failed(name, error, started, onFailure);
    }
    if (!isPending(collected)) {
      this.record(name, SUCCEEDED, started, this.now());
      return collected;
    }
    return collected.then(
      (value) => {
        this.record(name, SUCCEEDED, started, this.now());
        return value;
      },
      (error: unknown) => this.failed(name, error, started, onFailure),
    );
  }

  private failed<F>(name: string, error: unknown, started: number, onFailure: (name: string, reason: string) => F): F {
    const reason = error instanceof Error ? error.message : String(error);
    this.record(name, { ok: false, reason }, started, this.now());
    return onFailure(name, reason);
  }

  private record(name: string, outcome: { ok: boolean; reason?: string }, started: number, finished: number): void {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      entry = { status: { name, success: true, durationSeconds: 0 }, failing: false, lastLoggedAt: -Infinity };
      this.entries.set(name, entry);
    }
    entry.status.success = outcome.ok;
    entry.status.durationSeconds = Math.max(0, finished - started) / 1000;
    if (outcome.ok) {
      if (entry.failing) this.options.log.info(`${name} collector works again`);
      entry.failing = false;
      return;
    }
    // Rate-limited by timestamps (no timer): once when it starts failing, then once per interval.
    if (!entry.failing || finished - entry.lastLoggedAt >= this.logIntervalMs) {
      this.options.log.warn(`${name} collector failed: ${outcome.reason} (its fields are left empty)`);
      entry.lastLoggedAt = finished;
    }
    entry.failing = true;
  }
}
