/**
 * AMD GPUs from amdgpu's sysfs attributes under /sys/class/drm/cardN/device.
 */
import type { GpuReading } from "./gpu.js";
import { listDir, parseNumberFile, readAttribute } from "./procfs.js";
import { parseMillidegrees } from "./temperature.js";

const PCI_VENDORS: Record<string, string> = { "0x1002": "amd", "0x10de": "nvidia", "0x8086": "intel" };

/** An attribute's trimmed text, or null on any error (amdgpu answers EBUSY/EPERM/ENODATA while powering up or down). */
async function readAttr(path: string): Promise<string | null> {
  return (await readAttribute(path))?.trim() ?? null;
}

function byNumber(names: string[], prefix: string): string[] {
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}

/**
 * One reading per DRM card whose device has `gpu_busy_percent` (only amdgpu
 * provides it; connectors like card0-DP-1 and render nodes are skipped), in
 * card number order. Never rejects.
 *
 * A card whose `power/runtime_status` is "suspended" (the idle dGPU of a
 * hybrid laptop) is reported as 0 % busy without temperature: reading
 * gpu_busy_percent or its hwmon wakes the GPU up on many kernels, so polling
 * it would keep the GPU powered for as long as a client watches. The VRAM
 * counters are plain driver bookkeeping and are read either way.
 */
export async function readAmdGpus(sysRoot = "/sys"): Promise<GpuReading[]> {
  const drm = `${sysRoot}/class/drm`;
  const gpus: GpuReading[] = [];
  for (const card of byNumber(listDir(drm), "card")) {
    const device = `${drm}/${card}/device`;
    // Presence from the listing, not a read: listing a directory never wakes the device.
    if (!listDir(device).includes("gpu_busy_percent")) continue;
    const vendorId = ((await readAttr(`${device}/vendor`)) ?? "").toLowerCase();
    const suspended = (await readAttr(`${device}/power/runtime_status`)) === "suspended";

    let utilization: number | null = 0;
    let tempC: number | null = null;
    if (!suspended) {
      utilization = parseNumberFile(await readAttr(`${device}/gpu_busy_percent`));
      // temp1 of amdgpu's hwmon is the "edge" sensor, the one tools show as the GPU temperature.
      for (const hwmon of byNumber(listDir(`${device}/hwmon`), "hwmon")) {
        tempC = parseMillidegrees(await readAttr(`${device}/hwmon/${hwmon}/temp1_input`));
        if (tempC !== null) break;
      }
    }
    const product = (await readAttr(`${device}/product_name`)) ?? "";
    gpus.push({
      name: product !== "" ? product : `amdgpu ${card}`,
      // gpu_busy_percent is amdgpu's, so a card without a vendor file is AMD's too.
      vendor: vendorId === "" ? "amd" : (PCI_VENDORS[vendorId] ?? vendorId),
      utilization,
      memTotal: parseNumberFile(await readAttr(`${device}/mem_info_vram_total`)),
      memUsed: parseNumberFile(await readAttr(`${device}/mem_info_vram_used`)),
      tempC,
    });
  }
  return gpus;
}
