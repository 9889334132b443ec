/**
 * The Prometheus exposition of one scrape: data in, text out. Pure: it reads
 * nothing and serves nothing (prometheus.ts gathers the data from the agent's
 * caches and serves GET /metrics), so the format is tested from plain values.
 *
 * Each scrape builds a fresh prom-client Registry from one snapshot. prom-client
 * metrics are mutable and a registry has one content type; a registry per
 * scrape lets concurrent scrapes (two Prometheus servers in HA, or one asking
 * for OpenMetrics and one for text) never see each other's half-written
 * values, and series of vanished interfaces, disks or processes disappear
 * without bookkeeping. Building it costs microseconds.
 */
import { Counter, Gauge, Registry, type OpenMetricsContentType, type PrometheusContentType } from "prom-client";
import { PROTOCOL_VERSION, type CgroupsReply, type DiskInfo, type DiskIoReply, type LoadReply, type ProcessEntry } from "@socktop/protocol";
import type { CollectorStatus } from "./collectors/collector.js";
import type { MetricsSnapshot } from "./sources.js";
import { AGENT_VERSION } from "./version.js";

/** The agent process's own footprint, so "lightweight" can be checked from Prometheus. */
export interface AgentSelf {
  cpuSeconds: number;
  residentBytes: number;
  startTimeSeconds: number;
}

/** Everything one scrape reports. A source is null when it failed (or, for processes, was not asked). */
export interface ScrapeData {
  metrics: MetricsSnapshot | null;
  disks: DiskInfo[] | null;
  processes: ProcessEntry[] | null;
  /** The last run of each collector behind the data (success, duration). */
  collectors: CollectorStatus[];
  load?: LoadReply | null;
  diskIo?: DiskIoReply | null;
  cgroups?: CgroupsReply | null;
  self: AgentSelf | null;
}

export type ExpositionFormat = "text" | "openmetrics";

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

const usable = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);
const ratio = (percent: number): number => Math.min(1, Math.max(0, percent / 100));

/**
 * Whole disks that are not mounted themselves appear in the disk list as a
 * summary row (the sums of their partitions) so that the TUI can indent the
 * partitions under them. They are not filesystems, and exporting them would
 * make sum(socktop_filesystem_size_bytes) count every partition twice.
 */
export function filesystemRows(disks: readonly DiskInfo[]): DiskInfo[] {
  const rows: DiskInfo[] = [];
  for (let i = 0; i < disks.length; i++) {
    const disk = disks[i] as DiskInfo;
    if (!disk.is_partition) {
      let j = i + 1;
      let total = 0;
      let available = 0;
      while (j < disks.length && (disks[j] as DiskInfo).is_partition) {
        total += (disks[j] as DiskInfo).total;
        available += (disks[j] as DiskInfo).available;
        j++;
      }
      if (j > i + 1 && total === disk.total && available === disk.available) continue;
    }
    rows.push(disk);
  }
  return rows;
}

/** The busiest `n` processes: by CPU, then memory, then pid for a stable order. */
export function topProcessesByCpu(processes: readonly ProcessEntry[], n: number): ProcessEntry[] {
  if (n <= 0) return [];
  return [...processes]
    .sort((a, b) => b.cpu_usage - a.cpu_usage || b.mem_bytes - a.mem_bytes || a.pid - b.pid)
    .slice(0, n);
}

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

function newRegistry(format: ExpositionFormat): AnyRegistry {
  if (format === "text") return new Registry<PrometheusContentType>();
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

class Families {
  constructor(readonly registry: AnyRegistry) {}

  /** A family appears only with samples: prom-client would print an unlabelled gauge as 0 otherwise. */
  gauge(name: string, help: string, labelNames: string[], samples: readonly Sample[]): void {
    if (samples.length === 0) return;
    const gauge = new Gauge({ name, help, labelNames, registers: [this.registry] });
    for (const [labels, value] of samples) {
      if (labelNames.length === 0) gauge.set(value);
      else gauge.set(labels, value);
    }
  }

  counter(name: string, help: string, labelNames: string[], samples: readonly Sample[]): void {
    const valid = samples.filter(([, v]) => v >= 0);
    if (valid.length === 0) return;
    const counter = new Counter({ name, help, labelNames, registers: [this.registry] });
    for (const [labels, value] of valid) {
      if (labelNames.length === 0) counter.inc(value);
      else counter.inc(labels, value);
    }
  }
}

/** The registry of one scrape. */
export function buildRegistry(data: ScrapeData, topProcesses: number, format: ExpositionFormat = "text"): AnyRegistry {
  const registry = newRegistry(format);
  const f = new Families(registry);
  const only = (v: number | null | undefined): Sample[] => (usable(v) ? [[{}, v]] : []);

  const m = data.metrics;
  if (m !== null) {
    f.gauge("socktop_cpu_usage_ratio", "Share of time all CPUs were busy (0..1) since the previous collection.", [], m.cpuTotal === null ? [] : only(ratio(m.cpuTotal)));
    f.gauge(
      "socktop_cpu_core_usage_ratio",
      "Share of time one CPU was busy (0..1) since the previous collection.",
      ["cpu"],
      m.cpuPerCore.flatMap((v, i) => (usable(v) ? [[{ cpu: String(i) }, ratio(v)] as const] : [])),
    );
    f.gauge("socktop_memory_total_bytes", "Physical memory installed (MemTotal).", [], only(m.memTotal));
    f.gauge("socktop_memory_used_bytes", "Physical memory in use (MemTotal - MemAvailable).", [], only(m.memUsed));
    f.gauge("socktop_swap_total_bytes", "Swap space configured.", [], only(m.swapTotal));
    f.gauge("socktop_swap_used_bytes", "Swap space in use.", [], only(m.swapUsed));
    const nets = m.networks.map((n) => ({ labels: { device: n.name }, rx: n.received, tx: n.transmitted }));
    f.counter(
      "socktop_network_receive_bytes_total",
      "Bytes received on a network interface since it came up.",
      ["device"],
      nets.filter((n) => usable(n.rx)).map((n) => [n.labels, n.rx] as const),
    );
    f.counter(
      "socktop_network_transmit_bytes_total",
      "Bytes transmitted on a network interface since it came up.",
      ["device"],
      nets.filter((n) => usable(n.tx)).map((n) => [n.labels, n.tx] as const),
    );
    f.gauge("socktop_cpu_temperature_celsius", "CPU package temperature.", [], only(m.cpuTempC));
    const gpus = (m.gpus ?? []).map((g, i) => ({ g, labels: { gpu: String(i), name: g.name } }));
    const gpuSamples = (pick: (g: (typeof gpus)[number]["g"]) => number | null | undefined, scale: (v: number) => number = (v) => v): Sample[] =>
      gpus.flatMap(({ g, labels }) => {
        const v = pick(g);
        return usable(v) ? [[labels, scale(v)] as const] : [];
      });
    f.gauge("socktop_gpu_utilization_ratio", "Share of time the GPU was busy (0..1).", ["gpu", "name"], gpuSamples((g) => g.utilization, ratio));
    f.gauge("socktop_gpu_memory_used_bytes", "GPU memory in use.", ["gpu", "name"], gpuSamples((g) => g.memUsed));
    f.gauge("socktop_gpu_memory_total_bytes", "GPU memory installed.", ["gpu", "name"], gpuSamples((g) => g.memTotal));
    f.gauge("socktop_gpu_temperature_celsius", "GPU temperature.", ["gpu", "name"], gpuSamples((g) => g.tempC));
    f.gauge("socktop_processes", "Number of processes (threads not counted).", [], only(m.processCount));
  }

  if (data.disks !== null) {
    const rows = filesystemRows(data.disks);
    f.gauge("socktop_filesystem_size_bytes", "Size of a mounted block-device filesystem.", ["device"], rows.map((d) => [{ device: d.name }, d.total] as const));
    f.gauge(
      "socktop_filesystem_available_bytes",
      "Space on a mounted block-device filesystem available to unprivileged users.",
      ["device"],
      rows.map((d) => [{ device: d.name }, d.available] as const),
    );
    f.gauge(
      "socktop_disk_temperature_celsius",
      "Disk temperature (NVMe composite sensor).",
      ["device"],
      data.disks.filter((d) => !d.is_partition && usable(d.temperature)).map((d) => [{ device: d.name }, d.temperature as number] as const),
    );
  }

  if (topProcesses > 0 && data.processes !== null) {
    const top = topProcessesByCpu(data.processes, topProcesses).map((p) => ({ p, labels: { pid: String(p.pid), name: p.name } }));
    f.gauge(
      "socktop_process_cpu_usage_ratio",
      "CPU used by one of the busiest processes (--prometheus-top-processes), as a share of the whole machine (0..1).",
      ["pid", "name"],
      top.map(({ p, labels }) => [labels, ratio(p.cpu_usage)] as const),
    );
    f.gauge(
      "socktop_process_resident_memory_bytes",
      "Resident memory of one of the busiest processes (--prometheus-top-processes).",
      ["pid", "name"],
      top.map(({ p, labels }) => [labels, p.mem_bytes] as const),
    );
  }

  addSystemFamilies(f, data);

  f.gauge("socktop_agent_build_info", "socktop_agent version and protocol version; always 1.", ["version", "protocol_version"], [
    [{ version: AGENT_VERSION, protocol_version: String(PROTOCOL_VERSION) }, 1],
  ]);
  // As node_exporter's node_scrape_collector_*: the last run of each collector.
  f.gauge(
    "socktop_collector_success",
    "Whether the collector's last run succeeded (1) or failed (0, its fields left out).",
    ["collector"],
    data.collectors.map((c) => [{ collector: c.name }, c.success ? 1 : 0] as const),
  );
  f.gauge(
    "socktop_collector_duration_seconds",
    "How long the collector's last run took.",
    ["collector"],
    data.collectors.map((c) => [{ collector: c.name }, c.durationSeconds] as const),
  );
  if (data.self !== null) {
    f.counter("socktop_agent_process_cpu_seconds_total", "CPU time used by the agent process itself.", [], only(data.self.cpuSeconds));
    f.gauge("socktop_agent_process_resident_memory_bytes", "Resident memory of the agent process itself.", [], only(data.self.residentBytes));
    f.gauge("socktop_agent_process_start_time_seconds", "When the agent process started, in seconds since the Unix epoch.", [], only(data.self.startTimeSeconds));
  }
  return registry;
}

/**
 * Load, disk I/O and cgroup families (node_exporter's naming where it has
 * the same thing: node_load1 → socktop_load1). Disk and cgroup CPU figures
 * are exported as the kernel's cumulative counters, for rate().
 */
function addSystemFamilies(f: Families, data: ScrapeData): void {
  const load = data.load;
  if (load) {
    f.gauge("socktop_load1", "1-minute load average.", [], [[{}, load.load_1]]);
    f.gauge("socktop_load5", "5-minute load average.", [], [[{}, load.load_5]]);
    f.gauge("socktop_load15", "15-minute load average.", [], [[{}, load.load_15]]);
    f.gauge("socktop_boot_time_seconds", "When the machine booted, in seconds since the Unix epoch.", [], [[{}, load.boot_time]]);
  }
  const io = data.diskIo ?? [];
  const disk = (pick: (d: DiskIoReply[number]) => number): Sample[] => io.map((d) => [{ device: d.name }, pick(d)] as const);
  f.counter("socktop_disk_read_bytes_total", "Bytes read from a block device since boot.", ["device"], disk((d) => d.read_bytes));
  f.counter("socktop_disk_written_bytes_total", "Bytes written to a block device since boot.", ["device"], disk((d) => d.write_bytes));
  f.counter("socktop_disk_reads_completed_total", "Reads completed by a block device since boot.", ["device"], disk((d) => d.reads));
  f.counter("socktop_disk_writes_completed_total", "Writes completed by a block device since boot.", ["device"], disk((d) => d.writes));
  const cgroups = data.cgroups;
  if (cgroups) {
    const groups = cgroups.available ? cgroups.groups : [];
    f.counter(
      "socktop_cgroup_cpu_usage_seconds_total",
      "CPU time used by a control group and its descendants (cpu.stat usage_usec).",
      ["cgroup", "kind"],
      groups.map((g) => [{ cgroup: g.path, kind: g.kind }, g.cpu_usec / 1e6] as const),
    );
    f.gauge(
      "socktop_cgroup_memory_bytes",
      "Memory charged to a control group and its descendants (memory.current).",
      ["cgroup", "kind"],
      groups.flatMap((g) => (g.mem_bytes === null ? [] : [[{ cgroup: g.path, kind: g.kind }, g.mem_bytes] as const])),
    );
  }
}

/** The exposition text of one scrape, with its Content-Type. */
export async function renderExposition(
  data: ScrapeData,
  topProcesses: number,
  format: ExpositionFormat = "text",
): Promise<{ body: string; contentType: string }> {
  const registry = buildRegistry(data, topProcesses, format);
  return { body: await registry.metrics(), contentType: registry.contentType };
}
