/**
 * Composition: configuration → collectors and caches → request handler → server.
 */
import type { AddressInfo } from "node:net";
import type { AgentConfig } from "./config.js";
import { RequestHandler } from "./handler.js";
import type { Logger } from "./log.js";
import { AgentServer, type Admission } from "./server.js";
import { MetricsSources } from "./sources.js";

export interface StartedAgent {
  server: AgentServer;
  sources: MetricsSources;
  handler: RequestHandler;
  address: AddressInfo;
  /** ws://host:port/ws (or wss://) as a client on this machine would dial it. */
  url: string;
  close(): Promise<void>;
}

export interface AgentExtras {
  tls?: { cert: string; key: string } | null;
  admission?: readonly Admission[];
  heartbeatMs?: number;
}

function displayHost(bind: string): string {
  if (bind === "0.0.0.0" || bind === "::" || bind === "") return "localhost";
  return bind.includes(":") ? `[${bind}]` : bind;
}

export async function startAgent(config: AgentConfig, log: Logger, extras: AgentExtras = {}): Promise<StartedAgent> {
  const sources = new MetricsSources({
    procRoot: config.procRoot,
    sysRoot: config.sysRoot,
    metricsTtlMs: config.metricsTtlMs,
    processesTtlMs: config.processesTtlMs,
    disksTtlMs: config.disksTtlMs,
    gpuEnabled: config.gpuEnabled,
    temperatureEnabled: config.temperatureEnabled,
    log,
  });
  const handler = new RequestHandler({ sources, log });
  const server = new AgentServer({
    handler,
    log,
    port: config.port,
    bind: config.bind,
    tls: extras.tls ?? null,
    admission: extras.admission ?? [],
    maxClients: config.maxClients,
    maxFrameBytes: config.maxFrameBytes,
    ...(extras.heartbeatMs !== undefined ? { heartbeatMs: extras.heartbeatMs } : {}),
  });
  const address = await server.listen();
  const scheme = extras.tls ? "wss" : "ws";
  return {
    server,
    sources,
    handler,
    address,
    url: `${scheme}://${displayHost(config.bind)}:${address.port}/ws`,
    close: () => server.close(),
  };
}
