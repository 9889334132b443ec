/** Memory and swap from systeminformation's mem(), with the /proc backend's rule for "used". */
import type { MemoryInfo } from "../collectors/memory.js";
import type { SiMem } from "./system-information.js";

export function memoryFromSi(mem: SiMem): MemoryInfo {
  return {
    memTotal: mem.total,
    // total - available, as the /proc backend and the original report it (not si's total - free).
    memUsed: Math.max(0, mem.total - mem.available),
    swapTotal: mem.swaptotal,
    swapUsed: Math.max(0, mem.swapused),
  };
}
