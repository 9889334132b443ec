/**
 * AMD GPUs from amdgpu's sysfs attributes under /sys/class/drm/cardN/device.
 *
 * gpu_busy_percent and the hwmon temperature ask the GPU's firmware (an SMU
 * message), which can hang while the GPU resets: they are read through a
 * SensorReader (asynchronously, with a timeout). The other attributes are
 * driver bookkeeping, read synchronously like /proc.
 */
import type { GpuReading } from "./gpu.js";
import { listDir, parseNumberFile, readAttributeSync } from "./procfs.js";
import { defaultSensorReader, type SensorReader } from "./sensor-reader.js";
import { parseMillidegrees } from "./temperature.js";

const PCI_VENDORS: Record<string, string> = { "0x1002": "amd", "0x10de": "nvidia", "0x8086": "intel" };

/** An attribute's trimmed text, or null on any error (amdgpu answers EBUSY/EPERM/ENODATA while powering up or down). */
function readAttr(path: string): string | null {
  return readAttributeSync(path)?.trim() ?? null;
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
export async function readAmdGpus(sysRoot = "/sys", sensors: SensorReader = defaultSensorReader()): Promise<GpuReading[]> {
  const drm = `${sysRoot}/class/drm`;
  const gpus: GpuReading[] = [];
  for (const card of byNumber(listDir(drm), "card")) {
    const device = `${drm}/${card}/device`;
    // Presence from the listing, not a read: listing a directory never wakes the device.
    if (!listDir(device).includes("gpu_busy_percent")) continue;
    const vendorId = (readAttr(`${device}/vendor`) ?? "").toLowerCase();
    const suspended = readAttr(`${device}/power/runtime_status`) === "suspended";

    let utilization: number | null = 0;
    let tempC: number | null = null;
    if (!suspended) {
      const busy = await sensors.read(`${device}/gpu_busy_percent`);
      utilization = parseNumberFile(busy.kind === "text" ? busy.text : null);
      // A GPU whose firmware did not answer is not asked for its temperature too (one timeout per card, not two).
      // temp1 of amdgpu's hwmon is the "edge" sensor, the one tools show as the GPU temperature.
      for (const hwmon of busy.kind === "slow" || busy.kind === "skipped" ? [] : byNumber(listDir(`${device}/hwmon`), "hwmon")) {
        tempC = parseMillidegrees(await sensors.readText(`${device}/hwmon/${hwmon}/temp1_input`));
        if (tempC !== null) break;
      }
    }
    const product = readAttr(`${device}/product_name`) ?? "";
    gpus.push({
      name: product !== "" ? product : `amdgpu ${card}`,
      // gpu_busy_percent is amdgpu's, so a card without a vendor file is AMD's too.
      vendor: vendorId === "" ? "amd" : (PCI_VENDORS[vendorId] ?? vendorId),
      utilization,
      memTotal: parseNumberFile(readAttr(`${device}/mem_info_vram_total`)),
      memUsed: parseNumberFile(readAttr(`${device}/mem_info_vram_used`)),
      tempC,
    });
  }
  return gpus;
}
