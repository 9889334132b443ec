/**
 * Disks from systeminformation's fsSize() and blockDevices(): mounted
 * filesystems on a device, each device once, whole disks before their
 * partitions (sorted by name, which puts "sda" before "sda1" and "disk0"
 * before "disk0s1").
 */
import type { DiskInfo } from "@socktop/protocol";
import type { SiBlockDevice, SiFsSize } from "./system-information.js";

/** "/dev/sda1" → "sda1"; "C:" stays "C:". Pseudo filesystems (tmpfs, overlay, map auto_home) → null. */
export function deviceName(fs: string): string | null {
  if (/^[A-Za-z]:$/.test(fs)) return fs.toUpperCase();
  if (!fs.startsWith("/dev/")) return null;
  const name = fs.slice("/dev/".length);
  return name === "" || /^(loop|ram|zram)\d/.test(name) ? null : name;
}

export function disksFromSi(filesystems: readonly SiFsSize[], devices: readonly SiBlockDevice[]): DiskInfo[] {
  const partitions = new Set(devices.filter((d) => d.type === "part").map((d) => d.name));
  const seen = new Map<string, DiskInfo>();
  for (const fs of filesystems) {
    const name = deviceName(fs.fs);
    if (name === null || seen.has(name) || !Number.isFinite(fs.size) || fs.size <= 0) continue;
    seen.set(name, {
      name,
      total: fs.size,
      available: Math.max(0, Number.isFinite(fs.available) ? fs.available : 0),
      temperature: null,
      is_partition: partitions.has(name) || /^(sd[a-z]+|vd[a-z]+|hd[a-z]+|xvd[a-z]+)\d+$|^(nvme\d+n\d+|mmcblk\d+)p\d+$|^disk\d+s\d+/.test(name),
    });
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
