/**
 * Mounted filesystems backed by block devices, as the socktop disk panel
 * shows them: each whole disk followed by its partitions.
 *
 * The mount table comes from /proc/self/mountinfo (it carries the device
 * number, which /proc/mounts does not); the device behind a mount is found in
 * sysfs through /sys/dev/block/MAJ:MIN, whose link target names the kernel
 * device and, for a partition, sits inside its disk's directory.
 *
 * Only block-device mounts are statfs()ed: network filesystems are never
 * touched, so a stale NFS server cannot hang a disks request.
 */
import { realpath, stat, statfs as fsStatfs } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { DiskInfo } from "@socktop/protocol";
import { monotonicMs } from "../clock.js";
import { exists } from "../fs-util.js";
import type { Collector } from "./collector.js";
import { listDir, parseNumberFile, readAttributeSync, readTextSync } from "./procfs.js";
import { defaultSensorReader, type SensorReader } from "./sensor-reader.js";

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bavail: number;
}

/** One line of /proc/<pid>/mountinfo (see proc(5)). Paths are unescaped. */
export interface MountEntry {
  mountId: number;
  parentId: number;
  /** "MAJ:MIN" of the filesystem's device; major 0 for pseudo filesystems, but also btrfs. */
  majorMinor: string;
  /** The directory of the filesystem that forms this mount's root ("/" unless a bind mount or subvolume). */
  root: string;
  mountPoint: string;
  fsType: string;
  /** Filesystem-specific source, e.g. "/dev/nvme0n1p2", "tmpfs", "overlay". */
  source: string;
  /** Per-mount options (field 6), e.g. "rw,relatime". */
  options: string;
}

/** The kernel escapes space, tab, newline and backslash in mountinfo paths as \ooo. */
function unescapeOctal(field: string): string {
  if (!field.includes("\\")) return field;
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses /proc/self/mountinfo:
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
 * The number of optional fields (shared:, master:, …) varies; they end at a
 * lone "-". Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    // Escaping guarantees that no field contains a literal space.
    const fields = line.trim().split(" ");
    if (fields.length < 10) continue;
    const separator = fields.indexOf("-", 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    const majorMinor = fields[2] as string;
    if (!Number.isInteger(mountId) || !Number.isInteger(parentId) || !/^\d+:\d+$/.test(majorMinor)) continue;
    mounts.push({
      mountId,
      parentId,
      majorMinor,
      root: unescapeOctal(fields[3] as string),
      mountPoint: unescapeOctal(fields[4] as string),
      options: fields[5] as string,
      fsType: unescapeOctal(fields[separator + 1] as string),
      source: unescapeOctal(fields[separator + 2] as string),
    });
  }
  return mounts;
}

/** Ramdisks, loop devices (snaps, images) and compressed RAM swap are not disks to the user. */
const SKIPPED_DEVICE = /^(loop|ram|zram)\d/;

/** A block device as sysfs describes it. */
interface BlockDevice {
  /** Kernel name, e.g. "nvme0n1p2". */
  name: string;
  /** Resolved sysfs directory of the device. */
  dir: string;
  isPartition: boolean;
}

/** One filesystem we will report, with the mount points it is reachable at (best first). */
interface Candidate {
  device: BlockDevice;
  mounts: MountEntry[];
}

interface Sized {
  total: number;
  available: number;
}

/**
 * Natural order, so that nvme0n1p2 sorts before nvme0n1p10 and sdb before
 * sdaa: runs of digits compare as numbers, other characters
 * case-insensitively with punctuation before digits before letters, as
 * Intl.Collator("en", { numeric: true }) orders kernel device and sysfs names
 * (a test holds the two equal on such names). Written out because creating
 * that collator loads ICU's collation data: ~8 ms of the agent's start-up and
 * ~3 MB of its VmRSS.
 */
export function byName(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      const na = Number(a.slice(i, ei));
      const nb = Number(b.slice(j, ej));
      if (na !== nb) return na < nb ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    const wa = weight(ca);
    const wb = weight(cb);
    if (wa !== wb) return wa < wb ? -1 : 1;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0 || a === b) return rest;
  // Equal but for case: lower case first, as the collator puts it (reverse code point order of the letters).
  if (a.toLowerCase() === b.toLowerCase()) return a > b ? -1 : 1;
  return a < b ? -1 : 1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** ASCII spaces and punctuation in the order of ICU's root collation, all before digits and letters. */
const PUNCTUATION = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

/** Spaces and punctuation first, then digits, then letters (case folded), then the rest of Unicode. */
function weight(c: number): number {
  if (isDigit(c)) return 0x100 + c;
  if (c >= 65 && c <= 90) return 0x200 + c + 32;
  if (c >= 97 && c <= 122) return 0x200 + c;
  const p = c < 128 ? PUNCTUATION.indexOf(String.fromCharCode(c)) : -1;
  return p >= 0 ? p : 0x300 + c;
}

/** How long devices resolved for an unchanged mount table are reused. */
const DEVICE_REFRESH_MS = 60_000;

export interface DiskCollectorOptions {
  procRoot?: string;
  sysRoot?: string;
  statfs?: (mountPoint: string) => Promise<StatfsResult>;
  /** Reads the NVMe temperature inputs (they send the drive an admin command) with a timeout. */
  sensors?: SensorReader;
}

/** An NVMe temperature input ("35850\n", millidegrees) in °C; null when not a number. */
function millidegrees(text: string | null): number | null {
  const value = parseNumberFile(text);
  return value === null ? null : value / 1000;
}

/**
 * Which mount point of a filesystem seen at several places to measure: the
 * shortest (sort() is stable, so the first among equals). Every mount point
 * of one filesystem reports the same statfs; this only decides which one is
 * tried first.
 */
function preferMount(a: MountEntry, b: MountEntry): number {
  return a.mountPoint.length - b.mountPoint.length;
}

export class DiskCollector implements Collector<DiskInfo[]> {
  readonly name = "disks";
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly statfs: (mountPoint: string) => Promise<StatfsResult>;
  private readonly sensors: SensorReader;
  /**
   * Temperature input file per whole-disk sysfs directory; null = the disk
   * has no Composite sensor. Finding it takes several readdirs, the sensor
   * set of a device does not change while it exists, and the key (the
   * device's sysfs path) changes when a different device appears.
   */
  private readonly temperatureInputs = new Map<string, string | null>();
  /**
   * The block device behind each mount, for the mount table they were
   * resolved from. Resolving takes a realpath and a stat per mount (thread-pool
   * calls); a mount's device does not change while it is mounted, so an
   * unchanged table reuses them, looked up afresh every DEVICE_REFRESH_MS all
   * the same (a device yanked while mounted leaves its sysfs entry).
   */
  private resolved: { table: string; at: number; devices: Array<BlockDevice | null> } | null = null;

  constructor(options: DiskCollectorOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    this.sysRoot = options.sysRoot ?? "/sys";
    this.statfs = options.statfs ?? ((path) => fsStatfs(path));
    this.sensors = options.sensors ?? defaultSensorReader();
  }

  async collect(): Promise<DiskInfo[]> {
    const text = readTextSync(`${this.procRoot}/self/mountinfo`);
    if (text === null) return [];
    // readTextSync decodes latin1 (every byte kept); paths are UTF-8 in practice and statfs() re-encodes them so.
    const mounts = parseMountinfo(Buffer.from(text, "latin1").toString("utf8"));

    const devices = await this.devicesOf(text, mounts);
    const candidates = new Map<string, Candidate>();
    let rootMount: MountEntry | undefined;
    let rootDevice: BlockDevice | null = null;
    for (const [i, mount] of mounts.entries()) {
      const device = devices[i] ?? null;
      if (mount.mountPoint === "/") {
        // The last "/" entry is the one on top (a container may show the host's beneath it).
        rootMount = mount;
        rootDevice = device;
      }
      if (device === null || SKIPPED_DEVICE.test(device.name)) continue;
      const candidate = candidates.get(device.name);
      if (candidate === undefined) candidates.set(device.name, { device, mounts: [mount] });
      else candidate.mounts.push(mount);
    }

    const sized = new Map<string, Sized>();
    await Promise.all(
      [...candidates.values()].map(async (candidate) => {
        const size = await this.sizeOf(candidate.mounts);
        if (size !== null) sized.set(candidate.device.name, size);
      }),
    );

    // Group: whole disk name -> its own size (when mounted itself) and mounted partitions.
    interface Group {
      dir: string | null;
      own: Sized | null;
      partitions: { name: string; size: Sized }[];
    }
    const groups = new Map<string, Group>();
    const groupOf = (name: string, dir: string | null): Group => {
      let group = groups.get(name);
      if (group === undefined) {
        group = { dir, own: null, partitions: [] };
        groups.set(name, group);
      }
      return group;
    };
    for (const { device } of candidates.values()) {
      const size = sized.get(device.name);
      if (size === undefined) continue;
      if (device.isPartition) {
        const diskDir = dirname(device.dir);
        groupOf(basename(diskDir), diskDir).partitions.push({ name: device.name, size });
      } else {
        const group = groupOf(device.name, device.dir);
        group.dir = device.dir;
        group.own = size;
      }
    }

    // A root that is no block device (a container's overlay, a tmpfs or ZFS
    // root) would otherwise be invisible; so would a root on a device skipped
    // above (a live system on a loop device).
    if (rootMount !== undefined && (rootDevice === null || SKIPPED_DEVICE.test(rootDevice.name))) {
      const size = await this.sizeOf([rootMount]);
      const name =
        rootDevice?.name ?? (rootMount.source !== "" && rootMount.source !== "none" ? rootMount.source : rootMount.fsType);
      if (size !== null && !groups.has(name)) groups.set(name, { dir: null, own: size, partitions: [] });
    }

    // Read at once: each disk's sensor is bounded by the sensor timeout, so
    // several drives that do not answer delay the reply by one timeout, not one each.
    const names = [...groups.keys()].sort(byName);
    const temperatures = await Promise.all(
      names.map((name) => {
        const dir = (groups.get(name) as Group).dir;
        return dir === null ? null : this.temperatureOf(dir, name);
      }),
    );
    const disks: DiskInfo[] = [];
    for (const [i, name] of names.entries()) {
      const group = groups.get(name) as Group;
      const partitions = group.partitions.sort((a, b) => byName(a.name, b.name));
      // An unmounted disk with mounted partitions gets a summary row so that its partitions have a parent.
      const own = group.own ?? {
        total: partitions.reduce((sum, p) => sum + p.size.total, 0),
        available: partitions.reduce((sum, p) => sum + p.size.available, 0),
      };
      const temperature = temperatures[i] ?? null;
      disks.push({ name, total: own.total, available: own.available, temperature, is_partition: false });
      // The temperature is the disk's; repeating it on every partition would
      // suggest per-partition sensors, so partitions carry null.
      for (const p of partitions) {
        disks.push({ name: p.name, total: p.size.total, available: p.size.available, temperature: null, is_partition: true });
      }
    }
    return disks;
  }

  private async devicesOf(table: string, mounts: MountEntry[]): Promise<Array<BlockDevice | null>> {
    const now = monotonicMs();
    const last = this.resolved;
    if (last !== null && last.table === table && now - last.at < DEVICE_REFRESH_MS) return last.devices;
    const devices = await Promise.all(mounts.map((mount) => this.resolveDevice(mount)));
    this.resolved = { table, at: now, devices };
    return devices;
  }

  /**
   * The first usable size among a filesystem's mount points. A failing
   * statfs (EACCES, a mount that just vanished) falls through to the next
   * mount point of the same filesystem, or drops the filesystem.
   */
  private async sizeOf(mounts: MountEntry[]): Promise<Sized | null> {
    for (const mount of [...mounts].sort(preferMount)) {
      let result: StatfsResult;
      try {
        result = await this.statfs(mount.mountPoint);
      } catch {
        continue;
      }
      const total = result.blocks * result.bsize;
      if (!(total > 0)) return null; // an empty filesystem is not worth a row
      return { total, available: Math.max(0, result.bavail * result.bsize) };
    }
    return null;
  }

  /** The block device behind a mount, or null for pseudo and network filesystems. */
  private async resolveDevice(mount: MountEntry): Promise<BlockDevice | null> {
    if (!mount.majorMinor.startsWith("0:")) {
      const device = await this.deviceAt(`${this.sysRoot}/dev/block/${mount.majorMinor}`);
      if (device !== null) return device;
    }
    // btrfs reports an anonymous 0:N device number for every subvolume, and
    // some kernels lack /sys/dev/block: fall back to the source's name.
    if (mount.source.startsWith("/dev/")) {
      const device = await this.deviceAt(`${this.sysRoot}/class/block/${basename(mount.source)}`);
      if (device !== null) return device;
      // /dev/mapper/NAME and /dev/disk/by-*/… are links to the kernel name.
      return this.deviceOfNode(mount.source);
    }
    return null;
  }

  private async deviceAt(link: string): Promise<BlockDevice | null> {
    let dir: string;
    try {
      dir = await realpath(link);
    } catch {
      return null;
    }
    return { name: basename(dir), dir, isPartition: await exists(`${dir}/partition`) };
  }

  /** Resolves a device node through its device number (stat of the node, not of a file on it). */
  private async deviceOfNode(node: string): Promise<BlockDevice | null> {
    try {
      const info = await stat(node, { bigint: true });
      if (!info.isBlockDevice()) return null;
      // glibc's dev_t layout: major in bits 8..19 and 32..63, minor in bits 0..7 and 20..31.
      const rdev = info.rdev;
      const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
      const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
      return await this.deviceAt(`${this.sysRoot}/dev/block/${major}:${minor}`);
    } catch {
      return null;
    }
  }

  /** NVMe "Composite" temperature of a whole disk in °C, or null (also when the drive does not answer in time). */
  private async temperatureOf(diskDir: string, name: string): Promise<number | null> {
    const cached = this.temperatureInputs.get(diskDir);
    if (cached === null) return null;
    if (cached !== undefined) {
      const reading = await this.sensors.read(cached);
      if (reading.kind === "slow" || reading.kind === "skipped") return null;
      const value = millidegrees(reading.kind === "text" ? reading.text : null);
      if (value !== null) return value;
      // hwmon devices are renumbered when the driver rebinds: look again.
    }
    const input = this.findCompositeInput(diskDir, name);
    this.temperatureInputs.set(diskDir, input);
    return input === null ? null : millidegrees(await this.sensors.readText(input));
  }

  /** The input file next to a "Composite" label; labels are driver strings, read without touching the drive. */
  private findCompositeInput(diskDir: string, name: string): string | null {
    // /sys/block/<disk>/device is the NVMe controller (nvme0) for a namespace;
    // its hwmon is directly below it on current kernels and below the PCI
    // device (device/hwmon/hwmonN) on 5.5-era kernels. The class/nvme entry
    // covers multipath namespaces, whose device is the subsystem.
    const bases = [`${diskDir}/device`, `${diskDir}/device/device`];
    const controller = /^nvme(\d+)n\d+$/.exec(name);
    if (controller !== null) {
      bases.push(`${this.sysRoot}/class/nvme/nvme${controller[1]}`, `${this.sysRoot}/class/nvme/nvme${controller[1]}/device`);
    }
    for (const base of bases) {
      for (const hwmon of this.hwmonDirs(base)) {
        for (const entry of (listDir(hwmon)).sort(byName)) {
          const match = /^(temp\d+)_label$/.exec(entry);
          if (match === null) continue;
          const label = readAttributeSync(`${hwmon}/${entry}`);
          if (label?.trim() === "Composite") return `${hwmon}/${match[1]}_input`;
        }
      }
    }
    return null;
  }

  /** hwmonN directories directly in `base` or in its `hwmon/` class directory. */
  private hwmonDirs(base: string): string[] {
    const dirs: string[] = [];
    for (const entry of listDir(base)) {
      if (entry === "hwmon") {
        for (const inner of listDir(`${base}/hwmon`)) {
          if (/^hwmon\d+$/.test(inner)) dirs.push(`${base}/hwmon/${inner}`);
        }
      } else if (/^hwmon\d+$/.test(entry)) {
        dirs.push(`${base}/${entry}`);
      }
    }
    return dirs;
  }
}
