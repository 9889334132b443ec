/** Memory and swap from /proc/meminfo, in bytes. */
import { readTextSync } from "./procfs.js";

export interface MemoryInfo {
  memTotal: number;
  /** MemTotal - MemAvailable: what the original socktop reports as used. */
  memUsed: number;
  swapTotal: number;
  swapUsed: number;
}

/** Parses /proc/meminfo ("MemTotal:  16318480 kB") into bytes. Missing keys count as 0. */
export function parseMeminfo(text: string): MemoryInfo {
  const kib = new Map<string, number>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const value = Number.parseInt(line.slice(colon + 1).trim(), 10);
    if (Number.isFinite(value)) kib.set(line.slice(0, colon), value);
  }
  const get = (key: string): number => (kib.get(key) ?? 0) * 1024;
  const memTotal = get("MemTotal");
  // Kernels before 3.14 have no MemAvailable: estimate it the way `free` did.
  const memAvailable = kib.has("MemAvailable")
    ? get("MemAvailable")
    : get("MemFree") + get("Buffers") + get("Cached") + get("SReclaimable") - get("Shmem");
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
