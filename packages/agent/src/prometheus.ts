/**
 * Prometheus exposition of the agent's metrics (GET /metrics).
 *
 * A scrape reads the same TTL caches as WebSocket requests, so it costs what
 * a metrics + disks request costs, and nothing is sampled between scrapes: no
 * timers, no intervals, no prom-client default metrics (those install an
 * event-loop-delay monitor that runs all the time).
 *
 * Each scrape builds a fresh prom-client Registry from one snapshot of the
 * caches. prom-client metrics are mutable and a registry has one content
 * type; a registry per scrape lets concurrent scrapes (two Prometheus servers
 * in HA, or one asking for OpenMetrics and one for text) never see each
 * other's half-written values, and series of vanished interfaces, disks or
 * processes disappear without bookkeeping. Building it costs microseconds.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { Counter, Gauge, Registry, type OpenMetricsContentType, type PrometheusContentType } from "prom-client";
import { PROTOCOL_VERSION, type CgroupsReply, type DiskInfo, type DiskIoReply, type LoadReply, type ProcessEntry } from "@socktop/protocol";
import type { CollectorStatus } from "./collectors/collector.js";
import type { Logger } from "./log.js";
import type { Admission, Refusal } from "./server.js";
import type { MetricsSnapshot } from "./sources.js";
import { AGENT_VERSION } from "./version.js";

export const METRICS_PATH = "/metrics";

/**
 * Whether /metrics is served: asked for, or given a port of its own.
 * A port implies the feature whichever way it was given (--prometheus-port
 * or SOCKTOP_PROMETHEUS_PORT), as the help text promises.
 */
export { prometheusEnabled } from "./config.js";

/** The caches a scrape reads, and the collectors' last runs; MetricsSources satisfies it. */
export interface ScrapeSources {
  metrics: { get(): Promise<MetricsSnapshot> };
  disks: { get(): Promise<DiskInfo[]> };
  processes: { get(): Promise<ProcessEntry[]> };
  collectorStatuses(): CollectorStatus[];
  /** Load, disk I/O and cgroups (optional so that a source set without them still scrapes). */
  load?: { get(): Promise<LoadReply> };
  diskIo?: { get(): Promise<DiskIoReply> };
  cgroups?: { get(): Promise<CgroupsReply> };
}

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

export function readAgentSelf(): AgentSelf {
  const cpu = process.cpuUsage();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: process.memoryUsage.rss(),
    startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
  };
}

/** Reads the caches once for one scrape. Processes are read only when per-process series are on. */
export async function collectScrapeData(sources: ScrapeSources, topProcesses: number): Promise<ScrapeData> {
  const [metrics, disks, processes, load, diskIo, cgroups] = await Promise.allSettled([
    sources.metrics.get(),
    sources.disks.get(),
    topProcesses > 0 ? sources.processes.get() : Promise.resolve(null),
    sources.load?.get() ?? Promise.resolve(null),
    sources.diskIo?.get() ?? Promise.resolve(null),
    sources.cgroups?.get() ?? Promise.resolve(null),
  ]);
  // Read after the caches: a scrape that triggered a collection reports that run.
  const collectors = sources.collectorStatuses();
  const value = <T>(r: PromiseSettledResult<T>): T | null => (r.status === "fulfilled" ? r.value : null);
  return {
    metrics: value(metrics),
    disks: value(disks),
    processes: value(processes),
    load: value(load),
    diskIo: value(diskIo),
    cgroups: value(cgroups),
    collectors,
    self: readAgentSelf(),
  };
}

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

/** Parses one media range of an Accept / Accept-Encoding header: its name, q and parameters. */
function mediaRanges(header: string): Array<{ type: string; q: number; params: Map<string, string> }> {
  return header.split(",").map((part) => {
    const [type = "", ...rest] = part.split(";").map((s) => s.trim());
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ""));
    }
    const q = params.has("q") ? Number(params.get("q")) : 1;
    return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0, params };
  });
}

/**
 * OpenMetrics when the scraper prefers it (Prometheus asks for it first by
 * default), the classic text format otherwise, including for curl's `*\/*`.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.trim() === "") return "text";
  let openMetrics = 0;
  let text = 0;
  for (const { type, q, params } of mediaRanges(accept)) {
    const version = params.get("version");
    if (type === "application/openmetrics-text" && (version === undefined || version === "1.0.0" || version === "0.0.1")) {
      openMetrics = Math.max(openMetrics, q);
    } else if (type === "text/plain" || type === "text/*" || type === "*/*") {
      text = Math.max(text, q);
    }
  }
  return openMetrics > 0 && openMetrics >= text ? "openmetrics" : "text";
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return mediaRanges(header).some(({ type, q }) => (type === "gzip" || type === "x-gzip") && q > 0);
}

/** Replies up to this size go out uncompressed, as the agent's WebSocket replies do. */
const GZIP_MIN_BYTES = 768;

export interface PrometheusExporterOptions {
  sources: ScrapeSources;
  /** Per-process series for the top N processes by CPU; 0 turns them off. */
  topProcesses: number;
  /** The same admission functions as /ws, so token rules match. */
  admission?: readonly Admission[];
  log?: Logger;
}

export class PrometheusExporter {
  constructor(private readonly options: PrometheusExporterOptions) {}

  /** Reads the caches and renders one scrape. */
  async scrape(format: ExpositionFormat = "text"): Promise<{ body: string; contentType: string }> {
    const data = await collectScrapeData(this.options.sources, this.options.topProcesses);
    return renderExposition(data, this.options.topProcesses, format);
  }

  /** An AgentServer HTTP route: handles `/metrics`, declines everything else. */
  readonly route = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) return false;
    const refusal = this.admit(req);
    if (refusal !== null) {
      const headers: Record<string, string> = { "Content-Type": "text/plain; charset=utf-8" };
      if (refusal.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="socktop_agent"';
      res.writeHead(refusal.status, headers);
      res.end(`${refusal.reason}\n`);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" });
      res.end("/metrics answers GET\n");
      return true;
    }
    this.answer(req, res).catch((error: unknown) => {
      this.options.log?.warn(`prometheus scrape failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("scrape failed\n");
    });
    return true;
  };

  private admit(req: IncomingMessage): Refusal | null {
    for (const admit of this.options.admission ?? []) {
      const refusal = admit(req);
      if (refusal !== null) return refusal;
    }
    return null;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body, contentType } = await this.scrape(negotiateFormat(req.headers.accept));
    let payload = Buffer.from(body, "utf8");
    const headers: Record<string, string | number> = { "Content-Type": contentType, Vary: "Accept, Accept-Encoding" };
    if (payload.length > GZIP_MIN_BYTES && acceptsGzip(req.headers["accept-encoding"])) {
      payload = gzipSync(payload, { level: 1 });
      headers["Content-Encoding"] = "gzip";
    }
    headers["Content-Length"] = payload.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : payload);
  }
}

export interface PrometheusListenerOptions {
  exporter: PrometheusExporter;
  port: number;
  bind: string;
  /** The agent's own TLS material: the separate port is https exactly when /ws is wss. */
  tls?: { cert: string; key: string } | null;
  handshakeTimeoutMs?: number;
}

export interface PrometheusListener {
  server: Server;
  address: AddressInfo;
  close(): Promise<void>;
}

/** Serves only /metrics on its own port (--prometheus-port), e.g. to firewall it apart from /ws. */
export function startPrometheusListener(options: PrometheusListenerOptions): Promise<PrometheusListener> {
  // As in AgentServer: Node's server-wide timeout checks run an interval timer;
  // per-socket timeouts replace them so that an unscraped agent has no timer.
  const serverOptions = { requestTimeout: 0, headersTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 };
  const server: Server = options.tls
    ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
    : createHttpServer(serverOptions);
  server.keepAliveTimeout = 5000;
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const guard = (socket: Socket): void => {
    socket.setTimeout(timeoutMs, () => socket.destroy());
  };
  server.on("connection", guard);
  server.on("secureConnection", guard);
  server.on("tlsClientError", () => {});
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (options.exporter.route(req, res)) return;
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("Not found: this port serves /metrics only\n");
  });
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      // A plain Error (no `syscall`), so that the CLI does not report it as
      // a failure of the agent's main --port.
      const where = `${options.bind}:${options.port}`;
      const why =
        error.code === "EADDRINUSE"
          ? "the port is already in use; choose another"
          : error.code === "EACCES"
            ? "not allowed (ports below 1024 need privileges); choose another"
            : (error.code ?? error.message);
      reject(new Error(`cannot listen on ${where} for --prometheus-port: ${why}`));
    };
    server.once("error", onError);
    server.listen(options.port, options.bind, () => {
      server.off("error", onError);
      resolve({
        server,
        address: server.address() as AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
