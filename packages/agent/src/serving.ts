/**
 * What answers requests: the collectors and their caches, process details and
 * the journal, signals, and the request handler over them. Made by agent.ts
 * before listening, or (from the CLI) on the first WebSocket connection, so an
 * agent nobody has connected to has loaded none of it.
 */
import { journalUnavailable, loadPortable } from "./backend-choice.js";
import type { AgentConfig } from "./config.js";
import { createDetailsHandlers, type DetailsHandlersOptions } from "./details-handlers.js";
import { RequestHandler } from "./handler.js";
import type { Logger } from "./log.js";
import { SignalSender } from "./signals.js";
import { MetricsSources } from "./sources.js";
import { stuckSensorReads } from "./collectors/sensor-reader.js";

export interface Serving {
  sources: MetricsSources;
  handler: RequestHandler;
  /** Sensor reads blocked in the kernel now (see collectors/sensor-reader.ts): the count of the module the collectors use. */
  stuckSensorReads: () => number;
}

export interface ServingExtras {
  /** Overrides for process details and journal (e.g. a stand-in journalctl in tests). */
  details?: Partial<DetailsHandlersOptions> | undefined;
  /** Root of etc/passwd for user names in process rows (tests). */
  etcRoot?: string | undefined;
}

export async function createServing(config: AgentConfig, log: Logger, extras: ServingExtras = {}): Promise<Serving> {
  // The portable backend is loaded only when chosen: on Linux its library is never imported.
  const portable =
    config.backend === "portable"
      ? await loadPortable({ gpuEnabled: config.gpuEnabled, temperatureEnabled: config.temperatureEnabled })
      : null;
  const sources = new MetricsSources({
    procRoot: config.procRoot,
    sysRoot: config.sysRoot,
    metricsTtlMs: config.metricsTtlMs,
    processesTtlMs: config.processesTtlMs,
    disksTtlMs: config.disksTtlMs,
    gpuEnabled: config.gpuEnabled,
    temperatureEnabled: config.temperatureEnabled,
    sensorTimeoutMs: config.sensorTimeoutMs,
    log,
    ...(portable !== null ? { backend: portable.backend } : {}),
    ...(extras.etcRoot !== undefined ? { etcRoot: extras.etcRoot } : {}),
  });
  const details = createDetailsHandlers({
    procRoot: config.procRoot,
    log,
    ...(portable !== null ? { detailsReader: portable.details } : {}),
    ...(process.platform !== "linux" ? { journalSource: journalUnavailable(process.platform) } : {}),
    ...extras.details,
  });
  const signals = config.allowSignals ? new SignalSender({ log, procRoot: config.procRoot }) : null;
  const handler = new RequestHandler({ sources, log, capabilities: details.capabilities, extraHandlers: details.extraHandlers, signals });
  return { sources, handler, stuckSensorReads };
}
