/** Deterministic replies and fakes for the TUI's unit and rendering tests. */
import type { DiskInfo, JournalReply, Metrics, ProcessEntry, ProcessListReply, ProcessMetricsReply } from "@socktop/protocol";
import type { AgentClient, AgentInfoLike, ClientEvents, Clock, LinkState, ReconnectionLike } from "../../src/session.js";
import type { MouseInput, TerminalIO } from "../../src/terminal.js";

export function metrics(overrides: Partial<Metrics> = {}): Metrics {
  return {
    cpu_total: 42.5,
    cpu_per_core: [10, 20, 30, 40, 50, 60, 70, 80],
    mem_total: 16 * 1024 ** 3,
    mem_used: 6 * 1024 ** 3,
    swap_total: 2 * 1024 ** 3,
    swap_used: 256 * 1024 ** 2,
    hostname: "testhost",
    cpu_temp_c: 54.4,
    networks: [
      { name: "lo", received: 1000, transmitted: 1000 },
      { name: "eth0", received: 1_000_000, transmitted: 200_000 },
    ],
    gpus: null,
    process_count: 5,
    ...overrides,
  };
}

export function proc(pid: number, name: string, cpu: number, memMiB: number): ProcessEntry {
  return { pid, name, cpu_usage: cpu, mem_bytes: memMiB * 1024 * 1024 };
}

export function processes(list?: ProcessEntry[]): ProcessListReply {
  const rows = list ?? [
    proc(1, "systemd", 0.1, 12),
    proc(42, "postgres", 12.5, 512),
    proc(314, "node", 33.3, 256),
    proc(2718, "bash", 0, 4),
    proc(9000, "nginx", 1.2, 64),
  ];
  return { process_count: rows.length, processes: rows };
}

/** Many processes, for scrolling and the 1000-process budget. */
export function manyProcesses(n: number): ProcessListReply {
  const names = ["systemd", "node", "bash", "postgres", "nginx", "chrome", "kworker/0:1", "sshd"];
  const rows: ProcessEntry[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({ pid: 100 + i, name: `${names[i % names.length]}-${i}`, cpu_usage: (i * 37) % 100 / 10, mem_bytes: ((i * 7919) % 500) * 1024 * 1024 });
  }
  return { process_count: n, processes: rows };
}

export function disks(): DiskInfo[] {
  return [
    { name: "nvme0n1", total: 500e9, available: 200e9, temperature: 41, is_partition: false },
    { name: "nvme0n1p1", total: 512e6, available: 400e6, temperature: null, is_partition: true },
    { name: "nvme0n1p2", total: 499e9, available: 199e9, temperature: null, is_partition: true },
    { name: "sda", total: 2e12, available: 1.5e12, temperature: null, is_partition: false },
  ];
}

/** Timers that only fire when the test says so. */
export class ManualClock implements Clock {
  t: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  /** Timers that have fired, and the delay of every timer set (tests of wake-ups). */
  fired = 0;
  readonly delays: number[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.delays.push(ms);
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Move time forward, firing due timers in order and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      this.fired++;
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

/** Let pending promise callbacks and immediates run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/**
 * An AgentClient whose replies and link the test controls. Its link events
 * come in the connector's order (state, then the schedule; an attempt starts,
 * then opens or is scheduled again); when they happen is the test's to say,
 * since the retry policy is the connector's and tested there.
 */
export class FakeClient implements AgentClient {
  info: AgentInfoLike = { agentVersion: "9.9.9", protocolVersion: 2, capabilities: ["metrics", "processes"], legacy: false };
  state: LinkState;
  reconnection: ReconnectionLike = { attempt: 0, nextAttemptAt: null, attempting: false, lastError: null };
  calls: string[] = [];
  /** The `top` of each processes() call (undefined: the whole list). */
  processTops: (number | undefined)[] = [];
  closed = false;
  /** retryNow() calls that started an attempt. */
  retries = 0;
  /** What an attempt started by retryNow() leads to (the test's choice); by default it stays under way. */
  onRetryNow: (() => void) | null = null;
  metricsReply: () => Promise<ReturnType<typeof metrics>> = async () => metrics();
  processesReply: () => Promise<ProcessListReply> = async () => processes();
  disksReply: () => Promise<DiskInfo[]> = async () => disks();
  processMetricsReply: (pid: number) => Promise<ProcessMetricsReply> = () => Promise.reject(new Error("not in this test"));
  journalReply: (pid: number) => Promise<JournalReply> = () => Promise.reject(new Error("not in this test"));
  private readonly listeners = new Map<keyof ClientEvents, Set<(...args: never[]) => void>>();

  /** "open" (a connection that worked at once) or "connecting" (the first attempt still under way). */
  constructor(state: "open" | "connecting" = "open") {
    this.state = state;
  }

  metrics() {
    this.calls.push("metrics");
    return this.metricsReply();
  }
  processes(options?: { top?: number }) {
    this.calls.push("processes");
    this.processTops.push(options?.top);
    return this.processesReply();
  }
  disks() {
    this.calls.push("disks");
    return this.disksReply();
  }
  processMetrics(pid: number): Promise<ProcessMetricsReply> {
    this.calls.push(`processMetrics:${pid}`);
    return this.processMetricsReply(pid);
  }
  journalEntries(pid: number): Promise<JournalReply> {
    this.calls.push(`journalEntries:${pid}`);
    return this.journalReply(pid);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.setState("closed");
  }
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }
  private emit<E extends keyof ClientEvents>(event: E, ...args: Parameters<ClientEvents[E]>): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) (l as unknown as (...a: Parameters<ClientEvents[E]>) => void)(...args);
  }
  private setState(state: LinkState, error?: Error): void {
    this.state = state;
    this.emit("state", state, error);
  }
  retryNow(): boolean {
    if (this.state !== "reconnecting" || this.reconnection.nextAttemptAt === null) return false;
    this.retries++;
    this.attempt();
    this.onRetryNow?.();
    return true;
  }

  /** The link drops (or the first attempt fails): "reconnecting" with the error, then the next attempt scheduled at `nextAttemptAt`. */
  drop(error: Error, nextAttemptAt: number): void {
    this.reconnection = { ...this.reconnection, lastError: error };
    this.setState("reconnecting", error);
    this.schedule(error, nextAttemptAt);
  }
  /** The waiting attempt starts (its delay ran out, or retryNow()). */
  attempt(): void {
    this.reconnection = { ...this.reconnection, nextAttemptAt: null, attempting: true };
    this.emit("reconnect-attempt", this.reconnection.attempt);
  }
  /** The attempt under way failed: the next one is scheduled. */
  schedule(error: Error, nextAttemptAt: number): void {
    const attempt = this.reconnection.attempt + 1;
    this.reconnection = { attempt, nextAttemptAt, attempting: false, lastError: error };
    // The delay is not read: the countdown comes from nextAttemptAt.
    this.emit("reconnect-scheduled", 0, attempt, error);
  }
  /** The connector stops retrying (state "closed" with the cause, as on UNSUPPORTED_PROTOCOL). */
  giveUp(error: Error): void {
    this.reconnection = { attempt: this.reconnection.attempt, nextAttemptAt: null, attempting: false, lastError: error };
    this.setState("closed", error);
  }
  /** The agent identifies itself after the link opened (browsers: its first frame). */
  identify(info: AgentInfoLike): void {
    this.info = info;
    this.emit("info", info);
  }
  /** An attempt worked: the link is open again. */
  reopen(): void {
    this.reconnection = { attempt: 0, nextAttemptAt: null, attempting: false, lastError: null };
    this.setState("open");
  }
}

export function socktopError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

/** A terminal that records what was written and lets tests type and click. */
export class FakeTerminal implements TerminalIO {
  written = "";
  private keyListeners: ((name: string, isChar: boolean) => void)[] = [];
  private mouseListeners: ((e: MouseInput) => void)[] = [];
  private resizeListeners: ((w: number, h: number) => void)[] = [];
  entered = false;
  restored = false;

  constructor(
    public width = 80,
    public height = 24,
  ) {}

  write(data: string): void {
    this.written += data;
  }
  onKey(l: (name: string, isChar: boolean) => void): void {
    this.keyListeners.push(l);
  }
  onMouse(l: (e: MouseInput) => void): void {
    this.mouseListeners.push(l);
  }
  onResize(l: (w: number, h: number) => void): void {
    this.resizeListeners.push(l);
  }
  enter(): void {
    this.entered = true;
  }
  restore(): void {
    this.restored = true;
  }
  key(name: string): void {
    const isChar = [...name].length === 1;
    for (const l of this.keyListeners) l(name, isChar);
  }
  type(text: string): void {
    for (const ch of text) this.key(ch);
  }
  click(x: number, y: number): void {
    for (const l of this.mouseListeners) l({ kind: "press", button: "left", x, y });
    for (const l of this.mouseListeners) l({ kind: "release", button: null, x, y });
  }
  mouse(e: MouseInput): void {
    for (const l of this.mouseListeners) l(e);
  }
  resize(w: number, h: number): void {
    this.width = w;
    this.height = h;
    for (const l of this.resizeListeners) l(w, h);
  }
}
