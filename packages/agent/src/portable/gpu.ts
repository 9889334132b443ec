/**
 * GPUs from systeminformation's graphics(). Only controllers with a live
 * reading (utilization or memory in use, which si gets from nvidia-smi on
 * Linux/Windows and from the driver on macOS) are reported: a display adapter
 * listed without figures is not a GPU socktop can show.
 */
import type { GpuReading } from "../collectors/gpu.js";
import type { SiGpu } from "./system-information.js";

const MIB = 1024 * 1024;

export function vendorKey(vendor: string): string {
  const v = vendor.toLowerCase();
  if (v.includes("nvidia")) return "nvidia";
  if (v.includes("amd") || v.includes("advanced micro devices") || v.includes("ati ")) return "amd";
  if (v.includes("intel")) return "intel";
  if (v.includes("apple")) return "apple";
  return v.trim() === "" ? "unknown" : v.trim();
}

function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function mib(value: number | null | undefined): number | null {
  const v = finite(value);
  return v === null ? null : v * MIB;
}

export function gpusFromSi(controllers: readonly SiGpu[]): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const c of controllers) {
    const utilization = finite(c.utilizationGpu);
    const memUsed = mib(c.memoryUsed);
    if (utilization === null && memUsed === null) continue;
    gpus.push({
      name: c.model !== "" ? c.model : (c.name ?? "GPU"),
      vendor: vendorKey(c.vendor),
      utilization,
      memTotal: mib(c.memoryTotal) ?? mib(c.vram),
      memUsed,
      tempC: finite(c.temperatureGpu),
    });
  }
  return gpus;
}
