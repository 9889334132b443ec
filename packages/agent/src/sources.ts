/**
 * The agent's data sources: collectors behind TTL caches shared by every
 * client. This is the only place that decides when /proc and /sys are read.
 */
import type { DiskInfo, NetworkInterface, ProcessEntry } from "@socktop/protocol";
import { TtlCache } from "./cache.js";
import { CpuCollector } from "./collectors/cpu.js";
import { DiskCollector } from "./collectors/disks.js";
import { GpuCollector, type GpuReading } from "./collectors/gpu.js";
import { readHostname } from "./collectors/hostname.js";
import { readMemory } from "./collectors/memory.js";
import { readNetworks } from "./collectors/network.js";
import { ProcessCollector } from "./collectors/processes.js";
import { TemperatureCollector } from "./collectors/temperature.js";
import type { Logger } from "./log.js";

/** Everything a fast-metrics request reports, in the agent's own terms. */
export interface MetricsSnapshot {
  cpuTotal: number;
  cpuPerCore: number[];
  memTotal: number;
  memUsed: number;
  swapTotal: number;
  swapUsed: number;
  hostname: string;
  cpuTempC: number | null;
  networks: NetworkInterface[];
  gpus: GpuReading[] | null;
  processCount: number | null;
}

export interface SourceOptions {
  procRoot: string;
  sysRoot: string;
  metricsTtlMs: number;
  processesTtlMs: number;
  disksTtlMs: number;
  gpuEnabled: boolean;
  temperatureEnabled: boolean;
  log: Logger;
}

/** How many times each source was actually collected (for tests and self-metrics). */
export interface CollectionCounts {
  metrics: number;
  processes: number;
  disks: number;
}

export class MetricsSources {
  readonly metrics: TtlCache<MetricsSnapshot>;
  readonly processes: TtlCache<ProcessEntry[]>;
  readonly disks: TtlCache<DiskInfo[]>;
  readonly counts: CollectionCounts = { metrics: 0, processes: 0, disks: 0 };

  private readonly cpu: CpuCollector;
  private readonly processCollector: ProcessCollector;
  private readonly diskCollector: DiskCollector;
  private readonly temperature: TemperatureCollector;
  private readonly gpu: GpuCollector;

  constructor(private readonly options: SourceOptions) {
    const { procRoot, sysRoot } = options;
    // Baselines are taken now, so the first request measures a real interval.
    this.cpu = new CpuCollector(procRoot);
    this.processCollector = new ProcessCollector({ procRoot });
    this.processCollector.baseline();
    this.diskCollector = new DiskCollector({ procRoot, sysRoot });
    this.temperature = new TemperatureCollector({ sysRoot, enabled: options.temperatureEnabled });
    this.gpu = new GpuCollector({
      sysRoot,
      enabled: options.gpuEnabled,
      log: (line) => options.log.warn(line),
    });

    this.metrics = new TtlCache(options.metricsTtlMs, () => {
      this.counts.metrics++;
      return this.collectMetrics();
    });
    this.processes = new TtlCache(options.processesTtlMs, () => {
      this.counts.processes++;
      return this.processCollector.collect();
    });
    this.disks = new TtlCache(options.disksTtlMs, () => {
      this.counts.disks++;
      return this.diskCollector.collect();
    });
  }

  private async collectMetrics(): Promise<MetricsSnapshot> {
    const { procRoot } = this.options;
    const [cpu, memory, networks, cpuTempC, gpus, processCount] = await Promise.all([
      this.cpu.collect(),
      readMemory(procRoot),
      readNetworks(procRoot),
      this.temperature.read(),
      this.gpu.read(),
      this.processCollector.processCount().catch(() => null),
    ]);
    return {
      cpuTotal: cpu.total,
      cpuPerCore: cpu.perCore,
      memTotal: memory.memTotal,
      memUsed: memory.memUsed,
      swapTotal: memory.swapTotal,
      swapUsed: memory.swapUsed,
      hostname: readHostname(),
      cpuTempC,
      networks,
      gpus,
      processCount,
    };
  }
}
