/**
 * The data side of the TUI: one connection at a time to the agent, three
 * polling loops (metrics, processes, disks), and its own retry loop.
 *
 * The TUI retries by itself instead of using the connector's `reconnect`, so
 * that a first connection that fails (wrong token, refused, bad pin) and a
 * link that drops later go through the same path: error banner, countdown,
 * new attempt. The connector is reached only through `AgentClient`, so the
 * whole lifecycle is testable with a fake and fake timers.
 */
import type { CgroupsReply, DiskInfo, DiskIoEntry, JournalReply, LoadReply, Metrics, ProcessListReply, ProcessMetricsReply, SignalName, SignalReply } from "@socktop/protocol";

export interface AgentInfoLike {
  agentVersion: string | null;
  protocolVersion: number;
  capabilities: string[];
  legacy: boolean;
}

/** The part of the connector's AgentConnection the TUI uses. */
export interface AgentClient {
  readonly info: AgentInfoLike;
  metrics(): Promise<Metrics>;
  disks(): Promise<DiskInfo[]>;
  processes(): Promise<ProcessListReply>;
  processMetrics(pid: number): Promise<ProcessMetricsReply>;
  journalEntries(pid: number): Promise<JournalReply>;
  /** Protocol 2 (capabilities `load`, `disk_io`): absent in test doubles of older agents. */
  load?(): Promise<LoadReply>;
  diskIo?(): Promise<DiskIoEntry[]>;
  /** Capability `cgroups`: asked by the cgroups view while it is open. */
  cgroups?(): Promise<CgroupsReply>;
  /** Capability `signal` (an agent started with --allow-signals). */
  signal?(pid: number, signal: SignalName): Promise<SignalReply>;
  close(): Promise<void>;
  on(event: "state", listener: (state: string, error?: Error) => void): () => void;
}

/** Opens one connection; rejects with the connector's typed error. */
export type DataSource = () => Promise<AgentClient>;

export interface Intervals {
  metricsMs: number;
  processesMs: number;
  disksMs: number;
}

export const DEFAULT_INTERVALS: Readonly<Intervals> = Object.freeze({ metricsMs: 500, processesMs: 2000, disksMs: 5000 });
export const MIN_METRICS_MS = 100;
export const MIN_PROCESSES_MS = 200;

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ initialMs: 1000, maxMs: 10_000, factor: 2 });

/** Timers behind an interface so tests can drive time by hand. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SessionStatus {
  phase: "connecting" | "open" | "retrying";
  /** The last failure; kept while reconnecting so the banner does not flicker away. */
  error: unknown;
  retryAt: number | null;
  /** Attempts since data last flowed (1 for the first). */
  attempt: number;
  rttMs: number | null;
  info: AgentInfoLike | null;
  connectedAt: number | null;
}

export interface SessionListener {
  status(status: SessionStatus): void;
  metrics(m: Metrics, atMs: number): void;
  processes(p: ProcessListReply, atMs: number): void;
  disks(d: DiskInfo[], atMs: number): void;
  /** Load average and uptime, asked with the disks when the agent states `load`. */
  load?(l: LoadReply, atMs: number): void;
  /** Disk I/O rates, asked with the disks when the agent states `disk_io`. */
  diskIo?(io: DiskIoEntry[], atMs: number): void;
}

export interface SessionOptions {
  source: DataSource;
  listener: SessionListener;
  intervals?: Intervals;
  retry?: RetryPolicy;
  clock?: Clock;
}

function errorCode(error: unknown): string | null {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : null;
}

/**
 * Errors that concern one reply, not the link: the agent answered with an
 * error object. Everything else means the connection is not usable and a
 * fresh one is the cure.
 */
function isReplyError(error: unknown): boolean {
  return errorCode(error) === "AGENT_ERROR";
}

export class Session {
  private readonly source: DataSource;
  private readonly listener: SessionListener;
  private intervals: Intervals;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  /** Bumped for every connection; work from an older one is dropped. */
  private generation = 0;
  private stopped = false;
  private retryTimer: unknown = null;
  /** Waiting poll timers, each with the loop it restarts (see setIntervals). */
  private readonly pollTimers = new Map<unknown, () => void>();
  private unsubscribe: (() => void) | null = null;
  private failures = 0;
  private gotData = false;
  private current: AgentClient | null = null;
  readonly status: SessionStatus = {
    phase: "connecting",
    error: null,
    retryAt: null,
    attempt: 1,
    rttMs: null,
    info: null,
    connectedAt: null,
  };

  constructor(options: SessionOptions) {
    this.source = options.source;
    this.listener = options.listener;
    this.intervals = { ...(options.intervals ?? DEFAULT_INTERVALS) };
    this.retry = options.retry ?? { ...DEFAULT_RETRY };
    this.clock = options.clock ?? realClock;
  }

  /** The open connection, for views that make their own requests (process details). */
  get client(): AgentClient | null {
    return this.status.phase === "open" ? this.current : null;
  }

  start(): void {
    void this.attempt();
  }

  /** Skip the rest of the countdown. */
  retryNow(): void {
    if (this.stopped || this.status.phase !== "retrying") return;
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    void this.attempt();
  }

  /**
   * Poll at other intervals from now on (the fleet view slows down hosts
   * that are not on screen). A loop waiting longer than its new interval
   * asks at once instead of finishing the old, longer wait.
   */
  setIntervals(intervals: Intervals): void {
    const old = this.intervals;
    this.intervals = { ...intervals };
    const faster = intervals.metricsMs < old.metricsMs || intervals.processesMs < old.processesMs || intervals.disksMs < old.disksMs;
    if (!faster || this.stopped) return;
    const waiting = [...this.pollTimers];
    this.pollTimers.clear();
    for (const [timer, restart] of waiting) {
      this.clock.clearTimeout(timer);
      restart();
    }
  }

  get currentIntervals(): Readonly<Intervals> {
    return this.intervals;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearPolls();
    const client = this.detach();
    if (client) await client.close().catch(() => undefined);
  }

  /** Delay before the next attempt after `failures` consecutive failures. */
  static backoff(policy: RetryPolicy, failures: number): number {
    return Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failures - 1));
  }

  private emit(): void {
    this.listener.status({ ...this.status });
  }

  private detach(): AgentClient | null {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const client = this.current;
    this.current = null;
    return client;
  }

  private clearPolls(): void {
    for (const t of this.pollTimers.keys()) this.clock.clearTimeout(t);
    this.pollTimers.clear();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.status.phase = "connecting";
    this.status.retryAt = null;
    this.emit();
    let client: AgentClient;
    try {
      client = await this.source();
    } catch (error) {
      if (gen === this.generation && !this.stopped) this.fail(error);
      return;
    }
    if (gen !== this.generation || this.stopped) {
      await client.close().catch(() => undefined);
      return;
    }
    this.current = client;
    this.gotData = false;
    this.unsubscribe = client.on("state", (state, error) => {
      if (gen !== this.generation) return;
      if (state === "closed" || state === "reconnecting") {
        this.fail(error ?? Object.assign(new Error("the agent closed the connection"), { code: "CONNECTION_CLOSED" }));
      }
    });
    this.status.phase = "open";
    this.status.info = client.info;
    this.status.connectedAt = this.clock.now();
    this.status.rttMs = null;
    this.rttSamples = [];
    this.emit();
    // Requests of this connection still waiting for their reply.
    const link = { inFlight: 0 };
    this.poll(gen, client, link, () => this.intervals.metricsMs, async (c, others) => {
      const t0 = this.clock.now();
      // Replies come back in request order, so a metrics request queued
      // behind a process scan would report the scan's time, not the link's.
      const alone = others === 0;
      const m = await c.metrics();
      return () => {
        const at = this.clock.now();
        if (alone) this.recordRtt(at - t0);
        this.dataArrived();
        this.listener.metrics(m, at);
      };
    });
    this.poll(gen, client, link, () => this.intervals.processesMs, async (c) => {
      const p = await c.processes();
      return () => {
        this.dataArrived();
        this.listener.processes(p, this.clock.now());
      };
    });
    this.poll(gen, client, link, () => this.intervals.disksMs, async (c) => {
      const d = await c.disks();
      return () => {
        this.dataArrived();
        this.listener.disks(d, this.clock.now());
      };
    });
    // Only for an agent that states the capability: the original would answer an unknown request with an error.
    const caps = client.info.capabilities;
    if (client.load && caps.includes("load")) {
      this.poll(gen, client, link, () => this.intervals.disksMs, async (c) => {
        const l = await c.load!();
        return () => this.listener.load?.(l, this.clock.now());
      });
    }
    if (client.diskIo && caps.includes("disk_io")) {
      this.poll(gen, client, link, () => this.intervals.disksMs, async (c) => {
        const io = await c.diskIo!();
        return () => this.listener.diskIo?.(io, this.clock.now());
      });
    }
  }

  private rttSamples: number[] = [];

  /**
   * The median of the last few samples: one reply delayed by the agent's
   * process scan (or by our own frame) would otherwise make the header jump.
   */
  private recordRtt(ms: number): void {
    this.rttSamples.push(ms);
    if (this.rttSamples.length > 5) this.rttSamples.shift();
    const sorted = [...this.rttSamples].sort((a, b) => a - b);
    const rtt = sorted[Math.floor(sorted.length / 2)]!;
    if (rtt === this.status.rttMs) return;
    this.status.rttMs = rtt;
    this.emit();
  }

  private dataArrived(): void {
    if (this.gotData) return;
    // Only data proves the link works: an agent that accepts and then drops
    // every connection must not reset the backoff.
    this.gotData = true;
    this.failures = 0;
    this.status.attempt = 1;
    this.status.error = null;
    this.emit();
  }

  private poll(
    gen: number,
    client: AgentClient,
    link: { inFlight: number },
    intervalMs: () => number,
    request: (c: AgentClient, othersInFlight: number) => Promise<() => void>,
  ): void {
    // An interval of Infinity turns a kind off (the fleet view asks no process
    // list of a host that is not on screen): the loop waits, without a timer,
    // for setIntervals to turn it on again.
    const park = (): void => {
      const token = {};
      this.pollTimers.set(token, () => void run());
    };
    const run = async (): Promise<void> => {
      if (gen !== this.generation || this.stopped) return;
      if (intervalMs() === Number.POSITIVE_INFINITY) return park();
      const started = this.clock.now();
      try {
        let deliver: () => void;
        const others = link.inFlight++;
        try {
          deliver = await request(client, others);
        } finally {
          link.inFlight--;
        }
        if (gen !== this.generation || this.stopped) return;
        deliver();
      } catch (error) {
        if (gen !== this.generation || this.stopped) return;
        if (!isReplyError(error)) {
          this.fail(error);
          return;
        }
      }
      // Next request one interval after this one started (not after it
      // finished), without ever queueing requests behind a slow reply.
      const interval = intervalMs();
      if (interval === Number.POSITIVE_INFINITY) return park();
      const wait = Math.max(0, interval - (this.clock.now() - started));
      const timer = this.clock.setTimeout(() => {
        this.pollTimers.delete(timer);
        void run();
      }, wait);
      this.pollTimers.set(timer, () => void run());
    };
    void run();
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.generation++;
    this.clearPolls();
    const client = this.detach();
    if (client) void client.close().catch(() => undefined);
    this.failures++;
    const delay = Session.backoff(this.retry, this.failures);
    this.status.phase = "retrying";
    this.status.error = error;
    this.status.attempt = this.failures + 1;
    this.status.retryAt = this.clock.now() + delay;
    this.status.rttMs = null;
    this.emit();
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delay);
  }
}
