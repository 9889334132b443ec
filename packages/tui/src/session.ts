/**
 * The data side of the TUI (and of the web dashboard, which imports it): one
 * connection to the agent, kept up by the connector's own reconnection, and
 * three polling loops (metrics, processes, disks) while its link is open.
 *
 * There is one retry policy, the connector's: the connection is opened with
 * `retryInitialConnect`, so that a first connection that fails (wrong token,
 * refused, bad pin) and a link that drops later go through the same path.
 * This only maps the connector's state and reconnection status to what the
 * screen says (phase, cause, countdown, attempt) and starts or stops the
 * polls. The connector is reached only through `AgentClient`, so the whole
 * lifecycle is testable with a fake and a hand-driven clock.
 */
import type { AgentConnection, ConnectionEvents, ConnectionState, ReconnectStatus } from "@socktop/connector";
import type { DiskInfo, DiskIoEntry, LoadReply, Metrics, ProcessListReply } from "@socktop/protocol";

export interface AgentInfoLike {
  agentVersion: string | null;
  protocolVersion: number;
  capabilities: readonly string[];
  legacy: boolean;
}

/** The connector's connection states. */
export type LinkState = ConnectionState;

/** The connector's reconnection status (its ReconnectStatus, with any Error as the cause so that tests can fake it). */
export type ReconnectionLike = Omit<ReconnectStatus, "lastError"> & { readonly lastError: Error | null };

/** The connector's connection events the TUI listens to (its ConnectionEvents, with any Error as the cause). */
export interface ClientEvents {
  state: (state: LinkState, error?: Error) => void;
  "reconnect-scheduled": (delayMs: number, attempt: number, error: Error) => void;
  "reconnect-attempt": ConnectionEvents["reconnect-attempt"];
  info: (info: AgentInfoLike) => void;
}

/**
 * The part of the connector's AgentConnection the TUI uses: its requests as
 * they are (load, diskIo, cgroups and signal optional, for test
 * doubles of older agents), its state and events seen a little more loosely. An
 * AgentConnection is one (connector-source.ts has the compiler check it).
 */
export interface AgentClient
  extends Pick<AgentConnection, "metrics" | "disks" | "processes" | "processMetrics" | "journalEntries" | "retryNow" | "close">,
    Partial<Pick<AgentConnection, "load" | "diskIo" | "cgroups" | "signal">> {
  readonly info: AgentInfoLike;
  readonly state: LinkState;
  readonly reconnection: ReconnectionLike;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void;
}

/**
 * Opens the one connection, retrying by itself (the connector's
 * `retryInitialConnect`). Rejects only when retrying cannot help (options the
 * connector refuses, an unreadable CA file).
 */
export type DataSource = () => Promise<AgentClient>;

export interface Intervals {
  metricsMs: number;
  processesMs: number;
  disksMs: number;
  /**
   * Load average and disk I/O rates (agents that state them); with the disks
   * when absent. The fleet's overview shows neither and turns them off
   * (Infinity) for every host but the one drilled into.
   */
  loadMs?: number;
  /**
   * Ask only for the N busiest processes (the fleet's overview shows each
   * host's busiest one: decoding whole lists to find it was ~10 % of the
   * fleet's CPU); absent, every process.
   */
  processesTop?: number;
}

/** How often load and disk I/O are asked: their own interval, else with the disks. */
export function loadIntervalOf(intervals: Intervals): number {
  return intervals.loadMs ?? intervals.disksMs;
}

export const DEFAULT_INTERVALS: Readonly<Intervals> = Object.freeze({ metricsMs: 500, processesMs: 2000, disksMs: 5000 });
export const MIN_METRICS_MS = 100;
export const MIN_PROCESSES_MS = 200;

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
  /** "stopped": not retrying (the connector gave up, or the connection could not be set up at all). */
  phase: "connecting" | "open" | "retrying" | "stopped";
  /** The last failure; kept while reconnecting so the banner does not flicker away. */
  error: unknown;
  /** When the next attempt starts (the connector's `reconnection.nextAttemptAt`). */
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
  /** The last request in flight on the link was answered (or failed): see Session.pending. */
  settled?(): void;
}

export interface SessionOptions {
  source: DataSource;
  listener: SessionListener;
  intervals?: Intervals;
  clock?: Clock;
  /**
   * Polls fall due at this time plus a multiple of their interval (default:
   * when the link opened). Sessions given the same origin poll at the same
   * moments: the fleet view's hosts are asked in one burst, answered in one,
   * not each at a moment of its own.
   */
  gridOrigin?: number;
}

function errorCode(error: unknown): string | null {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : null;
}

export class Session {
  private readonly source: DataSource;
  private readonly listener: SessionListener;
  private intervals: Intervals;
  private readonly clock: Clock;
  /** Bumped for every link that opens or goes down; polls of an older link stop. */
  private generation = 0;
  private stopped = false;
  /** Waiting poll timers, each with the loop it restarts (see setIntervals). */
  private readonly pollTimers = new Map<unknown, () => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private gotData = false;
  private current: AgentClient | null = null;
  private rttSamples: number[] = [];
  /** Requests of the open link still waiting for their reply (the polls share it). */
  private openLink: { gen: number; inFlight: number; metricsInFlight: number; origin: number } | null = null;
  private readonly gridOrigin: number | null;
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
    this.clock = options.clock ?? realClock;
    this.gridOrigin = options.gridOrigin ?? null;
  }

  /** The open connection, for views that make their own requests (process details). */
  get client(): AgentClient | null {
    return this.status.phase === "open" ? this.current : null;
  }

  start(): void {
    void this.open();
  }

  /** Skip the rest of the countdown (the connector's retryNow); false when no attempt waits. */
  retryNow(): boolean {
    if (this.stopped || this.current === null) return false;
    return this.current.retryNow();
  }

  /**
   * Poll at other intervals from now on (the fleet view slows down hosts
   * that are not on screen). A loop waiting longer than its new interval
   * asks at once instead of finishing the old, longer wait.
   */
  setIntervals(intervals: Intervals): void {
    const old = this.intervals;
    this.intervals = { ...intervals };
    const faster =
      intervals.metricsMs < old.metricsMs ||
      intervals.processesMs < old.processesMs ||
      intervals.disksMs < old.disksMs ||
      loadIntervalOf(intervals) < loadIntervalOf(old) ||
      // A longer list is wanted now (a host drilled into): not after the old, longer wait.
      (old.processesTop !== undefined && (intervals.processesTop === undefined || intervals.processesTop > old.processesTop));
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

  /** Closes the connection for good: no polls, no reconnection attempts, no more status. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.clearPolls();
    for (const off of this.unsubscribe.splice(0)) off();
    const client = this.current;
    this.current = null;
    if (client) await client.close().catch(() => undefined);
  }

  private emit(): void {
    this.listener.status({ ...this.status });
  }

  private clearPolls(): void {
    for (const t of this.pollTimers.keys()) this.clock.clearTimeout(t);
    this.pollTimers.clear();
  }

  private async open(): Promise<void> {
    let client: AgentClient;
    try {
      client = await this.source();
    } catch (error) {
      // Not a failed attempt (those are the connector's to retry): the connection
      // could not even be set up, and nothing changes by trying again.
      if (!this.stopped) this.giveUp(error);
      return;
    }
    if (this.stopped) {
      await client.close().catch(() => undefined);
      return;
    }
    this.current = client;
    this.unsubscribe.push(
      client.on("state", (state, error) => this.onState(client, state, error)),
      client.on("reconnect-scheduled", () => this.showReconnection(client)),
      client.on("reconnect-attempt", () => this.showReconnection(client)),
      client.on("info", (info) => {
        if (this.status.phase !== "open") return;
        this.status.info = info;
        this.emit();
      }),
    );
    // The connection may have moved on while the listeners were not there yet.
    this.onState(client, client.state, client.reconnection.lastError ?? undefined);
  }

  private onState(client: AgentClient, state: LinkState, error?: Error): void {
    if (this.stopped) return;
    switch (state) {
      case "open":
        this.linkOpened(client);
        return;
      case "connecting":
      case "reconnecting":
        this.linkDown(client, error);
        return;
      case "closed":
        // The connector stopped retrying (a protocol version neither side can speak).
        this.giveUp(error ?? client.reconnection.lastError ?? this.status.error);
        return;
    }
  }

  private giveUp(error: unknown): void {
    this.generation++;
    this.clearPolls();
    this.status.phase = "stopped";
    this.status.error = error;
    this.status.retryAt = null;
    this.status.rttMs = null;
    this.emit();
  }

  private linkDown(client: AgentClient, error?: Error): void {
    this.generation++;
    this.clearPolls();
    this.status.rttMs = null;
    if (error !== undefined) this.status.error = error;
    this.showReconnection(client);
  }

  /** The connector's reconnection status as the banner shows it: the cause, the countdown, the attempt. */
  private showReconnection(client: AgentClient): void {
    if (this.stopped || client.state === "open" || client.state === "closed") return;
    const r = client.reconnection;
    this.status.phase = r.nextAttemptAt !== null ? "retrying" : "connecting";
    this.status.retryAt = r.nextAttemptAt;
    // The attempt under way or waiting, counting the first connection as 1.
    this.status.attempt = r.attempt + 1;
    if (r.lastError !== null) this.status.error = r.lastError;
    this.emit();
  }

  private linkOpened(client: AgentClient): void {
    const gen = ++this.generation;
    this.clearPolls();
    this.gotData = false;
    this.status.phase = "open";
    this.status.retryAt = null;
    this.status.info = client.info;
    this.status.connectedAt = this.clock.now();
    this.status.rttMs = null;
    this.rttSamples = [];
    this.emit();
    // Requests of this link still waiting for their reply; the polls' common origin.
    const link = { gen, inFlight: 0, metricsInFlight: 0, origin: this.gridOrigin ?? this.clock.now() };
    this.openLink = link;
    this.poll(gen, client, link, () => this.intervals.metricsMs, async (c, others) => {
      const t0 = this.clock.now();
      // Replies come back in request order, so a metrics request queued
      // behind a process scan would report the scan's time, not the link's.
      const alone = others === 0;
      link.metricsInFlight++;
      let m: Metrics;
      try {
        m = await c.metrics();
      } finally {
        link.metricsInFlight--;
      }
      return () => {
        const at = this.clock.now();
        if (alone) this.recordRtt(at - t0);
        this.dataArrived();
        this.listener.metrics(m, at);
      };
    });
    this.poll(gen, client, link, () => this.intervals.processesMs, async (c) => {
      const top = this.intervals.processesTop;
      const p = await (top === undefined ? c.processes() : c.processes({ top }));
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
      this.poll(gen, client, link, () => loadIntervalOf(this.intervals), async (c) => {
        const l = await c.load!();
        return () => this.listener.load?.(l, this.clock.now());
      });
    }
    if (client.diskIo && caps.includes("disk_io")) {
      this.poll(gen, client, link, () => loadIntervalOf(this.intervals), async (c) => {
        const io = await c.diskIo!();
        return () => this.listener.diskIo?.(io, this.clock.now());
      });
    }
  }

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

  /**
   * Requests sent and not yet answered on the open link. Polls that fall due
   * together (metrics with the process list every 2 s, with the disks every
   * 5 s) are answered one after another within milliseconds: a view that
   * waits for this to reach 0 (the listener's `settled`) draws one frame
   * for all of them instead of one per reply.
   */
  get pending(): number {
    return this.liveLink()?.inFlight ?? 0;
  }

  /** Whether a metrics request of the open link waits for its reply (replies come in request order: it is answered after every reply before it). */
  get metricsInFlight(): boolean {
    return (this.liveLink()?.metricsInFlight ?? 0) > 0;
  }

  /** The open link's counters while its polls still run; null once it went down or the session stopped. */
  private liveLink(): { inFlight: number; metricsInFlight: number } | null {
    const link = this.openLink;
    return link !== null && link.gen === this.generation && !this.stopped ? link : null;
  }

  private dataArrived(): void {
    if (this.gotData) return;
    // Only data proves the link works (the connector's backoff starts over then too).
    this.gotData = true;
    this.status.attempt = 1;
    this.status.error = null;
    this.emit();
  }

  /**
   * A request failed while its link is still up. The link itself is the
   * connector's to judge (it drops a stuck or out-of-step link and says so
   * with a state event, which stops these polls first). What is left concerns
   * one reply: an agent error, or a reply the connector could not read. The
   * poll goes on; an unreadable reply is kept as the error, so that a screen
   * still waiting for its first data says why.
   */
  private replyFailed(error: unknown): void {
    if (errorCode(error) === "AGENT_ERROR" || errorCode(error) === "NOT_CONNECTED" || this.gotData) return;
    this.status.error = error;
    this.emit();
  }

  private poll(
    gen: number,
    client: AgentClient,
    link: { inFlight: number; origin: number },
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
        this.replyFailed(error);
      }
      if (link.inFlight === 0) this.listener.settled?.();
      // Next request at the next multiple of the interval since the link
      // opened: one interval after this one started (not after it finished)
      // when the reply was quick, never queued behind a slow one. On a grid
      // rather than one interval after the last start, which drifts by a
      // timer's lateness every time: the polls that fall due together (metrics
      // with the process list every 2 s, with the disks every 5 s) stay
      // together, as one burst of requests and one frame, not drifting apart
      // into a frame each (2.6 frames a second instead of 2 at the defaults).
      const interval = intervalMs();
      if (interval === Number.POSITIVE_INFINITY) return park();
      const now = this.clock.now();
      let wait = interval - ((((now - link.origin) % interval) + interval) % interval);
      // Started off the grid (setIntervals asked at once): not again within half an interval.
      if (now - started + wait < interval / 2) wait += interval;
      const timer = this.clock.setTimeout(() => {
        this.pollTimers.delete(timer);
        void run();
      }, wait);
      this.pollTimers.set(timer, () => void run());
    };
    void run();
  }
}
