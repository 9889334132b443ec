/**
 * The Linux backend: every collector reads the host through /proc and /sys,
 * whose roots are configurable (--proc-root / --sys-root) so that an agent in
 * a container can read the host's, mounted at /host/proc and /host/sys.
 */
import type { LoadReply, ProcessEntry } from "@socktop/protocol";
import { CgroupCollector } from "./cgroups.js";
import { DiskIoCollector } from "./diskstats.js";
import { readLoadavgSync, readUptimeSync } from "./loadavg.js";
import type { Collected } from "../collected.js";
import type { Backend, Collector } from "./collector.js";
import { CpuCollector, procStatFile } from "./cpu.js";
import { DiskCollector } from "./disks.js";
import { GpuCollector } from "./gpu.js";
import { hostnameCollector } from "./hostname.js";
import { MemoryCollector } from "./memory.js";
import { NetworkCollector } from "./network.js";
import { PidCount } from "./pid-count.js";
import { pidOf } from "./process-listing.js";
import { ProcessCollector } from "./processes.js";
import { SensorReader } from "./sensor-reader.js";
import { TemperatureCollector } from "./temperature.js";
import { TurnSharedFile } from "./turn-shared-file.js";

export interface LinuxBackendOptions {
  procRoot: string;
  sysRoot: string;
  gpuEnabled: boolean;
  temperatureEnabled: boolean;
  /** Receives the GPU collector's and the sensor reader's rare one-line notices. */
  log: (line: string) => void;
  /** How long one sensor or device file read may take (default 500 ms). */
  sensorTimeoutMs?: number;
  /** Root of etc/passwd for the user names of process rows (default "/"). */
  etcRoot?: string;
}

/** Load average and uptime from /proc/loadavg and /proc/uptime, read synchronously. */
export function readLoadSync(procRoot: string): LoadReply {
  const load = readLoadavgSync(procRoot);
  const uptime = readUptimeSync(procRoot);
  if (load === null) throw new Error(`cannot read ${procRoot}/loadavg`);
  if (uptime === null) throw new Error(`cannot read ${procRoot}/uptime`);
  return {
    load_1: load.one,
    load_5: load.five,
    load_15: load.fifteen,
    runnable: load.running,
    tasks: load.total,
    uptime_seconds: Math.floor(uptime.uptimeSeconds),
    boot_time: Math.round(Date.now() / 1000 - uptime.uptimeSeconds),
  };
}

/** A collector from a name and a function. */
export function collector<T>(name: string, collect: () => Collected<T>): Collector<T> {
  return { name, collect };
}

export function linuxBackend(options: LinuxBackendOptions): Backend {
  const { procRoot, sysRoot } = options;
  // Baselines are taken now, so the first request measures a real interval.
  const processes = new ProcessCollector({ procRoot, ...(options.etcRoot !== undefined ? { etcRoot: options.etcRoot } : {}) });
  try {
    processes.baseline();
  } catch {
    // An unreadable /proc shows as the processes collector failing on first use.
  }
  const diskIo = new DiskIoCollector({ procRoot, sysRoot });
  // One small read, so that the first disk_io request has rates; a failure shows on that request.
  try {
    diskIo.baselineSync();
  } catch {
    // An unreadable /proc/diskstats shows as the disk_io collector failing on first use.
  }
  const cgroups = new CgroupCollector({ procRoot, sysRoot });
  // One reader for every sensor: its limit on reads at once protects the one threadpool.
  const sensors = new SensorReader({
    log: options.log,
    ...(options.sensorTimeoutMs !== undefined ? { timeoutMs: options.sensorTimeoutMs } : {}),
  });
  // The machine-wide /proc files of fast metrics are kept open between requests (kept-proc-file.ts);
  // /proc/stat is read once per request for both the CPU usage and the process count.
  const stat = new TurnSharedFile(procStatFile(procRoot));
  const cpu = new CpuCollector(procRoot, stat);
  const pids = new PidCount(procRoot, (name) => pidOf(name) > 0, undefined, stat);
  const memory = new MemoryCollector(procRoot);
  const network = new NetworkCollector(procRoot);
  return {
    name: "linux",
    cpu,
    memory,
    network,
    hostname: hostnameCollector(),
    temperature: new TemperatureCollector({ sysRoot, enabled: options.temperatureEnabled, sensors }),
    gpu: new GpuCollector({ sysRoot, enabled: options.gpuEnabled, log: options.log, sensors }),
    processCount: collector("process_count", () => pids.count()),
    processes: collector<ProcessEntry[]>("processes", () => processes.collect()),
    disks: new DiskCollector({ procRoot, sysRoot, sensors }),
    close: () => {
      processes.close();
      cpu.close();
      pids.close();
      memory.close();
      network.close();
    },
    load: collector("load", () => readLoadSync(procRoot)),
    diskIo: collector("disk_io", () => diskIo.collectSync()),
    cgroups: collector("cgroups", () => cgroups.collect()),
  };
}
