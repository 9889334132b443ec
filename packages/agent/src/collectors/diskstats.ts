/**
 * Disk I/O from /proc/diskstats: bytes and operations per second per block
 * device, whole disks followed by their partitions as in the disks reply.
 *
 * Rates are differences between two readings divided by the wall time
 * between them. The collector keeps the previous reading; it takes one when
 * constructed so that the first request measures a real interval, and
 * otherwise reads only when asked (no timer).
 */
import { existsSync } from "node:fs";
import { readTextSync } from "./procfs.js";
import { monotonicMs } from "../clock.js";

/** /proc/diskstats counts sectors of 512 bytes whatever the device's sector size (see Documentation/admin-guide/iostats.rst). */
export const DISKSTATS_SECTOR_BYTES = 512;

/** The cumulative counters of one line of /proc/diskstats. */
export interface DiskCounters {
  major: number;
  minor: number;
  name: string;
  /** Reads and writes completed. */
  reads: number;
  writes: number;
  /** Sectors (512 bytes) read and written. */
  readSectors: number;
  writeSectors: number;
  /** Milliseconds spent doing I/O (the "busy" time iostat's %util uses). */
  ioMs: number;
}

const INTEGER = /^[0-9]+$/;

/**
 * Parses /proc/diskstats. Lines with fewer than the 14 classic fields, or
 * non-numeric counters, are skipped: kernels since 4.18 and 5.5 append
 * discard and flush fields, which are ignored.
 */
export function parseDiskstats(text: string): DiskCounters[] {
  const rows: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const numbers = [f[0], f[1], f[3], f[5], f[7], f[9], f[12]] as string[];
    if (!numbers.every((n) => INTEGER.test(n))) continue;
    rows.push({
      major: Number(f[0]),
      minor: Number(f[1]),
      name: f[2] as string,
      reads: Number(f[3]),
      readSectors: Number(f[5]),
      writes: Number(f[7]),
      writeSectors: Number(f[9]),
      ioMs: Number(f[12]),
    });
  }
  return rows;
}

/**
 * Devices that are not disks: loop devices (files mounted as disks, counted
 * again on the disk holding the file), RAM disks and floppy drives. Device
 * mapper, md and zram are kept: they are where LVM volumes, RAID arrays and
 * compressed swap show their traffic.
 */
export function isVirtualNoise(name: string): boolean {
  return /^(loop|ram|fd)[0-9]+$/.test(name);
}

/** One device's I/O: rates since the previous reading (null on the first) and the cumulative totals. */
export interface DiskIo {
  name: string;
  is_partition: boolean;
  read_bytes_per_sec: number | null;
  write_bytes_per_sec: number | null;
  reads_per_sec: number | null;
  writes_per_sec: number | null;
  /** Share of the interval the device was busy (0..100), as iostat's %util. */
  busy_percent: number | null;
  read_bytes: number;
  write_bytes: number;
  reads: number;
  writes: number;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** A rate from two cumulative counters; null when there is no interval or the counter went back (device re-attached). */
function rate(before: number | undefined, after: number, seconds: number): number | null {
  if (before === undefined || !(seconds > 0) || after < before) return null;
  return round2((after - before) / seconds);
}

/** The whole disk a partition belongs to: the longest whole-disk name it starts with (sda1 → sda, nvme0n1p2 → nvme0n1). */
function parentOf(name: string, wholeDisks: readonly string[]): string | null {
  let best: string | null = null;
  for (const disk of wholeDisks) {
    if (name !== disk && name.startsWith(disk) && (best === null || disk.length > best.length)) best = disk;
  }
  return best;
}

/**
 * Rates between two readings, whole disks followed by their partitions
 * (each group in name order), as the disks reply orders them.
 */
export function diskIoRates(
  previous: ReadonlyMap<string, DiskCounters> | null,
  current: readonly DiskCounters[],
  seconds: number,
  isPartition: (name: string) => boolean,
): DiskIo[] {
  const rows = current
    .filter((d) => !isVirtualNoise(d.name))
    .map((d): DiskIo => {
      const before = previous?.get(d.name);
      const busy = rate(before?.ioMs, d.ioMs, seconds);
      return {
        name: d.name,
        is_partition: isPartition(d.name),
        read_bytes_per_sec: rate(before && before.readSectors * DISKSTATS_SECTOR_BYTES, d.readSectors * DISKSTATS_SECTOR_BYTES, seconds),
        write_bytes_per_sec: rate(before && before.writeSectors * DISKSTATS_SECTOR_BYTES, d.writeSectors * DISKSTATS_SECTOR_BYTES, seconds),
        reads_per_sec: rate(before?.reads, d.reads, seconds),
        writes_per_sec: rate(before?.writes, d.writes, seconds),
        // ms busy per second of wall time, /1000 ×100 → percent.
        busy_percent: busy === null ? null : Math.min(100, round2(busy / 10)),
        read_bytes: d.readSectors * DISKSTATS_SECTOR_BYTES,
        write_bytes: d.writeSectors * DISKSTATS_SECTOR_BYTES,
        reads: d.reads,
        writes: d.writes,
      };
    });
  const whole = rows.filter((r) => !r.is_partition).map((r) => r.name);
  const key = (r: DiskIo): string => (r.is_partition ? (parentOf(r.name, whole) ?? r.name) : r.name);
  return rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka < kb ? -1 : 1;
    if (a.is_partition !== b.is_partition) return a.is_partition ? 1 : -1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

export interface DiskIoCollectorOptions {
  procRoot?: string;
  sysRoot?: string;
  /** Milliseconds, monotonic (tests inject a clock). */
  now?: () => number;
}

export class DiskIoCollector {
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly now: () => number;
  private previous: Map<string, DiskCounters> | null = null;
  private previousAt = 0;
  private readonly partitions = new Map<string, boolean>();

  constructor(options: DiskIoCollectorOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    this.sysRoot = options.sysRoot ?? "/sys";
    this.now = options.now ?? monotonicMs;
  }

  /** Takes the reading the first collectSync() measures from. */
  baselineSync(): void {
    this.collectSync();
  }

  /** Every disk with rates since the previous call (/proc/diskstats, read synchronously). Throws when it cannot be read. */
  collectSync(): DiskIo[] {
    const text = readTextSync(`${this.procRoot}/diskstats`);
    if (text === null) throw new Error(`cannot read ${this.procRoot}/diskstats`);
    const at = this.now();
    const current = parseDiskstats(text);
    const rows = diskIoRates(this.previous, current, (at - this.previousAt) / 1000, (name) => this.isPartition(name));
    this.previous = new Map(current.map((d) => [d.name, d]));
    this.previousAt = at;
    return rows;
  }

  /** sysfs marks partitions with a `partition` attribute; remembered per name (devices rarely change role). */
  private isPartition(name: string): boolean {
    let known = this.partitions.get(name);
    if (known === undefined) {
      known = existsSync(`${this.sysRoot}/class/block/${name}/partition`);
      if (this.partitions.size > 4096) this.partitions.clear();
      this.partitions.set(name, known);
    }
    return known;
  }
}
