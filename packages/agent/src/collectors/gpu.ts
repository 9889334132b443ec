/**
 * GPUs: NVIDIA through `nvidia-smi` (gpu-nvidia.ts) and AMD through amdgpu's
 * sysfs files (gpu-amd.ts). Probed on the first read; a vendor found absent
 * then is never probed again, so a machine without a GPU pays for one probe.
 */
import { TtlCache } from "../cache.js";
import type { Collected } from "../collected.js";
import type { Collector } from "./collector.js";
import { readAmdGpus } from "./gpu-amd.js";
import { runNvidiaSmi } from "./gpu-nvidia.js";
import { defaultSensorReader, type SensorReader } from "./sensor-reader.js";

export { readAmdGpus } from "./gpu-amd.js";
export { NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, runNvidiaSmi, type NvidiaSmiOutcome } from "./gpu-nvidia.js";

export interface GpuReading {
  name: string;
  /** "nvidia", "amd", "intel", or the PCI vendor id when unknown. */
  vendor: string;
  /** Percent busy. */
  utilization: number | null;
  /** Bytes. */
  memTotal: number | null;
  /** Bytes. */
  memUsed: number | null;
  tempC: number | null;
}

export interface GpuOptions {
  sysRoot?: string;
  /** false (SOCKTOP_AGENT_GPU=0): always null, nothing probed. */
  enabled?: boolean;
  /** The nvidia-smi command (name on PATH, or a path). */
  nvidiaSmi?: string;
  /** How long nvidia-smi may take before it is killed and NVIDIA metrics are disabled. */
  timeoutMs?: number;
  /** Readings are reused this long (1.5 s like the original). */
  cacheMs?: number;
  /** Receives the rare one-line notices (tool hung, driver not answering). */
  log?: (line: string) => void;
  now?: () => number;
  /** Reads amdgpu's busy percentage and temperature with a timeout; the backend shares one among its collectors. */
  sensors?: SensorReader;
}

/** "unknown" until the first read has looked. */
export type GpuProbeState = "unknown" | "present" | "absent";

export class GpuCollector implements Collector<GpuReading[] | null> {
  readonly name = "gpu";
  private readonly cache: TtlCache<GpuReading[] | null> | null;
  private nvidia: GpuProbeState = "unknown";
  private amd: GpuProbeState = "unknown";
  /** A present NVIDIA GPU whose tool is failing: logged once per outage, not per read. */
  private nvidiaFailing = false;
  private readonly sysRoot: string;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly sensors: SensorReader;

  constructor(options: GpuOptions = {}) {
    this.sysRoot = options.sysRoot ?? "/sys";
    this.command = options.nvidiaSmi ?? "nvidia-smi";
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.log = options.log ?? (() => {});
    this.sensors = options.sensors ?? defaultSensorReader();
    this.cache =
      options.enabled === false ? null : new TtlCache(options.cacheMs ?? 1500, () => this.collectAll(), options.now);
  }

  /** Current GPU readings (NVIDIA first, then AMD), or null when disabled or there is no GPU. Never throws. */
  read(): Collected<GpuReading[] | null> {
    return this.cache === null ? null : this.cache.get();
  }

  collect(): Collected<GpuReading[] | null> {
    return this.read();
  }

  /** What the probe found so far, per vendor. */
  get probeState(): { nvidia: GpuProbeState; amd: GpuProbeState } {
    return { nvidia: this.nvidia, amd: this.amd };
  }

  private async collectNvidia(): Promise<GpuReading[]> {
    if (this.nvidia === "absent") return [];
    const outcome = await runNvidiaSmi(this.command, this.timeoutMs);
    switch (outcome.kind) {
      case "ok":
        if (this.nvidia === "unknown") this.nvidia = outcome.gpus.length > 0 ? "present" : "absent";
        this.nvidiaFailing = false;
        return outcome.gpus;
      case "missing":
        this.nvidia = "absent";
        return [];
      case "timeout":
        // A hung tool would cost timeoutMs on every read and may pile up
        // unkillable processes (stuck in the driver): give up for good.
        this.nvidia = "absent";
        this.log(`gpu: ${this.command} did not answer within ${this.timeoutMs} ms; NVIDIA GPU metrics disabled`);
        return [];
      case "failed":
        if (this.nvidia === "unknown") {
          // At probe time a failing tool means no usable GPU (typically no driver loaded).
          this.nvidia = "absent";
          this.log(`gpu: ${this.command} failed (${outcome.reason}); NVIDIA GPU metrics disabled`);
        } else if (!this.nvidiaFailing) {
          // It worked before: treat as transient, skip NVIDIA for this read and retry on the next.
          this.nvidiaFailing = true;
          this.log(`gpu: ${this.command} failed (${outcome.reason}); NVIDIA GPUs left out until it answers again`);
        }
        return [];
    }
  }

  private async collectAmd(): Promise<GpuReading[]> {
    if (this.amd === "absent") return [];
    const gpus = await readAmdGpus(this.sysRoot, this.sensors);
    if (this.amd === "unknown") this.amd = gpus.length > 0 ? "present" : "absent";
    return gpus;
  }

  private collectAll(): Collected<GpuReading[] | null> {
    // Neither vendor's GPU (most servers): null at once, no probe to wait for.
    if (this.nvidia === "absent" && this.amd === "absent") return null;
    return this.collectPresent();
  }

  private async collectPresent(): Promise<GpuReading[] | null> {
    try {
      const [nvidia, amd] = await Promise.all([this.collectNvidia(), this.collectAmd()]);
      const all = [...nvidia, ...amd];
      return all.length > 0 ? all : null;
    } catch {
      // Neither part rejects by design; this only keeps a bug from reaching the metrics reply.
      return null;
    }
  }
}
