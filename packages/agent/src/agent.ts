/**
 * Composition: configuration → collectors and caches → request handler → server.
 */
import { hostname } from "node:os";
import type { AddressInfo } from "node:net";
import { admissionFor, isPublicBind, originAdmission } from "./admission.js";
import { prometheusEnabled, type AgentConfig, type TlsConfig } from "./config.js";
import type { DetailsHandlersOptions } from "./details-handlers.js";
import type { RequestHandler } from "./handler.js";
import type { Logger } from "./log.js";
import type { WebAssets } from "./web.js";
import type { PrometheusListener } from "./prometheus.js";
import { AgentServer, type Admission } from "./server.js";
import type { Serving } from "./serving.js";
import type { MetricsSources } from "./sources.js";
import type { TlsMaterial } from "./tls/certificate.js";
import { chooseTlsDir } from "./tls/original-dir.js";

export interface StartedAgent {
  server: AgentServer;
  /** With deferServing: throws until the first client has connected. */
  readonly sources: MetricsSources;
  /** With deferServing: throws until the first client has connected. */
  readonly handler: RequestHandler;
  address: AddressInfo;
  /** ws://host:port/ws (or wss://) as a client on this machine would dial it. */
  url: string;
  /** The certificate served under TLS (its fingerprint is what clients pin), or null without TLS. */
  tls: TlsMaterial | null;
  /** Where GET /metrics is served for Prometheus (--prometheus), or null when off. */
  prometheus: { address: AddressInfo; url: string } | null;
  /**
   * Sensor reads blocked in the kernel right now: process.exit() would wait for
   * ever on one (the CLI then ends by its signal). 0 while the collectors are
   * not loaded (deferServing, nobody connected yet): nothing has read a sensor.
   */
  stuckSensorReads(): number;
  close(): Promise<void>;
}

export interface AgentExtras {
  /** TLS material to use instead of what the configuration asks for (tests). */
  tls?: { cert: string; key: string } | null;
  /** Admission checks in addition to those of the configuration (token, origin). */
  admission?: readonly Admission[];
  heartbeatMs?: number;
  handshakeTimeoutMs?: number;
  /** Overrides for process details and journal (e.g. a stand-in journalctl in tests). */
  details?: Partial<DetailsHandlersOptions>;
  /** The dashboard's files, instead of the built ones (tests). */
  webAssets?: WebAssets;
  /** Root of etc/passwd for user names in process rows (tests). */
  etcRoot?: string;
  /** Told the number of open WebSocket connections whenever it changes. */
  onClientCount?: (clients: number) => void;
  /**
   * Load the collectors and the request handler on the first WebSocket
   * connection instead of before listening (the CLI): an idle agent then holds
   * only its HTTP server. Ignored when Prometheus is on (its route reads the
   * collectors) or with the portable backend (which lists processes once
   * before listening, so that it is idle once it listens).
   */
  deferServing?: boolean;
}

function displayHost(bind: string): string {
  if (bind === "0.0.0.0" || bind === "::" || bind === "") return "localhost";
  return bind.includes(":") ? `[${bind}]` : bind;
}

/** The operator's certificate, or the generated one (created on first use, reused after). */
async function loadTls(tls: TlsConfig, log: Logger): Promise<TlsMaterial> {
  // Loaded only with TLS on: node:tls and the certificate code are memory and start-up time an agent without TLS does not need.
  const { ensureCertificate, loadOperatorCertificate } = await import("./tls/certificate.js");
  if (tls.certFile !== null && tls.keyFile !== null) return loadOperatorCertificate(tls.certFile, tls.keyFile, log);
  return ensureCertificate({
    dir: await chooseTlsDir(tls.dir, tls.originalDir ?? null, (line) => log.info(line)),
    hostname: hostname(),
    ...(tls.extraSans !== undefined ? { extraSans: tls.extraSans } : {}),
    log,
  });
}

export async function startAgent(config: AgentConfig, log: Logger, extras: AgentExtras = {}): Promise<StartedAgent> {
  const material = extras.tls === undefined && config.tls !== null ? await loadTls(config.tls, log) : null;
  const tls = extras.tls !== undefined ? extras.tls : material;
  const admission = [...admissionFor(config), ...(extras.admission ?? [])];
  // Checked again here (not only by the CLI) so that no embedding can open signals to the network without a token.
  if (config.allowSignals && config.token === null && isPublicBind(config.bind)) {
    throw new Error(`--allow-signals needs a token (SOCKTOP_TOKEN) unless the agent is bound to loopback only; bound to ${config.bind}`);
  }
  if (config.allowSignals) log.info("signals allowed: clients may send TERM, INT, HUP, KILL, STOP and CONT (--allow-signals)");
  let serving: Serving | null = null;
  let servingLoad: Promise<Serving> | null = null;
  const loadServing = (): Promise<Serving> => {
    servingLoad ??= import("./serving.js")
      .then(({ createServing }) => createServing(config, log, { details: extras.details, etcRoot: extras.etcRoot }))
      .then((made) => (serving = made));
    servingLoad.catch(() => {
      servingLoad = null;
    });
    return servingLoad;
  };
  const defer = extras.deferServing === true && !prometheusEnabled(config.prometheus) && config.backend !== "portable";
  const ready = defer ? null : await loadServing();
  const loaded = (): Serving => {
    if (serving === null) throw new Error("the agent's collectors are loaded on the first connection (deferServing): none yet");
    return serving;
  };
  // Prometheus reads the same caches and obeys the same admission (token) as /ws.
  // prom-client is loaded only when Prometheus is on (bench: ~5 MB of RSS and
  // start-up time every agent would otherwise pay).
  const prom = prometheusEnabled(config.prometheus) ? await import("./prometheus.js") : null;
  const exporter = prom !== null
    ? new prom.PrometheusExporter({ sources: loaded().sources, topProcesses: config.prometheus.topProcesses, admission, log })
    : null;
  let metricsListener: PrometheusListener | null = null;
  // The dashboard's module is loaded only with --web: without it nothing of the page is read or served.
  const routes = exporter !== null && config.prometheus.port === null ? [exporter.route] : [];
  if (config.web) {
    const { loadWebAssets, webRoute } = await import("./web.js");
    routes.push(webRoute(extras.webAssets ?? loadWebAssets(), { page: [originAdmission(config.allowedOrigins)], auth: admission }));
  }
  const server = new AgentServer({
    handler: ready !== null ? ready.handler : async () => (await loadServing()).handler,
    log,
    port: config.port,
    bind: config.bind,
    tls: tls ?? null,
    admission,
    maxClients: config.maxClients,
    maxFrameBytes: config.maxFrameBytes,
    ...(extras.heartbeatMs !== undefined ? { heartbeatMs: extras.heartbeatMs } : {}),
    ...(extras.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: extras.handshakeTimeoutMs } : {}),
    ...(extras.onClientCount !== undefined ? { onClientCount: extras.onClientCount } : {}),
    httpRoutes: routes,
    ...(exporter === null
      ? { metricsNotHere: () => "Prometheus metrics are off; start socktop_agent with --prometheus (or SOCKTOP_PROMETHEUS=1) to serve them here" }
      : config.prometheus.port !== null
        ? {
            metricsNotHere: () =>
              `Prometheus metrics are served on port ${metricsListener?.address.port ?? config.prometheus.port} (--prometheus-port)`,
          }
        : {}),
  });
  const address = await server.listen();
  // Warned once listening: an address that cannot be listened on is reported alone.
  if (config.token === null && isPublicBind(config.bind)) {
    log.warn(
      `listening on ${config.bind} without a token: anyone who can reach this port can read this host's metrics (set SOCKTOP_TOKEN, or --bind 127.0.0.1)`,
    );
  }
  if (prom !== null && exporter !== null && config.prometheus.port !== null) {
    try {
      metricsListener = await prom.startPrometheusListener({ exporter, port: config.prometheus.port, bind: config.bind, tls: tls ?? null });
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  const metricsAddress = metricsListener?.address ?? (exporter !== null ? address : null);
  const prometheus =
    metricsAddress === null
      ? null
      : { address: metricsAddress, url: `${tls ? "https" : "http"}://${displayHost(config.bind)}:${metricsAddress.port}/metrics` };
  if (prometheus !== null) log.info(`Prometheus metrics at ${prometheus.url}`);
  if (config.web) log.info(`web dashboard at ${tls ? "https" : "http"}://${displayHost(config.bind)}:${address.port}/`);
  const scheme = tls ? "wss" : "ws";
  return {
    server,
    get sources() {
      return loaded().sources;
    },
    get handler() {
      return loaded().handler;
    },
    address,
    url: `${scheme}://${displayHost(config.bind)}:${address.port}/ws`,
    tls: material,
    prometheus,
    stuckSensorReads: () => (serving === null ? 0 : serving.stuckSensorReads()),
    close: async () => {
      await Promise.all([server.close(), metricsListener?.close()]);
      // A load still under way (a client connecting as the agent stops) is waited for, so that nothing it opens outlives close().
      const made = servingLoad === null ? null : await (servingLoad as Promise<Serving>).catch(() => null);
      made?.sources.close();
    },
  };
}
