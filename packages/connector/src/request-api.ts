/**
 * The typed requests of a connection (metrics(), processes(), signal() …):
 * argument checks, the capability a request needs, and how each reply is
 * read. Sending, matching replies and the link itself are the connection's
 * (connection.ts), reached through `request()`.
 */
import {
  MAX_TOP_PROCESSES,
  parseSignalName,
  topProcesses,
  type CgroupsReply,
  type DiskInfo,
  type DiskIoReply,
  type JournalReply,
  type LoadReply,
  type Metrics,
  type ProcessListReply,
  type ProcessMetricsReply,
  type SignalName,
  type SignalReply,
} from "@socktop/protocol";
import { AgentError, ProtocolError } from "./errors.js";
import {
  agentErrorOf,
  checkCgroups,
  checkDiskIo,
  checkJournal,
  checkLoad,
  checkProcessMetrics,
  checkProcesses,
  checkSignal,
  decodeProcesses,
  normaliseDisks,
  normaliseMetrics,
  shaped,
  type Payload,
} from "./decode.js";
import { interpretJson, type Expected } from "./interpret.js";
import type { ProcessesOptions } from "./connection-types.js";
import type { Kind } from "./link.js";
import type { AgentInfo } from "./negotiate.js";

/** Reads the payload of the reply to `entry`. */
export type Interpreter<T> = (entry: Expected, payload: Payload) => Promise<T>;

/** What a request carries besides its kind and pid. */
export interface RequestFields {
  signal?: SignalName;
  /** Only the N busiest processes; sent only on a JSON link (the legacy command has no such form). */
  top?: number;
}

/** A pid the agent could be asked about, or a RangeError (thrown before anything is sent). */
function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid < 1 || pid > 0xffff_ffff) {
    throw new RangeError(`pid must be an integer from 1 to 4294967295, not ${String(pid)}`);
  }
}

/** A request about one process: its pid checked first, a bad one rejected (not thrown) like any other failure. */
function aboutPid<T>(pid: number, send: () => Promise<T>): Promise<T> {
  try {
    checkPid(pid);
  } catch (error) {
    return Promise.reject(error);
  }
  return send();
}

function json<T>(normalise: (value: unknown) => Promise<T>, hint = ""): Interpreter<T> {
  return (entry, payload) => interpretJson(entry, payload, normalise, hint);
}

export abstract class RequestApi {
  abstract readonly info: AgentInfo;
  abstract readonly url: string;

  /** Sends a request on the current link and resolves with its reply read by `interpret`. */
  protected abstract request<T>(kind: Exclude<Kind, "hello">, pid: number | undefined, interpret: Interpreter<T>, fields?: RequestFields): Promise<T>;

  /** True while the current link speaks the legacy commands. */
  protected abstract legacyLink(): boolean;

  private legacyHint(): string {
    if (!this.legacyLink()) return "";
    return " Agents that predate this request ignore it, which puts replies out of step; the connector reconnects to recover.";
  }

  /** Refuses, before sending, a request the agent did not say it serves: an agent that ignores it would put replies out of step. */
  private unsupported(capability: string, what: string): Promise<never> | null {
    const info = this.info;
    if (info.capabilities.includes(capability)) return null;
    const why =
      info.source === "pending"
        ? "the agent has not identified itself yet (wait for the first reply)"
        : `it does not state the "${capability}" capability${info.legacy ? " (an original socktop_agent)" : ""}`;
    return Promise.reject(
      new AgentError(`The agent at ${this.url} cannot answer ${what}: ${why}.`, {
        agentMessage: `capability "${capability}" not offered`,
        agentCode: "UNKNOWN_REQUEST",
        request: what,
      }),
    );
  }

  metrics(): Promise<Metrics> {
    return this.request("metrics", undefined, json(normaliseMetrics));
  }

  disks(): Promise<DiskInfo[]> {
    return this.request("disks", undefined, json(normaliseDisks));
  }

  processes(options: ProcessesOptions = {}): Promise<ProcessListReply> {
    const top = options.top;
    if (top !== undefined && (!Number.isInteger(top) || top < 1 || top > MAX_TOP_PROCESSES)) {
      return Promise.reject(new RangeError(`top must be an integer from 1 to ${MAX_TOP_PROCESSES}, not ${String(top)}`));
    }
    // An agent without the capability would send every process anyway (or refuse an unknown field): not worth asking.
    const fields = top !== undefined && this.info.capabilities.includes("processes_top") ? { top } : {};
    return this.request(
      "processes",
      undefined,
      async (entry, payload) => {
        if (payload.kind === "json") {
          const agentError = agentErrorOf(payload.value, entry.what);
          if (agentError !== null) throw agentError;
          throw new ProtocolError(`The agent answered processes with JSON where the binary process list was due: replies are out of step, so the connection is reset.`);
        }
        const list = decodeProcesses(payload.bytes);
        const checked = await shaped(entry.what, () => checkProcesses(list));
        return top === undefined ? checked : { process_count: checked.process_count, processes: topProcesses(checked.processes, top) };
      },
      fields,
    );
  }

  processMetrics(pid: number): Promise<ProcessMetricsReply> {
    return aboutPid(pid, () => this.request("process_metrics", pid, json(checkProcessMetrics, this.legacyHint())));
  }

  journalEntries(pid: number): Promise<JournalReply> {
    return aboutPid(pid, () => this.request("journal_entries", pid, json(checkJournal, this.legacyHint())));
  }

  load(): Promise<LoadReply> {
    return this.unsupported("load", "load") ?? this.request("load", undefined, json(checkLoad));
  }

  diskIo(): Promise<DiskIoReply> {
    return this.unsupported("disk_io", "disk_io") ?? this.request("disk_io", undefined, json(checkDiskIo));
  }

  cgroups(): Promise<CgroupsReply> {
    return this.unsupported("cgroups", "cgroups") ?? this.request("cgroups", undefined, json(checkCgroups));
  }

  signal(pid: number, signal: SignalName): Promise<SignalReply> {
    return aboutPid(pid, () => {
      const name = parseSignalName(signal);
      if (name === null) return Promise.reject(new RangeError(`signal must be one of TERM, INT, HUP, KILL, STOP, CONT, not ${JSON.stringify(signal)}`));
      return this.unsupported("signal", "signal") ?? this.request("signal", pid, json(checkSignal), { signal: name });
    });
  }
}
