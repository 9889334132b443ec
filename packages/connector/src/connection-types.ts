/**
 * The public face of a connection: its states, its events and the
 * AgentConnection interface programs use. Types only; connection.ts has the
 * implementation.
 */
import type {
  CgroupsReply,
  DiskInfo,
  DiskIoReply,
  JournalReply,
  LoadReply,
  Metrics,
  ProcessListReply,
  ProcessMetricsReply,
  SignalName,
  SignalReply,
} from "@socktop/protocol";
import type { SocktopError } from "./errors.js";
import type { AgentInfo } from "./negotiate.js";
import type { ReconnectStatus } from "./reconnect.js";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface ProcessesOptions {
  /**
   * Only the `top` busiest processes, busiest first (higher CPU, then more memory):
   * agents that state `processes_top` send only those, and the list of any other
   * agent is cut to them here. `process_count` still counts every process.
   */
  top?: number;
}

export interface ConnectionEvents {
  /** The state changed; `error` says why when the link was lost or could not be made. */
  state: (state: ConnectionState, error?: SocktopError) => void;
  /** A reconnection attempt will start in `delayMs` (attempt counts from 1); `error` is why the last link or attempt failed. */
  "reconnect-scheduled": (delayMs: number, attempt: number, error: SocktopError) => void;
  /**
   * The attempt `reconnect-scheduled` announced starts now (its delay ran out, or `retryNow()`);
   * `reconnection.attempting` is true from here until it succeeds (state "open") or the next
   * one is scheduled. For a banner that says "reconnecting…" instead of a countdown at 0.
   */
  "reconnect-attempt": (attempt: number) => void;
  /**
   * `info` was replaced: on every new link, and when the agent identifies itself after the link
   * opened (browsers: the first frame; Node: the pipelined hello's reply).
   */
  info: (info: AgentInfo) => void;
}

export interface AgentConnection {
  /**
   * What the agent stated; refreshed on every reconnection. In browsers it is `source: "pending"`
   * until the link's first frame arrives (at the latest, when the first reply resolves).
   */
  readonly info: AgentInfo;
  readonly state: ConnectionState;
  /** The agent URL as dialled, with the token shown as `***` (and without the `socktop_hello=1` browsers add). */
  readonly url: string;
  /**
   * Where reconnection stands: attempts since a link last worked, when the next one starts,
   * whether one is under way, and the last error (with its stable `code`). A fresh snapshot
   * on every read; read it on the `state`, `reconnect-scheduled` and `reconnect-attempt` events (and on a timer
   * for a countdown).
   */
  readonly reconnection: ReconnectStatus;
  /**
   * Starts the waiting reconnection attempt now instead of at the end of its delay. Returns
   * false (and does nothing) when no attempt is waiting: open, closed, one already under way,
   * or reconnection turned off.
   */
  retryNow(): boolean;
  /** Fast metrics, always in the seed's field names plus `process_count`, whichever agent and protocol. */
  metrics(): Promise<Metrics>;
  disks(): Promise<DiskInfo[]>;
  /**
   * Every process (unsorted, threads excluded). On protocol 2 with an agent that states
   * `process_rows`, each row also has ppid, uid, user, state, threads, start_time and command
   * (each absent when the agent could not read it); from other agents only the four basic fields.
   * With `top`, only the N busiest, busiest first (see ProcessesOptions).
   */
  processes(options?: ProcessesOptions): Promise<ProcessListReply>;
  processMetrics(pid: number): Promise<ProcessMetricsReply>;
  journalEntries(pid: number): Promise<JournalReply>;
  /** Load average and uptime. Needs the agent's `load` capability (else an AgentError, UNKNOWN_REQUEST). */
  load(): Promise<LoadReply>;
  /** Disk I/O rates per block device, whole disks followed by their partitions. Capability `disk_io`. */
  diskIo(): Promise<DiskIoReply>;
  /**
   * CPU and memory per cgroup v2 group (services, sessions, containers, pods), or
   * `{available: false, reason}` on machines without cgroup v2. Capability `cgroups`.
   * `cgroupSubtree(reply.groups, path)` (from @socktop/protocol) gives a group's processes.
   */
  cgroups(): Promise<CgroupsReply>;
  /**
   * Asks the agent to send a signal (TERM, INT, HUP, KILL, STOP or CONT) to a process. Only an agent
   * started with --allow-signals states the `signal` capability; refusals are AgentErrors whose
   * agentCode is FORBIDDEN (signals off, pid 1, the agent, a kernel thread), PERMISSION_DENIED (the
   * kernel's EPERM: another user's process) or NOT_FOUND.
   */
  signal(pid: number, signal: SignalName): Promise<SignalReply>;
  /** Closes the connection for good: requests waiting fail with CONNECTION_CLOSED, no reconnection. */
  close(): Promise<void>;
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void;
}
