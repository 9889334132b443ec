/**
 * The `systeminformation` library, loaded only when the portable backend is
 * chosen: on Linux the /proc backend never pays for it (it is ~1 MB of
 * JavaScript and several MB of heap once loaded).
 *
 * Only the calls listed in SystemInformation are used. None of them starts a
 * timer (checked against 5.33: `currentLoad` does on its first call, so CPU
 * usage comes from Node's own `os.cpus()` instead; `observe` is never used).
 * Every call is bounded in time and de-duplicated (bounded-si.ts).
 */
import { createRequire } from "node:module";
import type { Systeminformation } from "systeminformation";
import { boundedSystemInformation } from "./bounded-si.js";

export type SiMem = Systeminformation.MemData;
export type SiNetworkStats = Systeminformation.NetworkStatsData;
export type SiCpuTemperature = Systeminformation.CpuTemperatureData;
export type SiGraphics = Systeminformation.GraphicsData;
export type SiGpu = Systeminformation.GraphicsControllerData;
export type SiFsSize = Systeminformation.FsSizeData;
export type SiBlockDevice = Systeminformation.BlockDevicesData;
export type SiProcesses = Systeminformation.ProcessesData;
export type SiProcess = Systeminformation.ProcessesProcessData;

export interface SystemInformation {
  mem(): Promise<SiMem>;
  networkStats(ifaces: string): Promise<SiNetworkStats[]>;
  cpuTemperature(): Promise<SiCpuTemperature>;
  graphics(): Promise<SiGraphics>;
  fsSize(): Promise<SiFsSize[]>;
  blockDevices(): Promise<SiBlockDevice[]>;
  processes(): Promise<SiProcesses>;
}

let loaded: SystemInformation | null = null;

/** The library itself, unbounded (it is CommonJS, required on first use). */
export function requireSystemInformation(): SystemInformation {
  const require = createRequire(import.meta.url);
  return require("systeminformation") as SystemInformation;
}

/**
 * The library as the backend uses it: every call bounded and de-duplicated. One
 * wrapper per process, as si's state is per process: every agent in it shares it.
 */
export function loadSystemInformation(): SystemInformation {
  loaded ??= boundedSystemInformation(requireSystemInformation());
  return loaded;
}
