/**
 * CPU usage from Node's `os.cpus()` tick counters, on every platform Node
 * runs on: the share of non-idle time between two readings, per core and in
 * total, exactly as the /proc backend computes it from /proc/stat.
 */
import { cpus, type CpuInfo } from "node:os";
import type { CpuTimes, CpuUsage } from "../collectors/cpu.js";
import { usagePercent } from "../collectors/cpu.js";

export interface CoreTicks {
  total: CpuTimes;
  cores: CpuTimes[];
}

/** Sums os.cpus() times (milliseconds) into the /proc backend's shape: idle alone is idle time here. */
export function ticksFromCpuInfo(infos: readonly CpuInfo[]): CoreTicks {
  const cores = infos.map(({ times }) => ({
    total: times.user + times.nice + times.sys + times.idle + times.irq,
    idle: times.idle,
  }));
  const total = cores.reduce((sum, c) => ({ total: sum.total + c.total, idle: sum.idle + c.idle }), { total: 0, idle: 0 });
  return { total, cores };
}

export function usageBetween(before: CoreTicks, after: CoreTicks): CpuUsage {
  return {
    total: usagePercent(before.total, after.total),
    perCore: after.cores.map((core, i) => usagePercent(before.cores[i] ?? { total: 0, idle: 0 }, core)),
  };
}

/** Keeps the previous reading; the baseline is taken at construction like the /proc collector's. */
export class PortableCpuSampler {
  private previous: CoreTicks;

  constructor(private readonly read: () => readonly CpuInfo[] = cpus) {
    this.previous = ticksFromCpuInfo(this.read());
  }

  sample(): CpuUsage {
    const current = ticksFromCpuInfo(this.read());
    const usage = usageBetween(this.previous, current);
    this.previous = current;
    return usage;
  }
}
