/**
 * The process list from systeminformation's processes().
 *
 * CPU % must be a share of the whole machine between two requests, as on
 * Linux. si computes exactly that on Linux and Windows (deltas of each
 * process's CPU time over the machine's, between its calls); on macOS and
 * the BSDs it passes on `ps`'s pcpu, a share of ONE core (decaying average),
 * which is divided by the number of cores here. The first list reports 0 for
 * every process, as the original agent does, since si's first figures are
 * lifetime averages.
 */
import type { ProcessEntry } from "@socktop/protocol";
import type { SiProcess } from "./system-information.js";

/** Platforms where si's `cpu` is already a percentage of the whole machine. */
const WHOLE_MACHINE_PLATFORMS: ReadonlySet<NodeJS.Platform> = new Set(["linux", "win32", "android"]);

export function cpuShareOfMachine(cpu: number, platform: NodeJS.Platform, cores: number): number {
  if (!Number.isFinite(cpu) || cpu <= 0) return 0;
  const share = WHOLE_MACHINE_PLATFORMS.has(platform) ? cpu : cpu / Math.max(1, cores);
  return Math.min(100, share);
}

export interface ProcessMapOptions {
  platform: NodeJS.Platform;
  cores: number;
  /** True for the first list: no interval measured yet, every CPU % is 0. */
  first: boolean;
}

export function processEntryFromSi(p: SiProcess, options: ProcessMapOptions): ProcessEntry {
  return {
    pid: p.pid,
    name: p.name,
    cpu_usage: options.first ? 0 : cpuShareOfMachine(p.cpu, options.platform, options.cores),
    // si reports resident memory in KiB.
    mem_bytes: Number.isFinite(p.memRss) && p.memRss > 0 ? p.memRss * 1024 : 0,
  };
}

export function processesFromSi(list: readonly SiProcess[], options: ProcessMapOptions): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const p of list) {
    if (!Number.isInteger(p.pid) || p.pid <= 0) continue;
    out.push(processEntryFromSi(p, options));
  }
  return out;
}
