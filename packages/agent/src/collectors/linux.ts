/**
 * The Linux backend: every collector reads the host through /proc and /sys,
 * whose roots are configurable (--proc-root / --sys-root) so that an agent in
 * a container can read the host's, mounted at /host/proc and /host/sys.
 */
import type { ProcessEntry } from "@socktop/protocol";
import type { Backend, Collector } from "./collector.js";
import { CpuCollector } from "./cpu.js";
import { DiskCollector } from "./disks.js";
import { GpuCollector } from "./gpu.js";
import { readHostname } from "./hostname.js";
import { readMemory, type MemoryInfo } from "./memory.js";
import { readNetworks } from "./network.js";
import { ProcessCollector } from "./processes.js";
import { TemperatureCollector } from "./temperature.js";

export interface LinuxBackendOptions {
  procRoot: string;
  sysRoot: string;
  gpuEnabled: boolean;
  temperatureEnabled: boolean;
  /** Receives the GPU collector's rare one-line notices. */
  log: (line: string) => void;
}

/** A collector from a name and a function. */
export function collector<T>(name: string, collect: () => Promise<T>): Collector<T> {
  return { name, collect };
}

export function linuxBackend(options: LinuxBackendOptions): Backend {
  const { procRoot, sysRoot } = options;
  // Baselines are taken now, so the first request measures a real interval.
  const processes = new ProcessCollector({ procRoot });
  try {
    processes.baseline();
  } catch {
    // An unreadable /proc shows as the processes collector failing on first use.
  }
  return {
    name: "linux",
    cpu: new CpuCollector(procRoot),
    memory: collector<MemoryInfo>("memory", () => readMemory(procRoot)),
    network: collector("network", () => readNetworks(procRoot)),
    hostname: collector("hostname", async () => readHostname()),
    temperature: new TemperatureCollector({ sysRoot, enabled: options.temperatureEnabled }),
    gpu: new GpuCollector({ sysRoot, enabled: options.gpuEnabled, log: options.log }),
    processCount: collector("process_count", () => processes.processCount()),
    processes: collector<ProcessEntry[]>("processes", () => processes.collect()),
    disks: new DiskCollector({ procRoot, sysRoot }),
    close: () => processes.close(),
  };
}
