/**
 * Details of one process (`get_process_metrics:<pid>`): command line, memory,
 * CPU times, ids, I/O counters, working directory, executable, direct
 * children and every thread.
 *
 * Cost model: about ten small procfs reads for the process, one stat read
 * (and one `children` read) per thread, about eight reads per direct child,
 * plus /proc/stat and /proc/uptime once per request. Reads are synchronous
 * into one reused buffer like the process list's, and the event loop is
 * handed back every {@link YIELD_EVERY} reads so that a process with
 * thousands of threads does not stall other clients.
 *
 * CPU%: this module keeps its own per-pid baselines. The process list's
 * collector measures "since the previous list scan"; taking a reading here
 * must not move its baseline, or the list would show a short-interval figure
 * for exactly the process a user is looking at.
 *
 * Permission: a field the agent may not read (another user's io, fd, cwd,
 * exe) is null. Only a missing process, a thread id or a kernel thread is
 * "not found".
 */
import { readdirSync, readlinkSync } from "node:fs";
import type { ProcessDetails, ProcessMetricsReply, ThreadInfo } from "@socktop/protocol";
import { readProcClock, type ProcClock } from "./cpu.js";
import { PasswdNames } from "./passwd.js";
import { parsePidStat, type PidStat } from "./process-stat.js";
import { CLOCK_TICKS_PER_SECOND, ReusableFileReader, YIELD_EVERY, isAbsent, pageSize, yieldToEventLoop } from "./procfs.js";

/** PF_KTHREAD in the flags field of /proc/<pid>/stat (include/linux/sched.h). */
export const PF_KTHREAD = 0x0020_0000;
/** Direct children listed in a reply; each costs about eight reads. */
export const MAX_CHILDREN = 128;
/** Per-pid CPU baselines kept for details (the TUI polls a handful of pids). */
export const MAX_TRACKED_PIDS = 1024;

// User names moved to passwd.ts (shared with the process list); re-exported for existing importers.
export { PasswdNames, parsePasswd } from "./passwd.js";

const MICROS_PER_TICK = 1_000_000 / CLOCK_TICKS_PER_SECOND;

const STATE_NAMES: Record<string, string> = {
  R: "Running",
  S: "Sleeping",
  D: "Disk Sleep",
  Z: "Zombie",
  T: "Stopped",
  t: "Tracing Stop",
  X: "Dead",
  x: "Dead",
  I: "Idle",
  P: "Parked",
  K: "Wakekill",
  W: "Waking",
};

/** The one-letter state of /proc/<pid>/stat spelled out as /proc/<pid>/status does, title-cased. */
export function stateName(state: string): string {
  return STATE_NAMES[state] ?? (state === "" ? "Unknown" : state);
}

/** Bytes read as latin1 (lossless) re-read as UTF-8, which argv and paths are in practice. */
function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, "latin1").toString("utf8") : latin1;
}

/**
 * /proc/<pid>/cmdline: argv separated by NULs, with a trailing NUL (or a run
 * of them, when a process rewrote its title in place). Empty for kernel
 * threads and zombies.
 */
export function parseCmdline(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  if (end === 0) return "";
  return utf8(raw.slice(0, end)).split("\0").join(" ");
}

/** Field 9 (flags) of /proc/<pid>/stat; null when the line is not a stat line. */
export function parseStatFlags(text: string): number | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  // After "comm) ": state ppid pgrp session tty_nr tpgid flags
  const fields = text.slice(close + 2).split(" ", 7);
  const flags = Number(fields[6]);
  return fields.length === 7 && Number.isInteger(flags) && flags >= 0 ? flags : null;
}

export interface StatusIds {
  /** Thread-group id: differs from the pid when /proc/<pid> is a thread. */
  tgid: number | null;
  /** Real uid and gid (the first of the four columns). */
  uid: number | null;
  gid: number | null;
}

/** Tgid, Uid and Gid lines of /proc/<pid>/status. */
export function parseStatusIds(text: string): StatusIds {
  const ids: StatusIds = { tgid: null, uid: null, gid: null };
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    if (key !== "Tgid" && key !== "Uid" && key !== "Gid") continue;
    const first = line.slice(colon + 1).trim().split(/\s+/)[0] ?? "";
    const value = /^[0-9]+$/.test(first) ? Number(first) : null;
    if (key === "Tgid") ids.tgid = value;
    else if (key === "Uid") ids.uid = value;
    else ids.gid = value;
  }
  return ids;
}

export interface Statm {
  sizePages: number;
  residentPages: number;
  sharedPages: number;
}

/** /proc/<pid>/statm: size resident shared text lib data dt, in pages. */
export function parseStatm(text: string): Statm | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 3) return null;
  const [size, resident, shared] = fields.slice(0, 3).map((f) => (/^[0-9]+$/.test(f) ? Number(f) : NaN)) as [number, number, number];
  if (!(size >= 0 && resident >= 0 && shared >= 0)) return null;
  return { sizePages: size, residentPages: resident, sharedPages: shared };
}

/** rchar / wchar of /proc/<pid>/io: bytes passed through read/write calls (including cache hits). */
export function parseIo(text: string): { rchar: number; wchar: number } | null {
  const rchar = /^rchar:\s*([0-9]+)$/m.exec(text)?.[1];
  const wchar = /^wchar:\s*([0-9]+)$/m.exec(text)?.[1];
  if (rchar === undefined || wchar === undefined) return null;
  return { rchar: Number(rchar), wchar: Number(wchar) };
}

/** The `btime` line of /proc/stat: boot time in unix seconds. */
/** Pids listed in a /proc/<pid>/task/<tid>/children file ("12 34 "). */
export function parseChildren(text: string): number[] {
  const pids: number[] = [];
  for (const field of text.split(" ")) {
    if (/^[0-9]+$/.test(field)) pids.push(Number(field));
  }
  return pids;
}

/** Machine-wide clocks read once per request. */
type Clock = ProcClock;

interface Baseline {
  starttime: number;
  ticks: number;
  totalJiffies: number;
  usage: number;
}

export type DetailsResult =
  | { kind: "ok"; reply: ProcessMetricsReply }
  | { kind: "not_found"; message: string };

export interface ProcessDetailsOptions {
  procRoot?: string;
  /** Bytes per page for statm and rss; defaults to the running kernel's. */
  pageSize?: number;
  passwdPath?: string;
  maxChildren?: number;
  /** Unix milliseconds, for cached_at (tests). */
  now?: () => number;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

export class ProcessDetailsCollector {
  private readonly procRoot: string;
  private readonly pageBytes: number;
  private readonly maxChildren: number;
  private readonly now: () => number;
  private readonly passwd: PasswdNames;
  // Stat lines are ~300 bytes; cmdline and status grow the buffer as needed.
  private readonly reader = new ReusableFileReader(4096);
  /** Insertion-ordered so that the least recently read pid is evicted first. */
  private readonly baselines = new Map<number, Baseline>();
  private readsSinceYield = 0;

  constructor(options: ProcessDetailsOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    this.pageBytes = options.pageSize ?? pageSize();
    this.maxChildren = options.maxChildren ?? MAX_CHILDREN;
    this.now = options.now ?? Date.now;
    this.passwd = new PasswdNames(options.passwdPath);
  }

  /** How many pids have a CPU baseline here (bounded by {@link MAX_TRACKED_PIDS}). */
  get trackedPids(): number {
    return this.baselines.size;
  }

  /** Details of `pid`, or why there are none. Never throws for a process that vanishes mid-read. */
  async read(pid: number): Promise<DetailsResult> {
    const clock = this.readClock();
    const base = `${this.procRoot}/${pid}`;
    const statText = this.readFile(`${base}/stat`);
    const stat = statText === null ? null : parsePidStat(statText);
    if (statText === null || stat === null) return { kind: "not_found", message: `Process ${pid} not found` };

    const statusText = this.readFile(`${base}/status`);
    const ids = statusText === null ? { tgid: null, uid: null, gid: null } : parseStatusIds(statusText);
    if (ids.tgid !== null && ids.tgid !== pid) {
      // /proc/<tid> resolves for every thread although readdir hides it: a
      // thread is part of its process's details, not a process of its own.
      return { kind: "not_found", message: `Process ${pid} not found: ${pid} is a thread of process ${ids.tgid}` };
    }
    const command = this.readCommand(base);
    if (isKernelThread(stat, parseStatFlags(statText), command)) {
      return {
        kind: "not_found",
        message: `Process ${pid} not found: ${pid} (${stat.comm}) is a kernel thread, which has no process details`,
      };
    }

    const process = this.describe(pid, base, stat, ids, command, clock);
    const { threads, children } = await this.readTasks(pid, base);
    process.threads = threads;
    for (const child of children.slice(0, this.maxChildren)) {
      let details: ProcessDetails | null;
      try {
        details = this.readChild(child, clock);
      } catch {
        // Beyond the usual absent files (already null): a child must never fail its parent's details.
        details = null;
      }
      if (details !== null) process.child_processes.push(details);
      await this.maybeYield();
    }
    return { kind: "ok", reply: { process, cached_at: Math.floor(this.now() / 1000) } };
  }

  /** A direct child: same shape, with its own children and threads left empty to bound the cost. */
  private readChild(pid: number, clock: Clock): ProcessDetails | null {
    const base = `${this.procRoot}/${pid}`;
    const statText = this.readFile(`${base}/stat`);
    const stat = statText === null ? null : parsePidStat(statText);
    if (stat === null) return null;
    const statusText = this.readFile(`${base}/status`);
    const ids = statusText === null ? { tgid: null, uid: null, gid: null } : parseStatusIds(statusText);
    return this.describe(pid, base, stat, ids, this.readCommand(base), clock);
  }

  private describe(pid: number, base: string, stat: PidStat, ids: StatusIds, command: string, clock: Clock): ProcessDetails {
    const statmText = this.readFile(`${base}/statm`);
    const statm = statmText === null ? null : parseStatm(statmText);
    const ioText = this.readFile(`${base}/io`);
    const io = ioText === null ? null : parseIo(ioText);
    return {
      pid,
      name: stat.comm,
      command,
      cpu_usage: this.cpuUsage(pid, stat, clock),
      mem_bytes: stat.rssPages * this.pageBytes,
      virtual_mem_bytes: stat.vsize,
      shared_mem_bytes: statm === null ? null : statm.sharedPages * this.pageBytes,
      thread_count: stat.numThreads,
      fd_count: this.countFds(base),
      status: stateName(stat.state),
      parent_pid: stat.ppid > 0 ? stat.ppid : null,
      user_id: ids.uid,
      group_id: ids.gid,
      user_name: ids.uid === null ? null : this.passwd.lookup(ids.uid),
      start_time: startTime(stat.starttime, clock, this.now()),
      cpu_time_user: stat.utime * MICROS_PER_TICK,
      cpu_time_system: stat.stime * MICROS_PER_TICK,
      read_bytes: io?.rchar ?? null,
      write_bytes: io?.wchar ?? null,
      working_directory: this.readLink(`${base}/cwd`),
      executable_path: this.readLink(`${base}/exe`),
      child_processes: [],
      threads: [],
    };
  }

  /**
   * Threads from task/<tid>/stat, and direct children from each thread's
   * `children` file (a child belongs to the thread that forked it). Kernels
   * without CONFIG_PROC_CHILDREN have no such file: then every process's
   * stat is scanned for the parent pid instead.
   */
  private async readTasks(pid: number, base: string): Promise<{ threads: ThreadInfo[]; children: number[] }> {
    const threads: ThreadInfo[] = [];
    let tids: number[];
    try {
      tids = readdirSync(`${base}/task`)
        .filter((name) => /^[0-9]+$/.test(name))
        .map(Number)
        .sort((a, b) => a - b);
    } catch (error) {
      if (!isAbsent(error)) throw error;
      tids = [];
    }
    const children = new Set<number>();
    let childrenFiles = tids.length > 0;
    for (const tid of tids) {
      const text = this.readFile(`${base}/task/${tid}/stat`);
      const stat = text === null ? null : parsePidStat(text);
      if (stat !== null) {
        threads.push({
          tid,
          name: stat.comm,
          cpu_time_user: stat.utime * MICROS_PER_TICK,
          cpu_time_system: stat.stime * MICROS_PER_TICK,
          status: stateName(stat.state),
        });
      }
      if (childrenFiles) {
        const listed = this.readFile(`${base}/task/${tid}/children`);
        // A thread that just exited has no files either: only the leader's answer decides.
        if (listed === null && tid === pid) childrenFiles = false;
        else if (listed !== null) for (const child of parseChildren(listed)) children.add(child);
      }
      await this.maybeYield();
    }
    const sorted = childrenFiles ? [...children].sort((a, b) => a - b) : await this.scanChildren(pid);
    return { threads, children: sorted };
  }

  private async scanChildren(pid: number): Promise<number[]> {
    const children: number[] = [];
    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch (error) {
      if (isAbsent(error)) return children;
      throw error;
    }
    for (const name of names) {
      if (!/^[0-9]+$/.test(name)) continue;
      const text = this.readFile(`${this.procRoot}/${name}/stat`);
      const stat = text === null ? null : parsePidStat(text);
      if (stat !== null && stat.ppid === pid) children.push(stat.pid);
      await this.maybeYield();
    }
    return children.sort((a, b) => a - b);
  }

  /**
   * Percent of the whole machine, like the process list: Δ(utime+stime) /
   * Δ(total jiffies) since the previous details read of this pid. The first
   * read has no previous one; it reports the lifetime average (CPU time over
   * the machine's capacity since the process started), which is a real
   * figure, rather than a 0 that a one-shot client would always see.
   */
  private cpuUsage(pid: number, stat: PidStat, clock: Clock): number {
    const ticks = stat.utime + stat.stime;
    const before = this.baselines.get(pid);
    let usage: number;
    if (before !== undefined && before.starttime === stat.starttime && clock.totalJiffies !== null) {
      const elapsed = clock.totalJiffies - before.totalJiffies;
      // Two reads within one jiffy: no interval to measure, repeat the last figure.
      if (elapsed <= 0) return before.usage;
      usage = ((ticks - before.ticks) / elapsed) * 100;
    } else {
      const lifetime = clock.uptimeTicks === null ? 0 : clock.uptimeTicks - stat.starttime;
      usage = lifetime > 0 && clock.cores > 0 ? (ticks / (lifetime * clock.cores)) * 100 : 0;
    }
    usage = round2(Math.min(100, Math.max(0, usage)));
    if (clock.totalJiffies !== null) {
      this.baselines.delete(pid);
      if (this.baselines.size >= MAX_TRACKED_PIDS) {
        const oldest = this.baselines.keys().next();
        if (!oldest.done) this.baselines.delete(oldest.value);
      }
      this.baselines.set(pid, { starttime: stat.starttime, ticks, totalJiffies: clock.totalJiffies, usage });
    }
    return usage;
  }

  private readCommand(base: string): string {
    const raw = this.readFile(`${base}/cmdline`);
    return raw === null ? "" : parseCmdline(raw);
  }

  private countFds(base: string): number | null {
    this.readsSinceYield++;
    try {
      return readdirSync(`${base}/fd`).length;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
  }

  private readLink(path: string): string | null {
    this.readsSinceYield++;
    try {
      return utf8(readlinkSync(path, "latin1"));
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
  }

  private readFile(path: string): string | null {
    this.readsSinceYield++;
    return this.reader.read(path);
  }

  private async maybeYield(): Promise<void> {
    if (this.readsSinceYield >= YIELD_EVERY) {
      this.readsSinceYield = 0;
      await yieldToEventLoop();
    }
  }

  private readClock(): Clock {
    return readProcClock(this.procRoot, (path) => this.reader.read(path));
  }

}

/**
 * PF_KTHREAD is the kernel's own answer. Without it (a stat line from an odd
 * source), kthreadd and its direct children with no command line are kernel
 * threads too.
 */
function isKernelThread(stat: PidStat, flags: number | null, command: string): boolean {
  if (flags !== null && (flags & PF_KTHREAD) !== 0) return true;
  return command === "" && (stat.pid === 2 || stat.ppid === 2);
}

/** Unix seconds: boot time plus the start offset; from the uptime when /proc/stat has no btime. */
function startTime(starttime: number, clock: Clock, nowMs: number): number {
  const offset = starttime / CLOCK_TICKS_PER_SECOND;
  if (clock.bootTime !== null) return Math.floor(clock.bootTime + offset);
  if (clock.uptimeTicks !== null) return Math.floor(nowMs / 1000 - clock.uptimeTicks / CLOCK_TICKS_PER_SECOND + offset);
  return 0;
}
