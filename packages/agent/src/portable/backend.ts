/**
 * The portable backend: the same collectors as the Linux one (see
 * collectors/collector.ts), built on the `systeminformation` library and
 * Node's `os`, for every platform that is not Linux — macOS, Windows,
 * FreeBSD. `SOCKTOP_AGENT_BACKEND=portable` forces it on Linux, which is
 * where it is tested (the only platform this project's machines run).
 *
 * Nothing here runs unless a request asks: no timer is started, and the
 * library's own calls used here start none (see system-information.ts).
 * What a platform cannot give is null, never a made-up value.
 */
import { availableParallelism, hostname, networkInterfaces } from "node:os";
import type { ProcessEntry } from "@socktop/protocol";
import { TtlCache } from "../cache.js";
import { monotonicMs } from "../clock.js";
import type { Backend, Collector } from "../collectors/collector.js";
import type { GpuReading } from "../collectors/gpu.js";
import { PortableCpuSampler } from "./cpu.js";
import { disksFromSi } from "./disks.js";
import { gpusFromSi } from "./gpu.js";
import { memoryFromSi } from "./memory.js";
import { interfaceNames, networksFromSi } from "./network.js";
import { processesFromSi } from "./processes.js";
import { loadSystemInformation, type SiProcesses, type SystemInformation } from "./system-information.js";
import { cpuTemperatureFromSi } from "./temperature.js";

export interface PortableBackendOptions {
  gpuEnabled: boolean;
  temperatureEnabled: boolean;
  /** The library (default: bounded and de-duplicated, see bounded-si.ts; tests may pass it wrapped). */
  systemInformation?: SystemInformation;
  platform?: NodeJS.Platform;
}

/** Sensors and GPUs are re-read at most this often, as the original agent does (1.5 s). */
const SENSOR_CACHE_MS = 1500;
/** Block devices (whole disk or partition) change only when hardware does. */
const BLOCK_DEVICES_CACHE_MS = 60_000;
/** systeminformation returns its previous process listing to calls less than 500 ms apart. */
const SI_PROCESS_REUSE_MS = 600;
/** A metrics request counts processes from a list at most this old instead of listing them again. */
const PROCESS_COUNT_REUSE_MS = 5000;

function collector<T>(name: string, collect: () => Promise<T>): Collector<T> {
  return { name, collect };
}

export interface PortableBackend extends Backend {
  /** Settles when the start-up listing (si's CPU baseline, the first count) has ended, well or not. */
  readonly firstListing: Promise<void>;
}

export function portableBackend(options: PortableBackendOptions): PortableBackend {
  const si = options.systemInformation ?? loadSystemInformation();
  const platform = options.platform ?? process.platform;
  const cpu = new PortableCpuSampler();

  // One process listing serves both the list and the count (listing is the costly call: it runs `ps`).
  let firstListingAt: number | null = null;
  let lastList: { at: number; count: number } | null = null;
  let refreshing: Promise<void> | null = null;
  const listProcesses = async (): Promise<{ result: SiProcesses; measured: boolean }> => {
    const startedAt = monotonicMs();
    firstListingAt ??= startedAt;
    const result = await si.processes();
    lastList = { at: monotonicMs(), count: result.list.length };
    // si's first listing has no baseline (its CPU figures are lifetime averages) and si hands
    // that same listing back to calls within 500 ms: only later listings measured an interval.
    return { result, measured: startedAt - firstListingAt >= SI_PROCESS_REUSE_MS };
  };

  const refresh = (): Promise<void> => {
    refreshing ??= listProcesses().then(
      () => {
        refreshing = null;
      },
      () => {
        refreshing = null;
      },
    );
    return refreshing;
  };
  // The first listing is si's CPU baseline, taken now as the Linux backend takes its own at start-up:
  // the first process-list request then reports CPU % over a real interval.
  const firstListing = refresh();

  const temperature = new TtlCache(SENSOR_CACHE_MS, async () => cpuTemperatureFromSi(await si.cpuTemperature()));
  let gpuAbsent = false;
  const gpus = new TtlCache<GpuReading[] | null>(SENSOR_CACHE_MS, async () => {
    const found = gpusFromSi((await si.graphics()).controllers);
    // Probed once: a machine without a GPU is never asked again, as on Linux.
    if (found.length === 0) gpuAbsent = true;
    return found.length === 0 ? null : found;
  });
  const blockDevices = new TtlCache(BLOCK_DEVICES_CACHE_MS, () => si.blockDevices());

  return {
    name: "portable",
    firstListing,
    cpu: collector("cpu", async () => cpu.sample()),
    memory: collector("memory", async () => memoryFromSi(await si.mem())),
    network: collector("network", async () => {
      // The interfaces named, not "*": si's "*" first lists interfaces with networkInterfaces(), which
      // on Linux runs `ip`, `nmcli` and a shell per interface through execSync — the event loop stops
      // for all of it, on the first call and again whenever an address changes. Its own list is
      // os.networkInterfaces() on Linux anyway; elsewhere it adds interfaces with no address.
      const names = interfaceNames(networkInterfaces(), platform);
      return names.length === 0 ? [] : networksFromSi(await si.networkStats(names.join(",")));
    }),
    hostname: collector("hostname", async () => hostname()),
    temperature: collector("temperature", async () => (options.temperatureEnabled ? temperature.get() : null)),
    gpu: collector("gpu", async () => (!options.gpuEnabled || gpuAbsent ? null : gpus.get())),
    // Counting processes means listing them (`ps`), the costliest call here: a metrics request
    // takes the count of the latest listing and, when that is stale, starts a new one for the
    // next request instead of waiting for it. Only before any listing has ended does it wait for
    // the one in flight (bounded like every si call; the agent waits for it before listening).
    processCount: collector<number | null>("process_count", async () => {
      const fresh = lastList !== null && monotonicMs() - lastList.at < PROCESS_COUNT_REUSE_MS;
      if (!fresh) void refresh();
      if (lastList === null && refreshing !== null) await refreshing;
      return lastList?.count ?? null;
    }),
    processes: collector<ProcessEntry[]>("processes", async () => {
      const { result, measured } = await listProcesses();
      return processesFromSi(result.list, { platform, cores: availableParallelism(), first: !measured });
    }),
    // cgroups are a Linux kernel feature: a clear "unavailable" reply, as on a cgroup v1 host.
    cgroups: collector("cgroups", async () => ({
      available: false as const,
      reason: "cgroups are a Linux kernel feature: this agent reads through the portable backend",
    })),
    disks: collector("disks", async () => {
      const [filesystems, devices] = await Promise.all([si.fsSize(), Promise.resolve(blockDevices.get()).catch(() => [])]);
      return disksFromSi(filesystems, devices);
    }),
  };
}
