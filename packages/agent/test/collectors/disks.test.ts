import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DiskInfo } from "@socktop/protocol";
import { byName, DiskCollector, parseMountinfo, type StatfsResult } from "../../src/collectors/disks.js";
import { SensorReader } from "../../src/collectors/sensor-reader.js";
import { makeFifos, releaseFifos } from "../helpers/fifo.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/disks", import.meta.url));

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

interface SysfsSpec {
  blocks: { path: string; dev: string; partition?: number }[];
  links: Record<string, string>;
  files: Record<string, string>;
}

/** Builds the fixture sysfs (devices/, dev/block/, class/block/, class/nvme/) in a temp dir. */
function sysTree(): string {
  const sys = tempDir("socktop-sys-");
  const spec = JSON.parse(readFileSync(join(FIXTURES, "sysfs.json"), "utf8")) as SysfsSpec;
  const link = (at: string, target: string): void => {
    mkdirSync(dirname(join(sys, at)), { recursive: true });
    symlinkSync(target, join(sys, at));
  };
  for (const block of spec.blocks) {
    const dir = join(sys, "devices", block.path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "dev"), `${block.dev}\n`);
    if (block.partition !== undefined) writeFileSync(join(dir, "partition"), `${block.partition}\n`);
    link(`dev/block/${block.dev}`, `../../devices/${block.path}`);
    link(`class/block/${basename(block.path)}`, `../../devices/${block.path}`);
  }
  for (const [at, target] of Object.entries(spec.links)) link(at, target);
  for (const [at, content] of Object.entries(spec.files)) {
    mkdirSync(dirname(join(sys, at)), { recursive: true });
    writeFileSync(join(sys, at), content);
  }
  return sys;
}

/** A /proc holding only self/mountinfo. */
function procWithMountinfo(text: string): string {
  const proc = tempDir("socktop-proc-");
  mkdirSync(join(proc, "self"));
  writeFileSync(join(proc, "self", "mountinfo"), text);
  return proc;
}
const fixtureMountinfo = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

const GiB = 1024 ** 3;
const fs4k = (totalGiB: number, availGiB: number): StatfsResult => ({
  bsize: 4096,
  blocks: (totalGiB * GiB) / 4096,
  bavail: (availGiB * GiB) / 4096,
});

/** statfs stand-in: sizes by mount point, an Error to throw, and a log of every call. */
function fakeStatfs(sizes: Record<string, StatfsResult | Error>) {
  const calls: string[] = [];
  const fn = async (mountPoint: string): Promise<StatfsResult> => {
    calls.push(mountPoint);
    const size = sizes[mountPoint];
    if (size === undefined) throw Object.assign(new Error(`ENOENT: ${mountPoint}`), { code: "ENOENT" });
    if (size instanceof Error) throw size;
    return size;
  };
  return { fn, calls };
}

const disk = (name: string, totalGiB: number, availGiB: number, temperature: number | null = null): DiskInfo => ({
  name,
  total: totalGiB * GiB,
  available: availGiB * GiB,
  temperature,
  is_partition: false,
});
const part = (name: string, totalGiB: number, availGiB: number): DiskInfo => ({
  ...disk(name, totalGiB, availGiB),
  is_partition: true,
});

describe("parseMountinfo", () => {
  it("reads every field and unescapes paths", () => {
    const [entry] = parseMountinfo(
      "34 21 8:17 / /media/user/My\\040Backup\\011tab\\134slash rw,nosuid shared:37 - exfat /dev/disk\\040a rw,uid=1000\n",
    );
    assert.deepEqual(entry, {
      mountId: 34,
      parentId: 21,
      majorMinor: "8:17",
      root: "/",
      mountPoint: "/media/user/My Backup\ttab\\slash",
      options: "rw,nosuid",
      fsType: "exfat",
      source: "/dev/disk a",
    });
  });

  it("accepts zero or several optional fields before the separator", () => {
    const mounts = parseMountinfo(
      [
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
        "40 22 0:60 / /mnt/x rw shared:4 master:2 propagate_from:2 unbindable - nfs4 nas:/export rw,vers=4.2",
      ].join("\n"),
    );
    assert.deepEqual(
      mounts.map((m) => [m.mountPoint, m.fsType, m.source, m.options]),
      [
        ["/", "ext4", "/dev/vda", "rw,relatime"],
        ["/mnt2", "ext3", "/dev/root", "rw,noatime"],
        ["/mnt/x", "nfs4", "nas:/export", "rw"],
      ],
    );
  });

  it("keeps bind mounts and subvolumes with their root inside the filesystem", () => {
    const mounts = parseMountinfo(fixtureMountinfo("mountinfo-desktop.txt"));
    assert.equal(mounts.length, 25);
    const docker = mounts.find((m) => m.mountPoint === "/var/lib/docker");
    assert.equal(docker?.root, "/var/lib/docker");
    assert.equal(docker?.majorMinor, "259:2");
    const snapshots = mounts.find((m) => m.mountPoint === "/data/.snapshots");
    assert.deepEqual([snapshots?.root, snapshots?.parentId, snapshots?.majorMinor], ["/@snapshots", 37, "0:51"]);
  });

  it("skips malformed lines", () => {
    const good = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw";
    const mounts = parseMountinfo(
      [
        "",
        "garbage",
        "27 1 254:0 / / rw,relatime ext4 /dev/vda rw extra fields", // no separator
        "27 1 254 / / rw,relatime - ext4 /dev/vda rw", // device number without minor
        "x 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
        "27 1 254:0 / / rw,relatime - ext4", // nothing after the type
        good,
        "",
      ].join("\n"),
    );
    assert.deepEqual(mounts.map((m) => m.source), ["/dev/vda"]);
  });

  it("parses this machine's mount table", () => {
    const text = readFileSync("/proc/self/mountinfo", "utf8");
    const mounts = parseMountinfo(text);
    assert.equal(mounts.length, text.trim().split("\n").length);
    assert.ok(mounts.some((m) => m.mountPoint === "/"));
  });
});

describe("DiskCollector with fixture /proc and /sys", () => {
  const desktopSizes = (): Record<string, StatfsResult | Error> => ({
    "/": fs4k(400, 150),
    "/var/lib/docker": fs4k(1, 1), // same filesystem as "/": must not be used
    "/boot/efi": fs4k(1, 0.5),
    "/srv": { bsize: 1024, blocks: 50 * 1024 * 1024, bavail: 20 * 1024 * 1024 }, // 50 GiB in 1 KiB blocks
    "/home": fs4k(300, 100),
    "/mnt/data": fs4k(900, 800),
    "/mnt/empty": { bsize: 4096, blocks: 0, bavail: 0 },
    "/media/user/My Backup": fs4k(64, 60),
    "/mnt/whole": fs4k(2000, 1500),
    "/mnt/gone": Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" }),
    "/data": fs4k(500, 250),
    "/data/.snapshots": fs4k(2, 2),
    "/mnt/games": fs4k(1000, 10),
    "/mnt/fast": fs4k(250, 200),
    "/mnt/old": fs4k(100, 90),
    // Would be listed if the collector statfs()ed them.
    "/mnt/nas": fs4k(8000, 4000),
    "/snap/core22/1033": fs4k(3, 0),
    "/mnt/zram": fs4k(4, 4),
    "/mnt/ram": fs4k(4, 4),
    "/run": fs4k(2, 2),
  });

  it("lists each disk followed by its partitions, once per device, in natural name order", async () => {
    const statfs = fakeStatfs(desktopSizes());
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot: sysTree(),
      statfs: statfs.fn,
    });
    const disks = await collector.collect();
    assert.deepEqual(disks, [
      disk("dm-0", 300, 100),
      // nvme0n1 itself is not mounted: a summary of its mounted partitions, with the drive's sensor.
      disk("nvme0n1", 1 + 400 + 50, 0.5 + 150 + 20, 38.85),
      part("nvme0n1p1", 1, 0.5),
      part("nvme0n1p2", 400, 150),
      part("nvme0n1p10", 50, 20),
      disk("nvme1n1", 1000, 10, 45), // sensor below the PCI device (device/hwmon/hwmon1)
      part("nvme1n1p1", 1000, 10),
      disk("nvme2n1", 250, 200, 50.5), // multipath namespace: sensor found through class/nvme, label temp2
      disk("nvme3n1", 100, 90, 29.85), // multipath on a 5.5-era kernel: class/nvme/nvme3/device/hwmon/hwmon4
      disk("sda", 900, 800), // a drivetemp sensor is not NVMe "Composite"
      part("sda1", 900, 800),
      disk("sdb", 64, 60),
      part("sdb1", 64, 60),
      disk("sdc", 2000, 1500), // a filesystem on the whole disk
      disk("sde", 500, 250), // btrfs: anonymous 0:N device numbers, resolved through the source
      part("sde2", 500, 250),
    ]);
    // Pseudo, network, loop, ram and zram mounts are never even statfs()ed.
    for (const skipped of ["/proc", "/sys", "/run", "/dev", "/mnt/nas", "/snap/core22/1033", "/mnt/zram", "/mnt/ram"]) {
      assert.ok(!statfs.calls.includes(skipped), `statfs(${skipped})`);
    }
    assert.ok(!statfs.calls.some((m) => m.includes("overlay") || m.startsWith("/run/user")));
    // One statfs per device: the best mount point of each.
    assert.ok(!statfs.calls.includes("/var/lib/docker") && !statfs.calls.includes("/data/.snapshots"));
  });

  it("falls back to another mount point of the same device when statfs fails", async () => {
    const sizes = desktopSizes();
    sizes["/"] = Object.assign(new Error("ESTALE"), { code: "ESTALE" });
    sizes["/var/lib/docker"] = fs4k(400, 149);
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot: sysTree(),
      statfs: fakeStatfs(sizes).fn,
    });
    const disks = await collector.collect();
    assert.deepEqual(
      disks.find((d) => d.name === "nvme0n1p2"),
      part("nvme0n1p2", 400, 149),
    );
  });

  it("drops a device whose every statfs fails, and an empty filesystem", async () => {
    const sizes = desktopSizes();
    sizes["/mnt/data"] = new Error("EIO");
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot: sysTree(),
      statfs: fakeStatfs(sizes).fn,
    });
    const names = (await collector.collect()).map((d) => d.name);
    // sda's partitions: sda1 failed, sda2 is empty; sdd1 is EACCES in every run.
    for (const gone of ["sda", "sda1", "sda2", "sdd", "sdd1"]) assert.ok(!names.includes(gone), gone);
    assert.ok(names.includes("sdb1"));
  });

  it("shows a container's overlay root next to the host disk behind its bind mounts", async () => {
    const statfs = fakeStatfs({
      "/": fs4k(400, 150), // the overlay reports the host filesystem under it
      "/etc/hosts": fs4k(400, 151),
      "/etc/hostname": fs4k(1, 1),
      "/etc/resolv.conf": fs4k(1, 1),
    });
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-container.txt")),
      sysRoot: sysTree(),
      statfs: statfs.fn,
    });
    assert.deepEqual(await collector.collect(), [
      disk("nvme0n1", 400, 151, 38.85),
      part("nvme0n1p2", 400, 151), // the shortest of the three bind-mounted files
      disk("overlay", 400, 150),
    ]);
    assert.deepEqual(statfs.calls.sort(), ["/", "/etc/hosts"]);
  });

  it("names a non-block root after its source, or its type when the source says nothing", async () => {
    const sysRoot = sysTree();
    const cases: [string, string][] = [
      ["1 0 0:30 / / rw - tmpfs none rw", "tmpfs"],
      ["1 0 0:31 / / rw - zfs rpool/ROOT/ubuntu rw,xattr", "rpool/ROOT/ubuntu"],
      ["1 0 7:0 / / ro - squashfs /dev/loop0 ro", "loop0"], // a live system: root on a loop device
    ];
    for (const [line, name] of cases) {
      const collector = new DiskCollector({
        procRoot: procWithMountinfo(`${line}\n2 1 0:21 / /proc rw - proc proc rw\n`),
        sysRoot,
        statfs: fakeStatfs({ "/": fs4k(8, 4) }).fn,
      });
      assert.deepEqual(await collector.collect(), [disk(name, 8, 4)], line);
    }
  });

  it("returns an empty list, not an error, when nothing can be measured", async () => {
    const sysRoot = sysTree();
    const overlayRoot = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-container.txt")),
      sysRoot,
      statfs: async () => {
        throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      },
    });
    assert.deepEqual(await overlayRoot.collect(), []);
    const noMountinfo = new DiskCollector({ procRoot: tempDir("socktop-proc-"), sysRoot, statfs: fakeStatfs({}).fn });
    assert.deepEqual(await noMountinfo.collect(), []);
    const noSysfs = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot: join(tempDir("socktop-sys-"), "missing"),
      statfs: fakeStatfs({}).fn,
    });
    assert.deepEqual(await noSysfs.collect(), []);
  });

  it("resolves mounts to devices again only when the mount table changes", async () => {
    const sysRoot = sysTree();
    const procRoot = procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt"));
    const collector = new DiskCollector({ procRoot, sysRoot, statfs: fakeStatfs(desktopSizes()).fn });
    const names = async (): Promise<string[]> => (await collector.collect()).map((d) => d.name);
    assert.ok((await names()).includes("sda1"));
    // The kernel can no longer tell which device 8:1 is (its sysfs links are gone): an
    // unchanged table keeps the device resolved from it, so sda1 stays without new lookups.
    rmSync(join(sysRoot, "dev/block/8:1"));
    rmSync(join(sysRoot, "class/block/sda1"));
    assert.ok((await names()).includes("sda1"));
    // Any change to the table (here a mount added elsewhere) resolves every mount afresh.
    const mountinfo = join(procRoot, "self", "mountinfo");
    writeFileSync(mountinfo, `${readFileSync(mountinfo, "utf8")}99 21 0:99 / /mnt/new rw - tmpfs tmpfs rw\n`);
    const after = await names();
    assert.ok(!after.includes("sda1"), after.join(" "));
    assert.ok(after.includes("nvme0n1p2"));
  });

  it("reads the temperature on every collection and finds a sensor again after it moved", async () => {
    const sysRoot = sysTree();
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot,
      statfs: fakeStatfs(desktopSizes()).fn,
    });
    const temperature = async (): Promise<number | null | undefined> =>
      (await collector.collect()).find((d) => d.name === "nvme0n1")?.temperature;
    assert.equal(await temperature(), 38.85);
    const controller = join(sysRoot, "devices/pci0000:00/0000:00:01.1/0000:01:00.0/nvme/nvme0");
    writeFileSync(join(controller, "hwmon2", "temp1_input"), "41000\n");
    assert.equal(await temperature(), 41);
    renameSync(join(controller, "hwmon2"), join(controller, "hwmon7")); // driver rebound, new number
    assert.equal(await temperature(), 41);
    rmSync(join(controller, "hwmon7"), { recursive: true });
    assert.equal(await temperature(), null);
  });

  it("a drive whose sensor does not answer: the list comes after the sensor timeout, its temperature null", async () => {
    const sysRoot = sysTree();
    const input = join(sysRoot, "devices/pci0000:00/0000:00:01.1/0000:01:00.0/nvme/nvme0/hwmon2/temp1_input");
    rmSync(input);
    makeFifos(input);
    const collector = new DiskCollector({
      procRoot: procWithMountinfo(fixtureMountinfo("mountinfo-desktop.txt")),
      sysRoot,
      statfs: fakeStatfs(desktopSizes()).fn,
      sensors: new SensorReader({ timeoutMs: 200 }),
    });
    try {
      for (const round of [1, 2]) {
        const t0 = performance.now();
        const disks = await collector.collect();
        const took = performance.now() - t0;
        assert.equal(disks.find((d) => d.name === "nvme0n1")?.temperature, null);
        assert.ok(disks.some((d) => d.name === "nvme0n1p2"), "the rest of the list is there");
        // The second collection does not wait: the hung sensor is remembered, not read again.
        assert.ok(took < (round === 1 ? 1500 : 150), `round ${round}: ${took.toFixed(0)} ms`);
      }
    } finally {
      releaseFifos([input]);
    }
  });
});

describe("DiskCollector on this machine", () => {
  it("lists the filesystem of / with the size df reports", async () => {
    const disks = await new DiskCollector().collect();
    const df = execFileSync("df", ["-B1", "--output=size", "/"], { encoding: "utf8" }).trim().split("\n");
    const dfTotal = Number(df[df.length - 1]);
    assert.ok(dfTotal > 0, `df: ${df.join(" | ")}`);
    const root = await statfs("/");
    assert.equal(root.blocks * root.bsize, dfTotal);

    // The device of "/" as the kernel names it, when "/" is on a block device sysfs knows.
    const dev = statSync("/", { bigint: true }).dev;
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    let kernelName: string | null = null;
    try {
      kernelName = basename(realpathSync(`/sys/dev/block/${major}:${minor}`));
    } catch {
      // overlay, tmpfs, btrfs subvolume…: any row with the root's size will do
    }
    const matches = disks.filter((d) => Math.abs(d.total - dfTotal) <= dfTotal * 0.01);
    assert.ok(matches.length > 0, `no disk of ${dfTotal} bytes in ${JSON.stringify(disks)}`);
    if (kernelName !== null) assert.ok(matches.some((d) => d.name === kernelName), `${kernelName} in ${JSON.stringify(disks)}`);
    for (const d of disks) {
      assert.ok(d.total > 0 && d.available >= 0 && d.available <= d.total, JSON.stringify(d));
      assert.ok(!/^(loop|ram|zram)\d/.test(d.name), d.name);
    }
    assert.equal(new Set(disks.map((d) => d.name)).size, disks.length, "each device once");
  });
});

describe("byName: the natural order of device and sysfs names, without ICU's collator", () => {
  it("orders as Intl.Collator('en', { numeric: true }) does, on 20 000 generated names", () => {
    const collator = new Intl.Collator("en", { numeric: true }).compare;
    const parts = ["sd", "nvme", "n", "p", "mmcblk", "dm-", "md", "temp", "_input", "_label", "hwmon", "vd", "a", "b", "z", "A", "Sd", "0", "1", "2", "9", "10", "127", "-", "_", "."];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const name = (): string => Array.from({ length: 1 + Math.floor(next() * 4) }, () => parts[Math.floor(next() * parts.length)]).join("");
    for (let k = 0; k < 20_000; k++) {
      const a = name();
      const b = name();
      assert.equal(Math.sign(byName(a, b)), Math.sign(collator(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it("puts numbered devices in number order", () => {
    assert.deepEqual(["nvme0n1p10", "sdaa", "nvme0n1p2", "sdb", "nvme0n1p1"].sort(byName), ["nvme0n1p1", "nvme0n1p2", "nvme0n1p10", "sdaa", "sdb"].sort(byName));
    assert.deepEqual(["nvme0n1p10", "nvme0n1p2", "nvme0n1p1"].sort(byName), ["nvme0n1p1", "nvme0n1p2", "nvme0n1p10"]);
    assert.deepEqual(["sdaa", "sdb"].sort(byName), ["sdaa", "sdb"]);
    assert.deepEqual(["temp10_label", "temp2_label", "temp1_label"].sort(byName), ["temp1_label", "temp2_label", "temp10_label"]);
  });
});
