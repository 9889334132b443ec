/**
 * GPUs: NVIDIA through `nvidia-smi` (run asynchronously with a hard timeout)
 * and AMD through amdgpu's sysfs files. Probed on the first read; a machine
 * without a GPU is never probed again.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { TtlCache } from "../cache.js";
import { parseNumberFile, readText } from "./procfs.js";
import { parseMillidegrees } from "./temperature.js";

export interface GpuReading {
  name: string;
  vendor: string;
  /** Percent busy. */
  utilization: number | null;
  memTotal: number | null;
  memUsed: number | null;
  tempC: number | null;
}

export const NVIDIA_QUERY = [
  "--query-gpu=name,utilization.gpu,memory.total,memory.used,temperature.gpu",
  "--format=csv,noheader,nounits",
];

const MIB = 1024 * 1024;

/** A CSV field as a number; "[N/A]", "[Not Supported]" and the like are null. */
function csvNumber(field: string | undefined): number | null {
  if (field === undefined) return null;
  const trimmed = field.trim();
  if (trimmed === "" || trimmed.startsWith("[")) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** Parses `nvidia-smi --query-gpu=name,utilization.gpu,memory.total,memory.used,temperature.gpu --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    // GPU names contain no commas in practice; the numeric fields are the last four.
    const fields = line.split(",");
    if (fields.length < 5) continue;
    const numbers = fields.slice(-4);
    const name = fields.slice(0, -4).join(",").trim();
    const total = csvNumber(numbers[1]);
    const used = csvNumber(numbers[2]);
    gpus.push({
      name: name || `nvidia-${gpus.length}`,
      vendor: "nvidia",
      utilization: csvNumber(numbers[0]),
      memTotal: total === null ? null : total * MIB,
      memUsed: used === null ? null : used * MIB,
      tempC: csvNumber(numbers[3]),
    });
  }
  return gpus;
}

/** AMD GPUs from /sys/class/drm/cardN/device (amdgpu exposes busy percent and VRAM there). */
export async function readAmdGpus(sysRoot = "/sys"): Promise<GpuReading[]> {
  const drm = `${sysRoot}/class/drm`;
  let cards: string[];
  try {
    cards = (await readdir(drm)).filter((n) => /^card\d+$/.test(n));
  } catch {
    return [];
  }
  cards.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const gpus: GpuReading[] = [];
  for (const card of cards) {
    const device = `${drm}/${card}/device`;
    const busy = parseNumberFile(await readText(`${device}/gpu_busy_percent`));
    if (busy === null) continue; // not an amdgpu device (or no busy counter): not reported
    const vendorId = ((await readText(`${device}/vendor`)) ?? "").trim();
    let tempC: number | null = null;
    try {
      const hwmons = (await readdir(`${device}/hwmon`)).filter((n) => n.startsWith("hwmon")).sort();
      for (const hwmon of hwmons) {
        tempC = parseMillidegrees(await readText(`${device}/hwmon/${hwmon}/temp1_input`));
        if (tempC !== null) break;
      }
    } catch {
      // no hwmon directory: no temperature
    }
    const product = ((await readText(`${device}/product_name`)) ?? "").trim();
    gpus.push({
      name: product || `amdgpu ${card}`,
      vendor: vendorId === "0x1002" || vendorId === "" ? "amd" : vendorId,
      utilization: busy,
      memTotal: parseNumberFile(await readText(`${device}/mem_info_vram_total`)),
      memUsed: parseNumberFile(await readText(`${device}/mem_info_vram_used`)),
      tempC,
    });
  }
  return gpus;
}

type SmiResult = { kind: "ok"; stdout: string } | { kind: "absent" } | { kind: "failed"; reason: string } | { kind: "timeout" };

function runNvidiaSmi(command: string, timeoutMs: number): Promise<SmiResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      NVIDIA_QUERY,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ kind: "ok", stdout });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        if (e.code === "ENOENT" || e.code === "EACCES") return resolve({ kind: "absent" });
        if (e.killed === true || e.signal === "SIGKILL") return resolve({ kind: "timeout" });
        const reason = (String(stderr).trim() || String(stdout).trim() || e.message).split("\n")[0] ?? "";
        resolve({ kind: "failed", reason });
      },
    );
  });
}

export interface GpuOptions {
  sysRoot?: string;
  /** false (SOCKTOP_AGENT_GPU=0): always null, nothing probed. */
  enabled?: boolean;
  /** The nvidia-smi command (name on PATH, or a path). */
  nvidiaSmi?: string;
  timeoutMs?: number;
  cacheMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export class GpuCollector {
  private readonly cache: TtlCache<GpuReading[] | null> | null;
  private nvidia: "unknown" | "present" | "absent" = "unknown";
  private amd: "unknown" | "present" | "absent" = "unknown";
  private readonly sysRoot: string;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(options: GpuOptions = {}) {
    this.sysRoot = options.sysRoot ?? "/sys";
    this.command = options.nvidiaSmi ?? "nvidia-smi";
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.log = options.log ?? (() => {});
    this.cache = options.enabled === false ? null : new TtlCache(options.cacheMs ?? 1500, () => this.collect(), options.now);
  }

  /** Current GPU readings, or null when disabled or there is no GPU. Never throws. */
  read(): Promise<GpuReading[] | null> {
    return this.cache === null ? Promise.resolve(null) : this.cache.get();
  }

  private async collectNvidia(): Promise<GpuReading[]> {
    if (this.nvidia === "absent") return [];
    const result = await runNvidiaSmi(this.command, this.timeoutMs);
    switch (result.kind) {
      case "ok": {
        const gpus = parseNvidiaSmiCsv(result.stdout);
        if (this.nvidia === "unknown") this.nvidia = gpus.length > 0 ? "present" : "absent";
        return gpus;
      }
      case "absent":
        this.nvidia = "absent";
        return [];
      case "timeout":
        this.nvidia = "absent";
        this.log(`gpu: ${this.command} did not answer within ${this.timeoutMs} ms; NVIDIA GPU metrics disabled`);
        return [];
      case "failed":
        if (this.nvidia === "unknown") {
          // At probe time a failing tool means no usable GPU (e.g. no driver loaded).
          this.nvidia = "absent";
          this.log(`gpu: ${this.command} failed (${result.reason}); NVIDIA GPU metrics disabled`);
        }
        // A GPU that worked before and fails once is reported missing for this read only.
        return [];
    }
  }

  private async collect(): Promise<GpuReading[] | null> {
    if (this.nvidia === "absent" && this.amd === "absent") return null;
    const [nvidia, amd] = await Promise.all([
      this.collectNvidia().catch(() => []),
      this.amd === "absent" ? Promise.resolve([]) : readAmdGpus(this.sysRoot).catch(() => []),
    ]);
    if (this.amd === "unknown") this.amd = amd.length > 0 ? "present" : "absent";
    const all = [...nvidia, ...amd];
    return all.length > 0 ? all : null;
  }
}
