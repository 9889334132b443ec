/**
 * Process details from systeminformation's process list, as far as a
 * platform-neutral source allows: identity, command line, CPU %, resident
 * and virtual memory, state, parent, user name, start time, executable and
 * direct children. Threads, file descriptors, CPU times, I/O counters, the
 * working directory and numeric ids are not in that source: they are null
 * (or empty lists), never made up.
 */
import type { ProcessDetails } from "@socktop/protocol";
import type { DetailsResult } from "../collectors/process-details.js";
import { cpuShareOfMachine } from "./processes.js";
import type { SiProcess, SystemInformation } from "./system-information.js";

/** si's `started` is local time "YYYY-MM-DD HH:MM:SS": unix seconds, or null when it does not parse. */
export function startTimeFromSi(started: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(started.trim());
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = new Date(year, month - 1, day, hour, minute, second).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** "sleeping" → "Sleeping", as the /proc backend spells states. */
export function stateFromSi(state: string): string {
  const s = state.trim();
  return s === "" ? "Unknown" : s[0]!.toUpperCase() + s.slice(1);
}

export interface DetailsMapOptions {
  platform: NodeJS.Platform;
  cores: number;
}

export function detailsFromSi(p: SiProcess, options: DetailsMapOptions): ProcessDetails {
  const command = [p.path !== "" && !p.command.startsWith(p.path) ? `${p.path}/${p.command}` : p.command, p.params]
    .filter((part) => part !== "")
    .join(" ");
  return {
    pid: p.pid,
    name: p.name,
    command,
    cpu_usage: cpuShareOfMachine(p.cpu, options.platform, options.cores),
    mem_bytes: Number.isFinite(p.memRss) ? p.memRss * 1024 : 0,
    virtual_mem_bytes: Number.isFinite(p.memVsz) ? p.memVsz * 1024 : 0,
    shared_mem_bytes: null,
    thread_count: null,
    fd_count: null,
    status: stateFromSi(p.state),
    parent_pid: p.parentPid > 0 ? p.parentPid : null,
    user_id: null,
    group_id: null,
    user_name: p.user !== "" ? p.user : null,
    start_time: startTimeFromSi(p.started),
    cpu_time_user: null,
    cpu_time_system: null,
    read_bytes: null,
    write_bytes: null,
    working_directory: null,
    executable_path: p.path !== "" ? p.path : null,
    child_processes: [],
    threads: [],
  };
}

export const MAX_PORTABLE_CHILDREN = 128;

/** Details of `pid` and its direct children from one process listing. */
export function detailsReplyFromSi(
  list: readonly SiProcess[],
  pid: number,
  options: DetailsMapOptions & { nowMs: number },
): { kind: "ok"; process: ProcessDetails; cached_at: number } | { kind: "not_found"; message: string } {
  const entry = list.find((p) => p.pid === pid);
  if (entry === undefined) return { kind: "not_found", message: `Process ${pid} not found` };
  const process = detailsFromSi(entry, options);
  process.child_processes = list
    .filter((p) => p.parentPid === pid && p.pid !== pid)
    .slice(0, MAX_PORTABLE_CHILDREN)
    .map((p) => detailsFromSi(p, options));
  return { kind: "ok", process, cached_at: Math.floor(options.nowMs / 1000) };
}

export class PortableDetailsReader {
  constructor(
    private readonly si: SystemInformation,
    private readonly options: DetailsMapOptions,
  ) {}

  async read(pid: number): Promise<DetailsResult> {
    const { list } = await this.si.processes();
    const result = detailsReplyFromSi(list, pid, { ...this.options, nowMs: Date.now() });
    if (result.kind === "not_found") return result;
    return { kind: "ok", reply: { process: result.process, cached_at: result.cached_at } };
  }
}
