/**
 * The agent's data sources: a backend's collectors (see collectors/collector.ts),
 * run through one registry that isolates failures, behind TTL caches shared
 * by every client. This is the only place that decides when collectors run.
 */
import type { CgroupsReply, DiskInfo, DiskIoReply, LoadReply, NetworkInterface, ProcessEntry } from "@socktop/protocol";
import { TtlCache } from "./cache.js";
import { isPending, type Collected } from "./collected.js";
import { CollectorRegistry, type Backend, type Collector, type CollectorStatus } from "./collectors/collector.js";
import type { CpuUsage } from "./collectors/cpu.js";
import type { GpuReading } from "./collectors/gpu.js";
import type { MemoryInfo } from "./collectors/memory.js";
import { linuxBackend } from "./collectors/linux.js";
import type { Logger } from "./log.js";

/**
 * Everything a fast-metrics request reports, in the agent's own terms. A
 * field whose collector failed is null (or empty for lists): the other
 * fields are still served.
 */
export interface MetricsSnapshot {
  /** null when the CPU collector failed (cpuPerCore is then empty). */
  cpuTotal: number | null;
  cpuPerCore: number[];
  /** null when the memory collector failed. */
  memTotal: number | null;
  memUsed: number | null;
  swapTotal: number | null;
  swapUsed: number | null;
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
  /** How long one sensor or device file read may take (default 500 ms). */
  sensorTimeoutMs?: number;
  log: Logger;
  /** The collectors to use instead of the Linux backend built from the options above. */
  backend?: Backend;
  /** Root of the passwd file used for user names in process rows ("/" → /etc/passwd). */
  etcRoot?: string;
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
  /** Load average and uptime; as fresh as fast metrics. */
  readonly load: TtlCache<LoadReply>;
  /** Disk I/O rates; as fresh as the disk list. */
  readonly diskIo: TtlCache<DiskIoReply>;
  /** Per-cgroup CPU and memory; as fresh as the process list. */
  readonly cgroups: TtlCache<CgroupsReply>;
  readonly counts: CollectionCounts = { metrics: 0, processes: 0, disks: 0 };
  readonly backend: Backend;
  readonly collectors: CollectorRegistry;

  constructor(options: SourceOptions) {
    this.collectors = new CollectorRegistry({ log: options.log });
    this.backend =
      options.backend ??
      linuxBackend({
        procRoot: options.procRoot,
        sysRoot: options.sysRoot,
        gpuEnabled: options.gpuEnabled,
        temperatureEnabled: options.temperatureEnabled,
        ...(options.sensorTimeoutMs !== undefined ? { sensorTimeoutMs: options.sensorTimeoutMs } : {}),
        log: (line) => options.log.warn(line),
        ...(options.etcRoot !== undefined ? { etcRoot: options.etcRoot } : {}),
      });
    const { backend, collectors } = this;
    this.metrics = new TtlCache(options.metricsTtlMs, () => {
      this.counts.metrics++;
      return this.collectMetrics();
    });
    // A list request has one collector: its failure is the request's (an error reply naming it).
    this.processes = new TtlCache(options.processesTtlMs, () => {
      this.counts.processes++;
      return collectors.require(backend.processes);
    });
    this.disks = new TtlCache(options.disksTtlMs, () => {
      this.counts.disks++;
      return collectors.require(backend.disks);
    });
    this.load = new TtlCache(options.metricsTtlMs, () => collectors.require(this.optional(backend.load, "load")));
    this.diskIo = new TtlCache(options.disksTtlMs, () => collectors.require(this.optional(backend.diskIo, "disk_io")));
    this.cgroups = new TtlCache(options.processesTtlMs, async () => {
      const result = await collectors.require(this.optional(backend.cgroups, "cgroups"));
      const cachedAt = Math.floor(Date.now() / 1000);
      if (!result.available) return { available: false, reason: result.reason, groups: [], cached_at: cachedAt };
      return { available: true, hierarchy: result.hierarchy, groups: result.groups, truncated: result.truncated, cached_at: cachedAt };
    });
  }

  /** A backend may lack the newer collectors (load, disk I/O, cgroups): requests for them then fail with a clear reason. */
  private optional<T>(collector: Collector<T> | undefined, name: string): Collector<T> {
    return collector ?? { name, collect: () => Promise.reject(new Error(`the ${this.backend.name} backend does not provide ${name}`)) };
  }

  /** The last run of each collector (Prometheus `socktop_collector_*`). */
  collectorStatuses(): CollectorStatus[] {
    return this.collectors.statuses();
  }

  /** Releases what the collectors hold between requests (the process scan's kept descriptors). */
  close(): void {
    this.backend.close?.();
  }

  /** At once when every collector has its value at once (a watched Linux agent, between sensor reads). */
  private collectMetrics(): Collected<MetricsSnapshot> {
    const { backend, collectors } = this;
    const cpu = collectors.value(backend.cpu);
    const memory = collectors.value(backend.memory);
    const networks = collectors.value(backend.network);
    const hostname = collectors.value(backend.hostname);
    const cpuTempC = collectors.value(backend.temperature);
    const gpus = collectors.value(backend.gpu);
    const processCount = collectors.value(backend.processCount);
    if (isPending(cpu) || isPending(memory) || isPending(networks) || isPending(hostname) || isPending(cpuTempC) || isPending(gpus) || isPending(processCount)) {
      return Promise.all([cpu, memory, networks, hostname, cpuTempC, gpus, processCount]).then((values) => metricsSnapshot(...values));
    }
    return metricsSnapshot(cpu, memory, networks, hostname, cpuTempC, gpus, processCount);
  }
}

function metricsSnapshot(
  cpu: CpuUsage | null,
  memory: MemoryInfo | null,
  networks: NetworkInterface[] | null,
  hostname: string | null,
  cpuTempC: number | null,
  gpus: GpuReading[] | null,
  processCount: number | null,
): MetricsSnapshot {
  return {
    cpuTotal: cpu?.total ?? null,
    cpuPerCore: cpu?.perCore ?? [],
    memTotal: memory?.memTotal ?? null,
    memUsed: memory?.memUsed ?? null,
    swapTotal: memory?.swapTotal ?? null,
    swapUsed: memory?.swapUsed ?? null,
    hostname: hostname ?? "",
    cpuTempC,
    networks: networks ?? [],
    gpus,
    processCount,
  };
}
