/**
 * GET /metrics for Prometheus: gathers one scrape's data from the agent's
 * caches, renders it with the pure exposition module (prometheus-exposition.ts)
 * and answers it as a route of the agent's hardened HTTP server, or of a
 * listener of its own (--prometheus-port) built by the same code (http-server.ts).
 *
 * A scrape reads the same TTL caches as WebSocket requests, so it costs what
 * a metrics + disks request costs, and nothing is sampled between scrapes: no
 * timers, no intervals, no prom-client default metrics (those install an
 * event-loop-delay monitor that runs all the time).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { CgroupsReply, DiskInfo, DiskIoReply, LoadReply, ProcessEntry } from "@socktop/protocol";
import type { Collected } from "./collected.js";
import type { CollectorStatus } from "./collectors/collector.js";
import {
  BEARER_CHALLENGE,
  admit,
  createHardenedServer,
  listen,
  requestPath,
  sendText,
  type Admission,
  type HttpRoute,
} from "./http-server.js";
import type { Logger } from "./log.js";
import { renderExposition, type AgentSelf, type ExpositionFormat, type ScrapeData } from "./prometheus-exposition.js";
import type { MetricsSnapshot } from "./sources.js";

export const METRICS_PATH = "/metrics";

/** The caches a scrape reads, and the collectors' last runs; MetricsSources satisfies it. */
export interface ScrapeSources {
  metrics: { get(): Collected<MetricsSnapshot> };
  disks: { get(): Collected<DiskInfo[]> };
  processes: { get(): Collected<ProcessEntry[]> };
  collectorStatuses(): CollectorStatus[];
  /** Load, disk I/O and cgroups (optional so that a source set without them still scrapes). */
  load?: { get(): Collected<LoadReply> };
  diskIo?: { get(): Collected<DiskIoReply> };
  cgroups?: { get(): Collected<CgroupsReply> };
}

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

  /** An HTTP route of the agent's server: handles `/metrics`, declines everything else. */
  readonly route: HttpRoute = (req, res) => {
    if (requestPath(req) !== METRICS_PATH) return false;
    const refusal = admit(this.options.admission, req);
    if (refusal !== null) {
      sendText(res, refusal.status, refusal.reason, refusal.status === 401 ? { "WWW-Authenticate": BEARER_CHALLENGE } : {});
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendText(res, 405, "/metrics answers GET", { Allow: "GET, HEAD" });
      return true;
    }
    this.answer(req, res).catch((error: unknown) => {
      this.options.log?.warn(`prometheus scrape failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("scrape failed\n");
    });
    return true;
  };

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
  address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Serves only /metrics on its own port (--prometheus-port), e.g. to firewall
 * it apart from /ws: the same hardened server as the agent's, with one route.
 */
export async function startPrometheusListener(options: PrometheusListenerOptions): Promise<PrometheusListener> {
  const server = createHardenedServer({
    tls: options.tls ?? null,
    ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (!options.exporter.route(req, res)) sendText(res, 404, "Not found: this port serves /metrics only");
  });
  let address: AddressInfo;
  try {
    address = await listen(server, options.port, options.bind);
  } catch (error) {
    // A plain Error (no `syscall`), so that the CLI does not report it as a failure of the agent's main --port.
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? "the port is already in use; choose another"
        : code === "EACCES"
          ? "not allowed (ports below 1024 need privileges); choose another"
          : (code ?? (error as Error).message);
    throw new Error(`cannot listen on ${options.bind}:${options.port} for --prometheus-port: ${why}`);
  }
  return {
    address,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
