/**
 * One request in, one reply out. Knows the reply shape of every request in
 * both dialects; never throws (a failure becomes an error reply).
 */
import {
  LEGACY_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  requestName,
  topProcesses,
  type DiskInfo,
  type HelloReply,
  type ParsedRequest,
  type ProcessEntry,
  type Request,
} from "@socktop/protocol";
import {
  envelope,
  errorReply,
  legacyJson,
  processListReply,
  ReplyMemo,
  textJson,
  toLegacyMetrics,
  toMetricsV2,
  toSeedMetrics,
  type EncodedReply,
} from "./replies.js";
import { isPending, whenCollected, type Collected } from "./collected.js";
import { CollectorFailure } from "./collectors/collector.js";
import type { Logger } from "./log.js";
import type { SignalSender } from "./signals.js";
import type { MetricsSnapshot, MetricsSources } from "./sources.js";
import { AGENT_NAME, AGENT_VERSION } from "./version.js";

/** What the agent can do, stated in `hello` replies and the upgrade response headers. */
export const CAPABILITIES: readonly string[] = [
  "metrics",
  "disks",
  "processes",
  "hello",
  "request_id",
  "error_frames",
  // Protocol 2: process rows with ppid, user, state, threads, start time and command.
  "process_rows",
  // {"type":"processes","top":N}: only the N busiest (the fleet view wants one per host).
  "processes_top",
  "load",
  "disk_io",
  "cgroups",
];

/** Stated only by an agent started with --allow-signals. */
export const SIGNAL_CAPABILITY = "signal";

/** Per-connection state the handler reads and updates. */
export interface Session {
  /** 1 until the client shows it speaks protocol 2 (subprotocol or hello). */
  protocol: number;
  /** The client's address, for the signal log line. */
  remote?: string;
}

export interface RequestHandlerOptions {
  sources: MetricsSources;
  log: Logger;
  /** Extra capabilities and handlers (process details, journal) plug in here. */
  capabilities?: readonly string[];
  /** Sends signals on request; null (the default) refuses every signal request. */
  signals?: SignalSender | null;
  extraHandlers?: Partial<Record<"process_metrics" | "journal_entries", (request: Request & { pid: number }, session: Session) => Promise<EncodedReply>>>;
}

export function helloReply(capabilities: readonly string[]): HelloReply {
  return {
    type: "hello",
    agent: AGENT_NAME,
    agent_version: AGENT_VERSION,
    protocol_version: PROTOCOL_VERSION,
    min_protocol_version: LEGACY_PROTOCOL_VERSION,
    capabilities: [...capabilities],
  };
}

export class RequestHandler {
  private readonly metricsMemo = new ReplyMemo<MetricsSnapshot>();
  private readonly listMemo = new ReplyMemo<object>();
  readonly capabilities: readonly string[];

  constructor(private readonly options: RequestHandlerOptions) {
    this.capabilities = [...CAPABILITIES, ...(options.capabilities ?? []), ...(options.signals ? [SIGNAL_CAPABILITY] : [])];
  }

  /**
   * The reply to one request. Its protocol (error shape) is the session's
   * when the request arrived: a hello that arrives later switches later
   * requests only, whenever the earlier one's reply is ready (docs/protocol.md).
   * The reply itself when it is ready at once (cached or collected at once: see
   * {@link Collected}), else its promise; never throws or rejects.
   */
  handle(parsed: ParsedRequest, session: Session): Collected<EncodedReply> {
    const asReceived: Session = { protocol: session.protocol };
    if (parsed.kind === "invalid") {
      return errorReply(
        {
          code: parsed.code,
          error: parsed.error,
          request: parsed.request,
          ...(parsed.pid !== undefined ? { pid: parsed.pid } : {}),
          ...(parsed.id !== undefined ? { id: parsed.id } : {}),
        },
        asReceived.protocol,
      );
    }
    let reply: Collected<EncodedReply>;
    try {
      reply = this.serve(parsed, session, asReceived);
    } catch (error) {
      return this.failed(parsed, error, asReceived);
    }
    return isPending(reply) ? reply.catch((error: unknown) => this.failed(parsed, error, asReceived)) : reply;
  }

  private failed(request: Request, error: unknown, asReceived: Session): EncodedReply {
    const what = requestName(request);
    const reason = error instanceof Error ? error.message : String(error);
    // The registry has already logged a collector's failure (rate-limited); anything else is logged here.
    if (!(error instanceof CollectorFailure)) this.options.log.warn(`${what}: collection failed: ${reason}`);
    return errorReply(
      {
        code: "UNAVAILABLE",
        error: `Could not collect ${request.kind.replace("_", " ")}: ${reason}`,
        request: what,
        ...("pid" in request ? { pid: request.pid } : {}),
        ...(request.id !== undefined ? { id: request.id } : {}),
      },
      asReceived.protocol,
    );
  }

  private serve(request: Request, session: Session, asReceived: Session): Collected<EncodedReply> {
    const { sources } = this.options;
    switch (request.kind) {
      case "hello": {
        session.protocol = PROTOCOL_VERSION;
        const hello = helloReply(this.capabilities);
        return request.id === undefined ? textJson(hello) : envelope(request.id, "hello", JSON.stringify(hello));
      }
      case "metrics":
        return whenCollected(sources.metrics.get(), (snapshot) => this.metrics(request, snapshot));
      case "disks":
        return whenCollected(sources.disks.get(), (disks) => this.disks(request, disks));
      case "processes": {
        // Binary protobuf in both dialects and both protocols: replies are matched by order.
        // Only a client that has shown it speaks protocol 2 gets the extra fields; everyone
        // else gets exactly the bytes this agent always sent for the same data.
        const form = session.protocol >= 2 ? "rich" : "basic";
        const top = request.top;
        return whenCollected(sources.processes.get(), (processes) => this.processes(processes, form, top));
      }
      case "load":
        return whenCollected(sources.load.get(), (load) => this.json(request, load));
      case "disk_io":
        return whenCollected(sources.diskIo.get(), (diskIo) => this.json(request, diskIo));
      case "cgroups":
        return whenCollected(sources.cgroups.get(), (cgroups) => this.json(request, cgroups));
      case "signal":
        return this.signal(request, session);
      case "process_metrics":
      case "journal_entries": {
        const extra = this.options.extraHandlers?.[request.kind];
        if (extra !== undefined) return extra(request, asReceived);
        return errorReply(
          {
            code: "UNKNOWN_REQUEST",
            error: `This agent does not serve ${request.kind.replace("_", " ")}`,
            request: requestName(request),
            pid: request.pid,
            ...(request.id !== undefined ? { id: request.id } : {}),
          },
          asReceived.protocol,
        );
      }
    }
  }

  private metrics(request: Request, snapshot: MetricsSnapshot): EncodedReply {
    // Replies without a request id are the same for every client: encoded once (ReplyMemo.shared).
    if (request.dialect === "legacy") return this.metricsMemo.shared(snapshot, "legacy", (s) => legacyJson(toLegacyMetrics(s)));
    if (request.id === undefined) return this.metricsMemo.shared(snapshot, "seed", (s) => textJson(toSeedMetrics(s)));
    const data = this.metricsMemo.get(snapshot, "v2", (s) => textJson(toMetricsV2(s)));
    return envelope(request.id, "metrics", data.data as string);
  }

  private disks(request: Request, disks: DiskInfo[]): EncodedReply {
    if (request.dialect === "legacy") return this.listMemo.shared(disks, "legacy", legacyJson);
    if (request.id === undefined) return this.listMemo.shared(disks, "seed", textJson);
    return envelope(request.id, "disks", this.listMemo.get(disks, "data", textJson).data as string);
  }

  private processes(processes: ProcessEntry[], form: "rich" | "basic", top: number | undefined): EncodedReply {
    // process_count stays the number of all processes.
    if (top !== undefined) return this.listMemo.get(processes, `protobuf-${form}-top-${top}`, (p) => processListReply(topProcesses(p as ProcessEntry[], top), form, processes.length));
    return this.listMemo.get(processes, `protobuf-${form}`, (p) => processListReply(p as ProcessEntry[], form));
  }

  /** A JSON reply in the request's dialect (legacy: gzip when long), memoised per snapshot. */
  private json(request: Request, value: object): EncodedReply {
    if (request.dialect === "legacy") return this.listMemo.shared(value, "legacy", legacyJson);
    if (request.id === undefined) return this.listMemo.shared(value, "seed", textJson);
    return envelope(request.id, request.kind, this.listMemo.get(value, "data", textJson).data as string);
  }

  private signal(request: Request & { kind: "signal" }, session: Session): EncodedReply {
    const id = request.id !== undefined ? { id: request.id } : {};
    const signals = this.options.signals;
    if (!signals) {
      return errorReply(
        {
          code: "FORBIDDEN",
          error: "This agent does not send signals: its operator must start it with --allow-signals (and a token)",
          request: "signal",
          pid: request.pid,
          ...id,
        },
        session.protocol,
      );
    }
    const result = signals.send(request.pid, request.signal, session.remote ?? "unknown");
    if (!result.ok) return errorReply({ code: result.code, error: result.message, request: "signal", pid: request.pid, ...id }, session.protocol);
    const reply = { pid: result.pid, name: result.name, signal: result.signal, result: "sent" };
    return request.id === undefined ? textJson(reply) : envelope(request.id, "signal", JSON.stringify(reply));
  }
}
