/**
 * CPU usage from /proc/stat: total and per core, as the share of non-idle
 * jiffies between two readings.
 */
import type { Collector } from "./collector.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { CLOCK_TICKS_PER_SECOND, isBlank } from "./procfs.js";
import type { ProcTextSource } from "./turn-shared-file.js";

/** Cumulative jiffies of one `cpu` line. */
export interface CpuTimes {
  /** Sum of user, nice, system, idle, iowait, irq, softirq, steal (guest time is already in user/nice). */
  total: number;
  /** idle + iowait: time the CPU had nothing to run. */
  idle: number;
}

export interface ProcStat {
  /** The aggregate `cpu` line. */
  total: CpuTimes;
  /** `cpu0`, `cpu1`, … in order of their index. */
  cores: CpuTimes[];
}

/**
 * One `cpu` line's times, from the end of its label to the end of the line:
 * user nice system idle iowait irq softirq steal (guest and guest_nice are
 * already in user and nice; older kernels stop early). Parsed in place,
 * without splitting: it runs twice a second per watcher.
 */
function parseCpuLine(text: string, start: number, end: number): CpuTimes {
  let total = 0;
  let idle = 0;
  let field = 0;
  let i = start;
  while (i < end && field < 8) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i >= end) break;
    // Digits are summed in place (no substring per field); anything else in the
    // field goes through Number as before (a malformed field counts as 0).
    let j = i;
    let n = 0;
    let digitsOnly = true;
    for (let c = text.charCodeAt(j); j < end && !isBlank(c); c = text.charCodeAt(++j)) {
      if (c >= 48 && c <= 57) n = n * 10 + (c - 48);
      else digitsOnly = false;
    }
    if (!digitsOnly) n = Number(text.slice(i, j));
    const value = Number.isFinite(n) ? n : 0;
    total += value;
    if (field === 3 || field === 4) idle += value;
    field++;
    i = j;
  }
  return { total, idle };
}

/** Where the next line starting with "cpu" after `from` begins, or -1. */
function nextCpuLine(text: string, from: number): number {
  const i = text.indexOf("\ncpu", from);
  return i < 0 ? -1 : i + 1;
}

/**
 * Parses /proc/stat's cpu lines. Throws when there is no aggregate `cpu` line.
 * Only lines starting with "cpu" are looked at, found with indexOf: the rest
 * (the long intr and softirq lines) is skipped without being split.
 */
/** The largest CPU count Linux can be built for (CONFIG_NR_CPUS is at most 8192). */
export const MAX_CPUS = 8192;

export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | undefined;
  const cores: CpuTimes[] = [];
  let holes = false;
  let start = text.startsWith("cpu") ? 0 : nextCpuLine(text, 0);
  while (start >= 0) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    // The label ends at the first blank ("cpu", "cpu0", …).
    let labelEnd = start + 3;
    while (labelEnd < end && !isBlank(text.charCodeAt(labelEnd))) labelEnd++;
    if (labelEnd === start + 3) {
      total = parseCpuLine(text, labelEnd, end);
    } else {
      const index = Number(text.slice(start + 3, labelEnd));
      // Offline CPUs have no line: keep indexes stable by placing each core at its number
      // (bounded by the kernel's own limit, so a damaged line cannot make a huge array).
      if (Number.isInteger(index) && index >= 0 && index < MAX_CPUS) {
        // Appended in the usual case (cpu0, cpu1, … in order), so the array stays packed.
        if (index === cores.length) cores.push(parseCpuLine(text, labelEnd, end));
        else {
          if (index > cores.length) holes = true;
          cores[index] = parseCpuLine(text, labelEnd, end);
        }
      }
    }
    start = nextCpuLine(text, end);
  }
  if (total === undefined) throw new Error("/proc/stat has no aggregate cpu line");
  return { total, cores: holes ? Array.from(cores, (c) => c ?? { total: 0, idle: 0 }) : cores };
}

/** Busy percentage (0..100) between two readings of the same CPU; 0 when no time passed. */
export function usagePercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  const idle = after.idle - before.idle;
  const busy = ((total - idle) / total) * 100;
  return Math.min(100, Math.max(0, busy));
}

export interface CpuUsage {
  total: number;
  perCore: number[];
}

/** Usage between two /proc/stat readings. Cores that appeared since `before` count from zero. */
export function cpuUsageBetween(before: ProcStat, after: ProcStat): CpuUsage {
  return {
    total: usagePercent(before.total, after.total),
    perCore: after.cores.map((core, i) => usagePercent(before.cores[i] ?? { total: 0, idle: 0 }, core)),
  };
}

/** /proc/stat's btime: when the system booted, in Unix seconds; null when absent. */
export function parseBootTime(procStat: string): number | null {
  const match = /^btime\s+([0-9]+)$/m.exec(procStat);
  return match === null ? null : Number(match[1]);
}

/** Machine-wide clocks that a process's CPU times are measured against, read together. */
export interface ProcClock {
  /** Total jiffies of the aggregate `cpu` line of /proc/stat; null when unreadable. */
  totalJiffies: number | null;
  /** CPUs listed in /proc/stat. */
  cores: number;
  /** Boot time in Unix seconds; null when unreadable. */
  bootTime: number | null;
  /** Time since boot in clock ticks, comparable with a process's starttime; null when unreadable. */
  uptimeTicks: number | null;
}

/** Reads /proc/stat and /proc/uptime through `read` (the caller's reusable buffer). */
export function readProcClock(procRoot: string, read: (path: string) => string | null): ProcClock {
  let totalJiffies: number | null = null;
  let cores = 0;
  let bootTime: number | null = null;
  const stat = read(`${procRoot}/stat`);
  if (stat !== null) {
    bootTime = parseBootTime(stat);
    try {
      const parsed = parseProcStat(stat);
      totalJiffies = parsed.total.total;
      cores = parsed.cores.length;
    } catch {
      totalJiffies = null;
    }
  }
  const uptime = read(`${procRoot}/uptime`);
  const seconds = uptime === null ? NaN : Number.parseFloat(uptime);
  // Truncated like the kernel truncates starttime, so the two compare fairly.
  const uptimeTicks = Number.isFinite(seconds) && seconds >= 0 ? Math.floor(seconds * CLOCK_TICKS_PER_SECOND + 1e-6) : null;
  return { totalJiffies, cores, bootTime, uptimeTicks };
}

/** /proc/stat kept open; single_open, so a short read is all of it (one pread, not two). */
export function procStatFile(procRoot: string): KeptProcFile {
  return new KeptProcFile(`${procRoot}/stat`, procRoot, 4096, undefined, true);
}

const NO_TIMES: ProcStat = { total: { total: 0, idle: 0 }, cores: [] };

/**
 * Keeps the previous /proc/stat reading so that each collection reports usage
 * since the one before. The baseline is taken at construction, so the first
 * request after start-up already measures a real interval. When /proc/stat
 * cannot be read then, the agent still starts (the collector fails until it
 * can be read, and its first reading then measures since boot).
 */
export class CpuCollector implements Collector<CpuUsage> {
  readonly name = "cpu";
  private previous: ProcStat;
  /** /proc/stat, kept open between collections (kept-proc-file.ts). */
  private readonly file: ProcTextSource;

  /** `file`: /proc/stat as the backend shares it with the process count (turn-shared-file.ts); by default a reader of its own. */
  constructor(procRoot = "/proc", file: ProcTextSource = procStatFile(procRoot)) {
    this.file = file;
    let baseline = NO_TIMES;
    try {
      const text = this.file.read();
      if (text !== null) baseline = parseProcStat(text);
    } catch {
      // Reported by collect(), where the registry records and logs it.
    }
    this.previous = baseline;
  }

  collect(): CpuUsage {
    const text = this.file.read();
    if (text === null) throw new Error(`cannot read ${this.file.path}`);
    const current = parseProcStat(text);
    const usage = cpuUsageBetween(this.previous, current);
    this.previous = current;
    return usage;
  }

  /** Releases the kept /proc/stat descriptor. */
  close(): void {
    this.file.close();
  }
}
