/** Memory and swap from /proc/meminfo, in bytes. */
import type { Collector } from "./collector.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { readTextSync } from "./procfs.js";

export interface MemoryInfo {
  memTotal: number;
  /** MemTotal - MemAvailable: what the original socktop reports as used. */
  memUsed: number;
  swapTotal: number;
  swapUsed: number;
}

/**
 * The kB value of one meminfo key, or undefined when the key is missing or
 * its value is not a number. Found with indexOf (the file has ~50 lines and
 * six of them are used; this runs twice a second per watcher).
 */
function kibOf(text: string, key: string): number | undefined {
  let at = 0;
  if (!text.startsWith(`${key}:`)) {
    const line = text.indexOf(`\n${key}:`);
    if (line < 0) return undefined;
    at = line + 1;
  }
  const from = at + key.length + 1;
  let end = text.indexOf("\n", from);
  if (end < 0) end = text.length;
  const value = Number.parseInt(text.slice(from, end).trim(), 10);
  return Number.isFinite(value) ? value : undefined;
}

/** Parses /proc/meminfo ("MemTotal:  16318480 kB") into bytes. Missing keys count as 0. */
export function parseMeminfo(text: string): MemoryInfo {
  const get = (key: string): number => (kibOf(text, key) ?? 0) * 1024;
  const memTotal = get("MemTotal");
  // Kernels before 3.14 have no MemAvailable: estimate it the way `free` did.
  const available = kibOf(text, "MemAvailable");
  const memAvailable =
    available !== undefined ? available * 1024 : get("MemFree") + get("Buffers") + get("Cached") + get("SReclaimable") - get("Shmem");
  const swapTotal = get("SwapTotal");
  return {
    memTotal,
    memUsed: Math.max(0, memTotal - memAvailable),
    swapTotal,
    swapUsed: Math.max(0, swapTotal - get("SwapFree")),
  };
}

/** /proc/meminfo, read synchronously (procfs answers from memory); throws when it cannot be read. */
export function readMemorySync(procRoot = "/proc"): MemoryInfo {
  const text = readTextSync(`${procRoot}/meminfo`);
  if (text === null) throw new Error(`cannot read ${procRoot}/meminfo`);
  return parseMeminfo(text);
}

/** The memory collector: /proc/meminfo kept open between collections (kept-proc-file.ts). */
export class MemoryCollector implements Collector<MemoryInfo> {
  readonly name = "memory";
  private readonly file: KeptProcFile;

  constructor(procRoot = "/proc") {
    // single_open: a short read is all of it (one pread per read, not two).
    this.file = new KeptProcFile(`${procRoot}/meminfo`, procRoot, 4096, undefined, true);
  }

  collect(): MemoryInfo {
    const text = this.file.read();
    if (text === null) throw new Error(`cannot read ${this.file.path}`);
    return parseMeminfo(text);
  }

  close(): void {
    this.file.close();
  }
}
