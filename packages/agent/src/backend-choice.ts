/**
 * Which backend serves this agent: the Linux one (/proc and /sys) on Linux,
 * the portable one (systeminformation + os) everywhere else, or wherever
 * SOCKTOP_AGENT_BACKEND=portable asks for it. Chosen once at start-up.
 */
import { availableParallelism } from "node:os";
import type { Backend } from "./collectors/collector.js";
import type { DetailsResult } from "./collectors/process-details.js";
import type { JournalResult } from "./collectors/journal.js";

export type BackendName = "linux" | "portable";

export const BACKEND_NAMES: readonly BackendName[] = ["linux", "portable"];

/** The backend for this platform when nothing is asked for. */
export function defaultBackend(platform: NodeJS.Platform = process.platform): BackendName {
  return platform === "linux" ? "linux" : "portable";
}

/** Reads one process's details (the Linux backend: /proc/<pid>/…). */
export interface DetailsReader {
  read(pid: number): Promise<DetailsResult>;
}

/** Reads one process's journal entries (journalctl, on Linux). */
export interface JournalSource {
  read(pid: number): Promise<JournalResult>;
}

/** The journal of a platform without systemd: every request gets the same clear answer. */
export function journalUnavailable(platform: NodeJS.Platform): JournalSource {
  const message = `Journal entries are only available on Linux (systemd journal); this agent runs on ${platform}`;
  return { read: async () => ({ kind: "error", code: "UNAVAILABLE", message }) };
}

export interface PortableParts {
  backend: Backend;
  details: DetailsReader;
}

/** The portable backend and its details reader, loaded only when chosen (it pulls in systeminformation). */
export async function loadPortable(options: { gpuEnabled: boolean; temperatureEnabled: boolean }): Promise<PortableParts> {
  const [{ portableBackend }, { PortableDetailsReader }, { loadSystemInformation }] = await Promise.all([
    import("./portable/backend.js"),
    import("./portable/details.js"),
    import("./portable/system-information.js"),
  ]);
  const si = loadSystemInformation();
  const backend = portableBackend({ ...options, systemInformation: si });
  // Listening only once si's first listing ended (a bounded wait): the first metrics request
  // then has a process count, and the agent is idle — nothing in flight — once it listens.
  await backend.firstListing;
  return {
    backend,
    details: new PortableDetailsReader(si, { platform: process.platform, cores: availableParallelism() }),
  };
}
