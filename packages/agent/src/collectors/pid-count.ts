/**
 * The number of processes (numeric entries of /proc), listed again only when
 * it may have changed.
 *
 * Listing /proc is the dearest part of a fast-metrics request: ~100 µs of CPU
 * for ~150 entries (60 µs of it in the kernel: C's readdir costs that too),
 * twice a second per watcher. Two counters the kernel keeps for the whole
 * machine tell when no process can have appeared or gone:
 * - total_forks ("processes" in /proc/stat): +1 on every fork and clone, in
 *   every pid namespace, and never decremented;
 * - nr_threads (the number after "/" in /proc/loadavg): +1 at the same place
 *   as total_forks, -1 when a task is released (a zombie reaped, a thread
 *   gone): the moment its pid leaves /proc.
 * Read in that order before each listing, and again at the next request: if
 * neither moved, nothing was forked between the two reads (total_forks only
 * grows), hence nothing was released either (nr_threads would only have
 * shrunk), so the listing still holds. A fork or exit anywhere (another
 * container's, a thread's) moves them and costs one listing, never a wrong
 * count. The two counters are global, so this holds for an agent in a pid
 * namespace of its own as well.
 *
 * Only on a real procfs: a fixture tree of plain files is listed every time.
 */
import { readdirSync } from "node:fs";
import { procStatFile } from "./cpu.js";
import { KeptProcFile } from "./kept-proc-file.js";
import type { ProcTextSource } from "./turn-shared-file.js";

/** "processes 767360" of /proc/stat; NaN when absent. */
export function parseTotalForks(stat: string | null): number {
  if (stat === null) return NaN;
  const at = stat.indexOf("\nprocesses ");
  if (at < 0) return NaN;
  const from = at + 11;
  let end = stat.indexOf("\n", from);
  if (end < 0) end = stat.length;
  return Number(stat.slice(from, end));
}

/** The number of tasks in "0.52 0.58 0.59 2/313 21563" (/proc/loadavg); NaN when malformed. */
export function parseThreadCount(loadavg: string | null): number {
  if (loadavg === null) return NaN;
  const slash = loadavg.indexOf("/");
  if (slash < 0) return NaN;
  const end = loadavg.indexOf(" ", slash);
  return Number(loadavg.slice(slash + 1, end < 0 ? loadavg.length : end));
}

export class PidCount {
  private readonly stat: ProcTextSource;
  private readonly loadavg: KeptProcFile;
  private last: { forks: number; threads: number; count: number } | null = null;
  /** How many times /proc was actually listed (for tests). */
  listings = 0;

  private readonly trustCounters: boolean;

  /**
   * `isPid`: whether a /proc entry's name is a process's (the process scan's rule).
   * `trustCounters`: list only when the counters moved (default: when procRoot is a real procfs;
   * tests set it to drive the rule with fixture files).
   * `stat`: /proc/stat as the backend shares it with the CPU collector (turn-shared-file.ts).
   */
  constructor(
    private readonly procRoot: string,
    private readonly isPid: (name: string) => boolean,
    trustCounters?: boolean,
    stat: ProcTextSource = procStatFile(procRoot),
  ) {
    this.stat = stat;
    // single_open, like /proc/stat: one pread per read.
    this.loadavg = new KeptProcFile(`${procRoot}/loadavg`, procRoot, 128, undefined, true);
    this.trustCounters = trustCounters ?? this.stat.kept;
  }

  /** Number of processes now; throws when /proc cannot be listed. */
  count(): number {
    let forks = NaN;
    let threads = NaN;
    if (this.trustCounters) {
      forks = parseTotalForks(this.stat.read());
      threads = parseThreadCount(this.loadavg.read());
      const last = this.last;
      if (last !== null && forks === last.forks && threads === last.threads) return last.count;
    }
    let count = 0;
    for (const name of readdirSync(this.procRoot)) if (this.isPid(name)) count++;
    this.listings++;
    this.last = Number.isFinite(forks) && Number.isFinite(threads) ? { forks, threads, count } : null;
    return count;
  }

  close(): void {
    this.stat.close();
    this.loadavg.close();
  }
}
